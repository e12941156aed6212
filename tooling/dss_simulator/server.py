"""Serving a node over HTTP: the routes of its public and internal APIs, on a server of its own."""

from __future__ import annotations

from . import api_deployer, api_govern, api_internal, api_plugins, api_projects, api_scenarios
from .node import DESIGN, GOVERN, Node
from .web import App, Router, ServerThread


def serve(node: Node) -> ServerThread:
    """Starts the HTTP server of `node` on 127.0.0.1 and a free port; its `stop()` ends it."""
    router = Router()
    if node.kind == GOVERN:
        api_govern.register(router)  # a Govern node answers the GovernClient only
        return ServerThread(App(node, router))
    for module in (api_projects, api_scenarios, api_plugins, api_internal):
        module.register(router)
    if node.kind == DESIGN:
        api_deployer.register(router)  # the Project Deployer lives on the design node
    return ServerThread(App(node, router))
