"""What the Project Deployer says about a deployment: its bundle, its deployed project and its Automation nodes.

Where the Deployer's JSON shapes are not documented (the node list of a multi-node infrastructure, the deployed
project key), both plausible shapes are read here and nowhere else.
"""

import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import dataikuapi

from .connection import describe_call_error
from .errors import DSSCallError, PluginError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AutomationNode:
    node_id: Optional[str]  # None on a single-node infrastructure: DSS calls then take no node id
    url: Optional[str]

    def label(self, infra_id: str) -> str:
        if self.node_id:
            return "Automation node %s of infrastructure %s" % (self.node_id, infra_id)
        return "the Automation node of infrastructure %s" % infra_id


@dataclass(frozen=True)
class DeploymentInfo:
    deployment_id: str
    infra_id: str
    bundle_id: str
    published_project_key: str
    deployed_project_key: str
    nodes: List[AutomationNode]
    stage: Optional[str] = None
    # The bundle the nodes run, when DSS says so; `bundle_id` is the one the settings ask for. They differ after a
    # failed update that was not rolled back.
    running_bundle_id: str = ""

    @property
    def subject(self) -> str:
        return "deployment %s" % self.deployment_id


def dss_call(what: str, where: str, call, *args, **kwargs):
    """Runs a DSS call and turns a permanent DSS error into a message naming the object."""
    try:
        return call(*args, **kwargs)
    except DSSCallError as error:
        message = describe_call_error(error, what, where)
        raise PluginError(message or "%s failed on %s: %s" % (what, where, error)) from error


def read_deployment(deployer: dataikuapi.DSSClient, deployment_id: str, where: str = "the Deployer") -> DeploymentInfo:
    handle = deployer.get_projectdeployer().get_deployment(deployment_id)
    what = "Reading deployment %s" % deployment_id
    settings = dss_call(what, where, handle.get_settings).get_raw()
    status = dss_call(what, where, handle.get_status)
    light = status.get_light() or {}
    basic = light.get("deploymentBasicInfo") or {}
    infra_id = settings.get("infraId") or basic.get("infraId") or ""
    published = settings.get("publishedProjectKey") or basic.get("publishedProjectKey") or ""
    # [I] The deployed project key defaults to the published one when the deployment does not override it.
    deployed = settings.get("deployedProjectKey") or basic.get("deployedProjectKey") or published
    bundle = settings.get("bundleId") or basic.get("bundleId") or ""
    if not (infra_id and published and bundle):
        raise PluginError(
            "Deployment %s on %s does not say its infrastructure, published project and bundle (expected "
            "infraId, publishedProjectKey and bundleId in its settings). Check the deployment in the Project "
            "Deployer." % (deployment_id, where)
        )
    heavy = status.get_heavy() or {}
    nodes = _automation_nodes(deployer, infra_id, heavy)
    stage = _infra_stage(deployer, infra_id, light)
    running = _running_bundle(heavy) or bundle
    if running != bundle:
        log.warning("Deployment %s is set to bundle %s but its Automation node(s) run bundle %s (out of sync).",
                    deployment_id, bundle, running)
    return DeploymentInfo(deployment_id=deployment_id, infra_id=infra_id, bundle_id=bundle,
                          published_project_key=published, deployed_project_key=deployed, nodes=nodes, stage=stage,
                          running_bundle_id=running)


def _running_bundle(heavy: Dict[str, Any]) -> str:
    """The bundle every Automation node runs, or "" when DSS does not say or the nodes disagree.

    [U] Per-node data is undocumented: read `nodesStatus[].bundleId` of the heavy status.
    """
    bundles = {str(n.get("bundleId")) for n in heavy.get("nodesStatus") or [] if isinstance(n, dict)
               and n.get("bundleId")}
    return bundles.pop() if len(bundles) == 1 else ""


def _automation_nodes(deployer, infra_id: str, heavy: Dict[str, Any]) -> List[AutomationNode]:
    """The Automation nodes of a deployment's infrastructure.

    [U] The node list of a multi-node infrastructure is undocumented: read `automationNodes` from the
    infrastructure settings (readable by infrastructure admins) or `nodesStatus` from the deployment's heavy
    status. A single-node infrastructure has `automationNodeUrl` and needs no node id.
    """
    raw = {}
    try:
        raw = deployer.get_projectdeployer().get_infra(infra_id).get_settings().get_raw() or {}
    except DSSCallError as error:
        if not error.is_permission_denied and not error.is_not_found:
            raise
    listed = raw.get("automationNodes") or heavy.get("nodesStatus") or []
    nodes = []
    for entry in listed:
        if isinstance(entry, dict) and (entry.get("nodeId") or entry.get("id")):
            nodes.append(AutomationNode(node_id=str(entry.get("nodeId") or entry.get("id")),
                                        url=entry.get("url") or entry.get("automationNodeUrl")))
    if len(nodes) > 1 or (nodes and str(raw.get("type", "")).upper() == "MULTI_NODE"):
        return nodes
    # [I] A single-node infrastructure takes no node id in the Deployer's calls.
    url = raw.get("automationNodeUrl") or (nodes[0].url if nodes else None)
    return [AutomationNode(node_id=None, url=url)]


def _infra_stage(deployer, infra_id: str, light: Dict[str, Any]) -> Optional[str]:
    stage = (light.get("infraBasicInfo") or {}).get("stage")
    if stage:
        return stage
    try:
        for infra in deployer.get_projectdeployer().list_infras(as_objects=False):
            basic = infra.get("infraBasicInfo", infra)
            if basic.get("id") == infra_id:
                return basic.get("stage")
    except DSSCallError:
        return None
    return None


def published_bundles(deployer: dataikuapi.DSSClient, published_project_key: str, where: str) -> List[str]:
    """Ids of the bundles published for a project, oldest first.

    [I] The published project's status lists them as `packages`; they are sorted by `publishedOn` when the
    entries carry it, rather than trusting the list's order.
    """
    status = dss_call("Reading published project %s" % published_project_key, where,
                           deployer.get_projectdeployer().get_project(published_project_key).get_status)
    packages = [p for p in (status.get_raw() or {}).get("packages") or [] if isinstance(p, dict) and p.get("id")]
    if packages and all(p.get("publishedOn") for p in packages):
        packages.sort(key=lambda p: p["publishedOn"])
    return [str(p["id"]) for p in packages]


def testing_counts(status) -> Tuple[int, Dict[str, int]]:
    """(total ran, count per outcome) of a testing status.

    [U] Outcomes with a count of 0 may be absent from `nbScenariosPerOutcome`: every read has a default.
    """
    raw = status.get_raw() if hasattr(status, "get_raw") else dict(status or {})
    per_outcome = raw.get("nbScenariosPerOutcome") or {}
    counts = {str(k): int(v or 0) for k, v in per_outcome.items() if int(v or 0)}
    return int(raw.get("nbTotalRanScenarios") or 0), counts
