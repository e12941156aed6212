"""Running a deployment's test scenarios through the Project Deployer (DSS 14.1+), without a node connection.

The Deployer's run-test-scenarios call gives no run ids, and whether it waits for the tests is undocumented
[U], so the step polls the deployment's testing status for the bundle: the tests count as finished once the
status holds results and has stayed the same for a quiet period. Per-scenario control (parallelism, timeouts,
retries, already-running policy) and per-scenario results need a `dss-node` preset instead.
"""

import logging
import time
from typing import Dict

from ..dss.answers import dss_call
from ..dss.capabilities import RUN_THROUGH_DEPLOYER, NotInThisDSS, lacks_endpoint
from ..dss.deployments import AutomationNode, DeploymentInfo
from ..dss.interrupts import StopSignal
from ..dss.testing_status import deployment_testing_status, run_deployment_tests
from ..errors import PluginError
from .results import NodeCounts

log = logging.getLogger(__name__)


def run_through_deployer(deployer, info: DeploymentInfo, node: AutomationNode, quiet_period: float,
                         timeout: float, stop: StopSignal, poll: float = 1.0) -> NodeCounts:
    """Runs the tests of one node through the Deployer and waits for its testing status to settle; `stop` ends the
    wait (StepInterrupted)."""
    label = node.label(info.infra_id)
    what = "Reading the testing status of %s for bundle %s" % (info.subject, info.bundle_id)
    before = _counts(deployer, info, node, what, label)
    try:
        launched = dss_call("Running the test scenarios of %s" % info.subject, label, run_deployment_tests, deployer,
                            info.deployment_id, node.node_id).per_outcome
    except NotInThisDSS:
        raise NotInThisDSS(RUN_THROUGH_DEPLOYER, "%s on %s" % (info.subject, label)) from None
    except PluginError as error:
        if lacks_endpoint(error.__cause__):
            raise NotInThisDSS(RUN_THROUGH_DEPLOYER, "%s on %s" % (info.subject, label),
                               error.__cause__.detail) from error.__cause__
        raise
    log.info("The Deployer started the test scenarios of %s on %s; waiting for its testing status to settle "
             "(quiet period %.0fs).", info.subject, label, quiet_period)
    start = time.monotonic()
    last, last_change = launched, time.monotonic()
    while True:
        now = time.monotonic()
        if sum(last.values()) and now - last_change >= quiet_period:
            problem = ""
            if last == before:
                # Nothing shows that these are new results rather than the ones from before the run.
                problem = ("the testing status did not change from before the run, so nothing confirms the tests "
                           "ran; raise the quiet period if they take longer, or give node presets")
            return NodeCounts(node=label, project_key=info.deployed_project_key, per_outcome=last, problem=problem)
        if now - start > timeout:
            problem = ("the testing status did not settle within %.0fs; the Deployer gives no run ids, so the step "
                       "cannot tell whether the tests finished" % timeout)
            return NodeCounts(node=label, project_key=info.deployed_project_key, per_outcome=last, problem=problem)
        stop.sleep(poll)
        current = _counts(deployer, info, node, what, label)
        if current != last:
            last, last_change = current, time.monotonic()


def _counts(deployer, info: DeploymentInfo, node: AutomationNode, what: str, label: str) -> Dict[str, int]:
    return dss_call(what, label, deployment_testing_status, deployer, info.deployment_id, info.bundle_id,
                    node.node_id).per_outcome
