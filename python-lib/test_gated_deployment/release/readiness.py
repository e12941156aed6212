"""Is the Automate Deployment pipeline ready to run? Each check only reads; each red line says what to do next.

It checks what the pipeline's steps will need: the Deployer and each "DSS node" preset answer with the key given
(and which DSS they run, with what that version allows), the QA and Production deployments exist, belong to the
same published project and are HEALTHY, each preset reaches an Automation node of QA, and the deployed project
there has test scenarios, none of them the scenario that runs the pipeline, and what the Deployer's Govern check
policy of each infrastructure asks. What no read-only call can tell (the
right to update a deployment or to run a scenario) is said to be unchecked, never guessed.
"""

from dataclasses import dataclass, field
from typing import Callable, List, Optional

from ..dss.answers import dss_call
from ..dss.capabilities import RUN_THROUGH_DEPLOYER, version_tuple
from ..dss.deployments import DeploymentInfo, govern_check_policy, published_bundles, read_deployment, read_health
from ..dss.nodes import ConnectedNode, connect_deployment_nodes
from ..dss.scenarios import read_scenarios
from ..dss.transport import DSSClient
from ..errors import PluginError
from ..settings import NodeSettings
from ..testing.discovery import Caller

OK = "ok"
WARNING = "warning"
FAIL = "fail"
UNCHECKED = "not checked"


@dataclass(frozen=True)
class Line:
    subject: str
    status: str
    found: str
    next_action: str = ""


@dataclass
class Readiness:
    lines: List[Line] = field(default_factory=list)
    published_project: Optional[str] = None   # of both deployments, when they were read and agree

    @property
    def ready(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> List[Line]:
        return [line for line in self.lines if line.status == FAIL]

    def add(self, subject: str, status: str, found: str, next_action: str = ""):
        self.lines.append(Line(subject, status, found, next_action))


@dataclass(frozen=True)
class PipelinePlan:
    """What the pipeline will use; `caller` is the scenario that runs it, when known."""

    qa_deployment: str
    prod_deployment: str
    qa_node_presets: List[NodeSettings]
    caller: Optional[Caller] = None
    dss_url_known: Optional[bool] = None   # None: this component cannot tell


def _node(readiness: Readiness, subject: str, client: Callable[[], DSSClient]) -> Optional[tuple]:
    """The node's DSS version when it answers with this key (empty when it does not say), else None."""
    try:
        raw = dss_call("Asking who it is", subject, lambda: client().get_instance_info().raw)
    except PluginError as error:
        readiness.add(subject, FAIL, str(error), "Check the URL, the TLS settings and the API key of its preset.")
        return None
    version = str(raw.get("dssVersion") or "")
    readiness.add(subject, OK, "answers with this key (node %s, DSS %s)" % (raw.get("nodeId") or "?",
                                                                           version or "version not given"))
    return version_tuple(version)


def _deployment(readiness: Readiness, deployer: DSSClient, deployment_id: str, where: str
                ) -> Optional[DeploymentInfo]:
    subject = "deployment %s" % deployment_id
    try:
        info = read_deployment(deployer, deployment_id, where)
        health = read_health(deployer, deployment_id, where)
    except PluginError as error:
        readiness.add(subject, FAIL, str(error), "Fix the deployment id, or give the key the right to read it.")
        return None
    nodes = ", ".join(node.url or node.node_id or "?" for node in info.nodes) or "none listed"
    readiness.add(subject, OK, "published project %s, infrastructure %s (stage %s), bundle %s, Automation node(s): "
                  "%s" % (info.published_project_key, info.infra_id, info.stage or "?", info.bundle_id, nodes))
    if health.status == "HEALTHY":
        readiness.add(subject, OK, "HEALTHY")
    else:
        readiness.add(subject, FAIL, "%s%s" % (health.status, "".join("; " + m for m in health.messages)),
                      "Repair the deployment in the Project Deployer (update it, or fix its nodes) first.")
    return info


def check_readiness(deployer: DSSClient, where: str, plan: PipelinePlan,
                    connect: Callable[[NodeSettings], DSSClient]) -> Readiness:
    readiness = Readiness()
    version = _node(readiness, "the Deployer (%s)" % where, lambda: deployer)
    qa = _deployment(readiness, deployer, plan.qa_deployment, where)
    prod = _deployment(readiness, deployer, plan.prod_deployment, where)
    if qa is not None and prod is not None:
        if qa.published_project_key == prod.published_project_key:
            readiness.published_project = qa.published_project_key
            readiness.add("QA and Production", OK, "both deploy published project %s" % qa.published_project_key)
        else:
            readiness.add("QA and Production", FAIL, "deployment %s deploys published project %s, deployment %s "
                          "deploys %s" % (qa.deployment_id, qa.published_project_key, prod.deployment_id,
                                          prod.published_project_key),
                          "Pick two deployments of the same published project: a bundle id only means something "
                          "within one project.")
    for info in {d.infra_id: d for d in (prod, qa) if d is not None}.values():
        _govern_policy(readiness, deployer, info, where)
    if qa is not None:
        _bundles(readiness, deployer, qa, where)
        if plan.qa_node_presets:
            _qa_nodes(readiness, qa, plan, connect)
        elif version and not RUN_THROUGH_DEPLOYER.on(version):
            readiness.add("tests on QA", FAIL, "no Automation node preset, and the Deployer runs DSS %s: running "
                          "tests through the Deployer needs DSS %s or later"
                          % (".".join(map(str, version)), RUN_THROUGH_DEPLOYER.since),
                          "Give a 'DSS node' preset for each Automation node of %s." % qa.subject)
        else:
            readiness.add("tests on QA", WARNING, "no Automation node preset: the tests run through the Deployer "
                          "(DSS 14.1+), which gives counts only", "Give presets for per-scenario results.")
    for subject in ("update QA and Production", "run the test scenarios on QA"):
        readiness.add("the right to " + subject, UNCHECKED, "no call that only reads can tell",
                      "The first pipeline run shows it; the steps fail naming the missing right.")
    if plan.dss_url_known is None:
        readiness.add("the DSS URL (Administration > Settings)", UNCHECKED, "this component cannot read it",
                      "Without it the step cannot tell which scenario runs it, and leaves running tests out.")
    elif plan.dss_url_known:
        readiness.add("the DSS URL (Administration > Settings)", OK, "set: scenario runs know their URL")
    else:
        readiness.add("the DSS URL (Administration > Settings)", WARNING, "not set: the scenario's run URL is "
                      "unknown", "Ask an administrator to set it, so that the step knows which scenario runs it.")
    return readiness


def _govern_policy(readiness: Readiness, deployer: DSSClient, info: DeploymentInfo, where: str):
    """What the Deployer's Govern check asks of a bundle before it updates this deployment's infrastructure."""
    subject = "Govern check of infrastructure %s" % info.infra_id
    try:
        policy = govern_check_policy(deployer, info.infra_id, where)
    except PluginError as error:
        readiness.add(subject, FAIL, str(error), "Check the infrastructure in the Project Deployer.")
        return
    if policy is None:
        readiness.add(subject, UNCHECKED, "reading an infrastructure's settings needs the right to administer it",
                      "Ask its administrator which Govern check policy it has.")
    elif policy == "PREVENT":
        readiness.add(subject, WARNING, "PREVENT: the Deployer refuses a bundle that Govern has not approved",
                      "Have each bundle signed off in Govern before the pipeline deploys it to %s, or the Deploy "
                      "bundle step fails there." % info.subject)
    elif policy == "WARN":
        readiness.add(subject, WARNING, "WARN: the Deployer warns about a bundle that Govern has not approved",
                      "Have each bundle signed off in Govern before the pipeline deploys it to %s, or tick 'Deploy "
                      "despite Govern warnings' in its Deploy bundle step: it refuses such a bundle otherwise."
                      % info.subject)
    else:
        readiness.add(subject, OK, "%s: no Govern sign-off is asked for" % (policy or "not set (NO_CHECK)"))


def _bundles(readiness: Readiness, deployer: DSSClient, qa: DeploymentInfo, where: str):
    subject = "bundles of published project %s" % qa.published_project_key
    try:
        bundles = published_bundles(deployer, qa.published_project_key, where)
    except PluginError as error:
        readiness.add(subject, FAIL, str(error), "Give the key the right to read the published project.")
        return
    readiness.add(subject, OK, "%d published, the latest %s" % (len(bundles), bundles[-1] if bundles else "none"))


def _qa_nodes(readiness: Readiness, qa: DeploymentInfo, plan: PipelinePlan,
              connect: Callable[[NodeSettings], DSSClient]):
    answering = 0
    for preset in plan.qa_node_presets:
        subject = "preset for %s" % preset.url
        if not preset.verify_tls:
            readiness.add(subject, WARNING, "TLS verification is off", "Give the node's CA bundle instead.")
        answering += _node(readiness, subject, lambda preset=preset: connect(preset)) is not None
    if answering != len(plan.qa_node_presets):
        return
    try:
        connected = connect_deployment_nodes(qa, plan.qa_node_presets, connect)
    except PluginError as error:
        readiness.add("Automation nodes of %s" % qa.subject, FAIL, str(error),
                      "Give one preset per Automation node of the QA infrastructure.")
        return
    for node in connected:
        _test_scenarios(readiness, qa, node, plan.caller)


def _test_scenarios(readiness: Readiness, qa: DeploymentInfo, node: ConnectedNode, caller: Optional[Caller]):
    subject = "project %s on %s" % (qa.deployed_project_key, node.label)
    try:
        items = read_scenarios(node.client, qa.deployed_project_key, node.label)
    except PluginError as error:
        readiness.add(subject, FAIL, str(error), "Give the preset's key the right to read the deployed project.")
        return
    tests = sorted(item.id for item in items if item.marked_as_test and item.active)
    if not tests:
        readiness.add(subject, FAIL, "no active test scenario", "Mark the project's test scenarios as tests "
                      "('Test scenario' in their settings), then publish a new bundle.")
        return
    readiness.add(subject, OK, "%d test scenario(s): %s" % (len(tests), ", ".join(tests)))
    if caller is not None and caller.project_key == qa.deployed_project_key and caller.scenario_id in tests:
        readiness.add(subject, FAIL, "the pipeline's own scenario %s is marked as a test" % caller.scenario_id,
                      "Untick 'Test scenario' on it: a pipeline must not run itself.")
