"""The Simulator: a set of nodes (Design with its Project Deployer, Automation nodes, Govern nodes) that it starts and
stops."""

from __future__ import annotations

from typing import Any, List

from .deployer import Deployer
from .govern import Govern
from .node import AUTOMATION, DEFAULT_VERSION, DESIGN, GOVERN, Node
from .server import serve


class Simulator:
    """Owns every node it creates; `close()` (or leaving the `with` block) stops all their servers."""

    def __init__(self) -> None:
        self.nodes: List[Node] = []

    def add_design_node(self, node_id: str = "design", dss_version: str = DEFAULT_VERSION) -> Node:
        """A Design node; it hosts the Project Deployer too (`node.deployer`)."""
        node = self._add(node_id, DESIGN, dss_version)
        node.deployer = Deployer(node)
        return node

    def add_automation_node(self, node_id: str = "automation", dss_version: str = DEFAULT_VERSION) -> Node:
        return self._add(node_id, AUTOMATION, dss_version)

    def add_govern_node(self, node_id: str = "govern", dss_version: str = DEFAULT_VERSION) -> Node:
        """A Dataiku Govern node, answering the GovernClient; `node.govern` is its model (`Govern.watch(design)`
        syncs a design node's bundles into it)."""
        node = self._add(node_id, GOVERN, dss_version)
        node.govern = Govern(node.lock)
        return node

    def _add(self, node_id: str, kind: str, dss_version: str) -> Node:
        if any(n.node_id == node_id for n in self.nodes):
            raise ValueError("A node named %s already exists" % node_id)
        node = Node(node_id, kind, dss_version)
        node.attach_server(serve(node))
        self.nodes.append(node)
        return node

    def close(self) -> None:
        nodes, self.nodes = self.nodes, []
        for node in nodes:
            node.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
