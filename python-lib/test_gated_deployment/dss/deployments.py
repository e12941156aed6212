"""What the Project Deployer says about a deployment: its bundle, its deployed project and its Automation nodes.

Where the Deployer's JSON shapes are not documented (the node list of a multi-node infrastructure, the deployed
project key), both plausible shapes are read here and nowhere else.
"""

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ..errors import PluginError
from .answers import DSSCallError, classify, dss_call
from .capabilities import UPDATE_HISTORY, NotInThisDSS, call_of, lacks_endpoint
from .futures import FutureState, UpdateFuture
from .transport import DSSClient

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
    # The bundle the nodes run; `bundle_id` is the one the settings ask for. They differ after a failed update that
    # was not rolled back. "" when DSS does not say and the deployment is OUT_OF_SYNC: no bundle can be trusted.
    running_bundle_id: str = ""
    # The bundle DSS says every node runs (per-node status), or "" when it does not say: only this one proves
    # what an update did, since `running_bundle_id` falls back to the settings.
    nodes_bundle_id: str = ""
    # The settings as they were read: saving the bundle is refused when someone else changed them since.
    settings: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def subject(self) -> str:
        return "deployment %s" % self.deployment_id


def read_deployment(deployer: DSSClient, deployment_id: str, where: str = "the Deployer") -> DeploymentInfo:
    handle = _handle(deployer, deployment_id)
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
    nodes = _automation_nodes(deployer, infra_id, heavy, deployment_id, where)
    stage = _infra_stage(deployer, infra_id, light)
    running = _running_bundle(heavy)
    if not running and str(heavy.get("health") or "") == "OUT_OF_SYNC":
        log.warning("Deployment %s is OUT_OF_SYNC: its settings ask for bundle %s, and DSS does not say which bundle "
                    "its Automation node(s) run.", deployment_id, bundle)
    elif not running:
        # [I] DSS does not say per node: a deployment that is not out of sync runs what its settings ask for.
        running = bundle
    elif running != bundle:
        log.warning("Deployment %s is set to bundle %s but its Automation node(s) run bundle %s (out of sync).",
                    deployment_id, bundle, running)
    return DeploymentInfo(deployment_id=deployment_id, infra_id=infra_id, bundle_id=bundle,
                          published_project_key=published, deployed_project_key=deployed, nodes=nodes, stage=stage,
                          running_bundle_id=running, nodes_bundle_id=_running_bundle(heavy), settings=settings)


def running_bundle(info: DeploymentInfo) -> str:
    """The bundle the deployment's nodes run, refused when DSS does not say."""
    if not info.running_bundle_id:
        raise PluginError("%s is OUT_OF_SYNC, and DSS does not say which bundle its Automation node(s) run, so no "
                          "bundle can be taken from it. Update it (or roll it back) in the Project Deployer, or give "
                          "the bundle id." % info.subject)
    return info.running_bundle_id


def _running_bundle(heavy: Dict[str, Any]) -> str:
    """The bundle every Automation node runs, or "" when DSS does not say or the nodes disagree.

    [U] Per-node data is undocumented: read `nodesStatus[].bundleId` of the heavy status.
    """
    bundles = {str(n.get("bundleId")) for n in heavy.get("nodesStatus") or [] if isinstance(n, dict)
               and n.get("bundleId")}
    return bundles.pop() if len(bundles) == 1 else ""


def _automation_nodes(deployer, infra_id: str, heavy: Dict[str, Any], deployment_id: str,
                      where: str) -> List[AutomationNode]:
    """The Automation nodes of a deployment's infrastructure.

    [U] The node list of a multi-node infrastructure is undocumented: read `automationNodes` from the
    infrastructure settings (readable by infrastructure admins) or `nodesStatus` from the deployment's heavy
    status. A single-node infrastructure has `automationNodeUrl` and needs no node id.
    """
    try:
        raw = dss_call("Reading infrastructure %s of deployment %s" % (infra_id, deployment_id), where,
                       lambda: deployer.get_projectdeployer().get_infra(infra_id).get_settings().get_raw()) or {}
    except PluginError as error:
        cause = error.__cause__
        if not (isinstance(cause, DSSCallError) and (cause.is_permission_denied or cause.is_not_found)):
            raise
        raw = {}
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
        infras = deployer.get_projectdeployer().list_infras(as_objects=False)
    except Exception as error:  # noqa: BLE001 - the stage only labels pages: without it, they say nothing
        if classify(error) is None:
            raise
        return None
    for infra in infras:
        basic = infra.get("infraBasicInfo", infra) if isinstance(infra, dict) else {}
        if basic.get("id") == infra_id:
            return basic.get("stage")
    return None


def govern_check_policy(deployer: DSSClient, infra_id: str, where: str) -> Optional[str]:
    """The infrastructure's Govern check policy (PREVENT, WARN or NO_CHECK), "" when its settings do not say, None
    when DSS refuses to show them.

    [V] `governCheckPolicy` of the infrastructure's settings (DSS 14.x); [I] reading them needs the right to
    administer the infrastructure.
    """
    try:
        settings = dss_call("Reading the settings of infrastructure %s" % infra_id, where,
                            deployer.get_projectdeployer().get_infra(infra_id).get_settings)
    except PluginError as error:
        cause = error.__cause__
        if isinstance(cause, DSSCallError) and cause.from_dss and cause.is_permission_denied:
            return None
        raise
    raw = settings.get_raw()
    return str(raw.get("governCheckPolicy") or "") if isinstance(raw, dict) else ""


@dataclass(frozen=True)
class GovernanceMessage:
    severity: str   # SUCCESS, INFO, WARNING or ERROR
    title: str
    message: str

    def describe(self) -> str:
        return ": ".join(part for part in (self.title, self.message) if part) or self.severity


def governance_messages(deployer: DSSClient, deployment_id: str, bundle_id: str, where: str
                        ) -> List[GovernanceMessage]:
    """What the Deployer's Govern check says of deploying `bundle_id` to the deployment.

    [V] a dict whose `messages` each have `severity`, `isFatal`, `code`, `title`, `message`; [I] a bare list of
    messages is read too, and a fatal message counts as an ERROR.
    """
    raw = dss_call("Reading the Govern check of bundle %s on deployment %s" % (bundle_id, deployment_id), where,
                   _handle(deployer, deployment_id).get_governance_status, bundle_id)
    listed = raw.get("messages") if isinstance(raw, dict) else raw
    if listed is not None and not isinstance(listed, list):
        raise PluginError("The Govern check of bundle %s on deployment %s on %s answered %r where a list of messages "
                          "was expected. Check the deployment in the Project Deployer."
                          % (bundle_id, deployment_id, where, type(listed).__name__))
    messages = []
    for item in listed or []:
        if not isinstance(item, dict):
            continue
        severity = "ERROR" if item.get("isFatal") else str(item.get("severity") or "INFO").upper()
        messages.append(GovernanceMessage(severity, str(item.get("title") or ""), str(item.get("message") or "")))
    return messages


def published_bundles(deployer: DSSClient, published_project_key: str, where: str) -> List[str]:
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


def _handle(deployer: DSSClient, deployment_id: str):
    return deployer.get_projectdeployer().get_deployment(deployment_id)


@dataclass(frozen=True)
class DeploymentSummary:
    """A deployment as the Deployer lists it."""

    deployment_id: str
    infra_id: str
    bundle_id: str
    published_project_key: str

    @classmethod
    def read(cls, item) -> Optional["DeploymentSummary"]:
        basic = (item.get("deploymentBasicInfo") or item) if isinstance(item, dict) else {}
        if not basic.get("id"):
            return None
        return cls(str(basic["id"]), str(basic.get("infraId") or "?"), str(basic.get("bundleId") or "?"),
                   str(basic.get("publishedProjectKey") or ""))


def list_deployments(deployer: DSSClient) -> List[DeploymentSummary]:
    """Every deployment the caller can see (raises as the client does)."""
    listed = deployer.get_projectdeployer().list_deployments(as_objects=False)
    return [d for d in (DeploymentSummary.read(item) for item in listed) if d is not None]


def deployment_ids(deployer: DSSClient, published_project_key: str, where: str) -> List[str]:
    """The ids of the deployments of a published project, in the Deployer's order."""
    listed = dss_call("Listing the deployments of published project %s" % published_project_key, where,
                      list_deployments, deployer)
    return [d.deployment_id for d in listed if d.published_project_key == published_project_key]


class SettingsChanged(PluginError):
    """Someone else changed the deployment's settings since the step read them: nothing was saved."""


def set_bundle(deployer: DSSClient, deployment_id: str, bundle_id: str, where: str,
               expected: Optional[Mapping[str, Any]] = None, ignore_govern_warnings: bool = False):
    """Points the settings at a bundle; with `expected` (settings read earlier), refuses with SettingsChanged when
    they differ now, so that nobody else's change is overwritten. [I] The Deployer checks Govern on this save;
    `ignore_govern_warnings` tells it to go on despite warnings."""
    handle = _handle(deployer, deployment_id)
    what = "Pointing deployment %s at bundle %s" % (deployment_id, bundle_id)
    settings = dss_call(what, where, handle.get_settings)
    changes = settings_changes(expected, settings.get_raw()) if expected is not None else []
    if changes:
        raise SettingsChanged(
            "Deployment %s on %s was changed by someone else after this step read it (%s), so bundle %s was not "
            "deployed and the other change was kept. Check who changed it and why (the Project Deployer), then run "
            "the step again." % (deployment_id, where, "; ".join(changes), bundle_id))
    settings.bundle_id = bundle_id
    dss_call(what, where, settings.save, ignore_govern_warnings)


def settings_changes(before: Mapping[str, Any], now: Mapping[str, Any], prefix: str = "") -> List[str]:
    """What differs between two readings of a settings object, one line per changed leaf ("bundleId: 'v1' ->
    'v3'")."""
    changes = []
    for key in sorted(set(before) | set(now), key=str):
        old, new = before.get(key), now.get(key)
        name = prefix + str(key)
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            changes.extend(settings_changes(old, new, name + "."))
        elif old != new:
            changes.append("%s: %s -> %s" % (name, _short(old), _short(new)))
    return changes


def _short(value: Any) -> str:
    text = "(none)" if value is None else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def start_update(deployer: DSSClient, deployment_id: str) -> UpdateFuture:
    """Sends the request that starts an update (raises as the client does: the caller decides what it means)."""
    return UpdateFuture(_handle(deployer, deployment_id).start_update())


@dataclass(frozen=True)
class Health:
    status: str
    messages: List[str]


def read_health(deployer: DSSClient, deployment_id: str, where: str) -> Health:
    """The deployment's health and its messages, from the heavy status.

    `healthMessages` is a dict with a `messages` list (reference §8); a bare list is accepted too.
    """
    status = dss_call("Reading the health of deployment %s" % deployment_id, where,
                      _handle(deployer, deployment_id).get_status)
    heavy = status.get_heavy() or {}
    raw = heavy.get("healthMessages") or {}
    listed = raw.get("messages") if isinstance(raw, dict) else raw
    messages = [str(m.get("message") or m.get("title") or "") for m in listed or [] if isinstance(m, dict)]
    return Health(str(heavy.get("health") or "UNKNOWN"), [m for m in messages if m])


def settings_bundle(deployer: DSSClient, deployment_id: str, where: str) -> str:
    """The bundle the deployment's settings ask for."""
    settings = dss_call("Reading the settings of deployment %s" % deployment_id, where,
                        _handle(deployer, deployment_id).get_settings)
    return str(settings.get_raw().get("bundleId") or "")


@dataclass(frozen=True)
class UpdateRecord:
    """An entry of a deployment's update history (DSS 14.1+)."""

    start_ms: int
    end_ms: int
    status: str


@dataclass(frozen=True)
class UpdateHistory:
    available: bool                  # False before DSS 14.1, or without the right to read it
    last: Optional[UpdateRecord] = None


def read_update_history(deployer: DSSClient, deployment_id: str) -> UpdateHistory:
    """The deployment's last update, as its history tells it.

    [U] A deployment never updated answers a DSS "not found"; a DSS without the history answers a bare 404 page.
    """
    subject = "deployment %s" % deployment_id
    try:
        raw = call_of(_handle(deployer, deployment_id), UPDATE_HISTORY, subject)().get_raw() or {}
    except NotInThisDSS as missing:
        log.info("%s", missing)
        return UpdateHistory(available=False)
    except DSSCallError as error:
        if error.is_not_found and error.from_dss:
            return UpdateHistory(available=True)
        if lacks_endpoint(error):
            log.info("%s", UPDATE_HISTORY.message(subject, error.detail))
            return UpdateHistory(available=False)
        if error.is_permission_denied:
            log.info("The update history of %s cannot be read (%s): the key needs the right to see the deployment.",
                     subject, error.detail)
            return UpdateHistory(available=False)
        raise
    start = int(raw.get("startTimestamp") or 0)
    return UpdateHistory(available=True, last=UpdateRecord(start_ms=start, end_ms=int(raw.get("endTimestamp") or 0),
                                                           status=str(raw.get("status") or "")))


def last_update_end_ms(deployer: DSSClient, deployment_id: str) -> Optional[int]:
    """When the deployment's last update ended (DSS 14.1+), or None when DSS cannot say."""
    last = read_update_history(deployer, deployment_id).last
    if last is None:
        return None
    return last.end_ms or last.start_ms or None


def running_update(deployer: DSSClient, deployment_id: str, since_ms: int) -> Optional[UpdateFuture]:
    """The update of the deployment that this user started since `since_ms` (server clock) and that still runs.

    [I] The futures list has no documented field naming the deployment: a future whose display name or payload
    holds the deployment id is taken as its update.
    """
    named = re.compile(r"(?<![\w.-])%s(?![\w.-])" % re.escape(deployment_id))
    for raw in deployer.list_futures(as_objects=False, all_users=False) or []:
        if not isinstance(raw, dict) or not raw.get("jobId"):
            continue
        state = FutureState.read(raw)
        about = " ".join(str(raw.get(key) or "") for key in ("jobDisplayName", "payload", "target"))
        if named.search(about) and state.start_ms >= since_ms and state.alive is not False:
            return UpdateFuture.listed(deployer, raw)
    return None
