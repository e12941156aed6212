"""Checking the test gate of a deployment or a project for one bundle, re-checking until a deadline if asked.

The assert step, the deploy step's gate and the macros all come through `check_deployment_gate` /
`check_project_gate`, so they judge the same evidence the same way.
"""

import logging
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional, TypeVar

from ..dss.deployments import DeploymentInfo
from ..dss.interrupts import StopSignal
from ..dss.nodes import ConnectedNode
from ..dss.transport import DSSClient
from .evidence import gather_for_deployment, gather_for_project
from .verdict import INCONCLUSIVE, GateEvidence, GatePolicy, Verdict, evaluate

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Recheck:
    """Re-evaluate an inconclusive verdict every `interval` seconds until `until` seconds have passed."""

    until: float = 0.0
    interval: float = 30.0


def recheck_until(decide: Callable[[], T], undecided: Callable[[T], bool], describe: Callable[[T], str],
                  recheck: Recheck, stop: Optional[StopSignal]) -> T:
    """`decide()`, asked again every `recheck.interval` seconds while its answer is `undecided`, until
    `recheck.until` seconds have passed; an abort ends the wait at once."""
    stop = stop or StopSignal()
    start = time.monotonic()
    while True:
        answer = decide()
        waited = time.monotonic() - start
        if not undecided(answer) or waited + recheck.interval > recheck.until:
            return answer
        log.info("%s; checking again in %.0fs (until %.0fs).", describe(answer), recheck.interval, recheck.until)
        stop.sleep(recheck.interval)


def _with_recheck(gather: Callable[[], GateEvidence], policy: GatePolicy, recheck: Recheck,
                  stop: Optional[StopSignal]) -> Verdict:
    return recheck_until(lambda: evaluate(gather(), policy), lambda v: v.status == INCONCLUSIVE,
                         lambda v: "Gate inconclusive for bundle %s of %s (%s)" % (v.bundle_id, v.subject,
                                                                                 " ".join(v.reasons)),
                         recheck, stop)


def check_deployment_gate(deployer: DSSClient, info: DeploymentInfo, bundle_id: str, policy: GatePolicy,
                          recheck: Recheck = Recheck(),
                          connected: Optional[Dict[Optional[str], ConnectedNode]] = None,
                          where: str = "the Deployer", stop: Optional[StopSignal] = None) -> Verdict:
    return _with_recheck(lambda: gather_for_deployment(deployer, info, bundle_id, connected, where),
                         policy, recheck, stop)


def check_project_gate(client: DSSClient, project_key: str, bundle_id: Optional[str], policy: GatePolicy,
                       recheck: Recheck = Recheck(), where: str = "this node",
                       stop: Optional[StopSignal] = None, url: Optional[str] = None) -> Verdict:
    return _with_recheck(lambda: gather_for_project(client, project_key, bundle_id, where, url), policy, recheck,
                         stop)


def log_verdict(verdict: Verdict, policy: GatePolicy):
    log.info("Test gate: %s for bundle %s of %s.", verdict.status, verdict.bundle_id, verdict.subject)
    for reason in verdict.reasons:
        log.info("  reason: %s", reason)
    for note in verdict.notes:
        log.info("  note: %s", note)
    if verdict.status == INCONCLUSIVE and policy.allow_inconclusive:
        log.warning("The gate was WAIVED: the verdict is INCONCLUSIVE and 'Allow inconclusive' is ticked. Nothing "
                    "proves that bundle %s passed its tests.", verdict.bundle_id)
