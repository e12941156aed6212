"""Reaching the Automation nodes of a deployment through `dss-node` presets."""

import logging
from dataclasses import dataclass
from typing import Callable, List, Optional
from urllib.parse import urlparse

from ..errors import PluginError
from ..settings import NodeSettings
from .answers import dss_call
from .deployments import AutomationNode, DeploymentInfo
from .transport import DSSClient

log = logging.getLogger(__name__)


@dataclass
class ConnectedNode:
    node: AutomationNode
    client: DSSClient
    label: str          # for sentences: "Automation node qa1 of infrastructure qa-infra"
    url: str            # the node's base URL, for links to its runs
    key: str            # short, for file names: the node id, or the infrastructure's on a single node


def _same_endpoint(a: Optional[str], b: Optional[str]) -> bool:
    if not a or not b:
        return False
    pa, pb = urlparse(a), urlparse(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def connect_deployment_nodes(info: DeploymentInfo, presets: List[NodeSettings],
                             connect: Callable[[NodeSettings], DSSClient]) -> List[ConnectedNode]:
    """Pairs each Automation node of the deployment with the preset that reaches it.

    A preset matches a node when its URL is the node's URL, or when the node it reaches reports the node's id.
    A single-node infrastructure takes the only preset given.
    """
    if not presets:
        raise PluginError("No DSS node preset given for the Automation node(s) of %s." % info.subject)
    connected = [(preset, connect(preset)) for preset in presets]
    if len(info.nodes) == 1 and info.nodes[0].node_id is None:
        node = info.nodes[0]
        label = node.label(info.infra_id)
        if len(connected) == 1:
            preset = connected[0][0]
            if node.url and not _same_endpoint(preset.url, node.url):
                # Not refused: a node may be reached through another name than the Deployer's (a proxy).
                log.warning("The preset for %s points at %s, but the Deployer knows that node as %s: check that it "
                            "is the same node, or the tests run somewhere else.", label, preset.url, node.url)
            return [ConnectedNode(node, connected[0][1], label, preset.url, info.infra_id)]
        matching = [(p, c) for p, c in connected if _same_endpoint(p.url, node.url)]
        if len(matching) != 1:
            raise PluginError(
                "%d DSS node presets are given for %s, whose infrastructure %s shows a single Automation node%s (or "
                "its node list cannot be read with the scenario user's rights): keep only the preset of that node."
                % (len(connected), info.subject, info.infra_id, " (%s)" % node.url if node.url else ""))
        return [ConnectedNode(node, matching[0][1], label, matching[0][0].url, info.infra_id)]
    result = []
    ids_by_preset = {}
    for node in info.nodes:
        label = node.label(info.infra_id)
        match = next(((p, c) for p, c in connected if _same_endpoint(p.url, node.url)), None)
        if match is None:
            for index, (preset, client) in enumerate(connected):
                if index not in ids_by_preset:
                    ids_by_preset[index] = node_id_of(client, preset.url)
                if ids_by_preset[index] == node.node_id:
                    match = (preset, client)
                    break
        if match is None:
            raise PluginError(
                "No DSS node preset reaches %s (%s). Add a preset for it to 'Automation node presets', or run the "
                "tests through the Deployer instead." % (label, node.url or "URL unknown"))
        result.append(ConnectedNode(node, match[1], label, match[0].url, node.node_id or info.infra_id))
    return result


def node_id_of(client: DSSClient, where: str) -> str:
    """The node id a DSS node gives itself (install.ini's `nodeid`), as Govern and the Deployer know it."""
    return str(dss_call("Identifying the node at %s" % where, where, client.get_instance_info).node_id or "")
