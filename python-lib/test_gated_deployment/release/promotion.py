"""Promoting a bundle to a deployment through the test gate: gate, update with a deadline, health, rollback.

The "Deploy bundle" step and the "Promote tested bundle" macro both call `promote`, so a bundle reaches a
deployment by one path whichever component asks. `promote` records what happens in a `Promotion` as it goes, so a
caller that meets an unexpected error still knows how far it got.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, Optional, Tuple

from ..dss.deployments import DeploymentInfo, govern_check_policy, governance_messages, read_deployment
from ..dss.interrupts import StopSignal
from ..dss.nodes import connect_deployment_nodes
from ..dss.transport import DATE_RESOLUTION_MS, DSSClient, server_now_ms
from ..errors import PluginError
from ..gate.check import check_deployment_gate, log_verdict
from ..gate.signoff import SignoffVerdict, log_signoff, refusal
from ..gate.verdict import GatePolicy, Verdict
from ..settings import NodeSettings
from .update import UpdateOptions, is_in_place, update_to
from .windows import LOOKAHEAD_DAYS, WindowPolicy

log = logging.getLogger(__name__)

# Given a bundle id and its project key: the verdict of the bundle's Govern sign-off.
SignoffCheck = Callable[[str, str], SignoffVerdict]

REFUSED = "refused"
UNCHANGED = "unchanged"
UPDATED = "updated"
FAILED = "failed"
ROLLED_BACK = "rolled_back"
ROLLBACK_FAILED = "rollback_failed"


@dataclass(frozen=True)
class GateSpec:
    """Require clean tests for the bundle on this deployment (usually QA) before promoting it."""

    deployment_id: str
    policy: GatePolicy
    nodes: Tuple[NodeSettings, ...] = ()


@dataclass(frozen=True)
class PromotionOptions:
    gate: Optional[GateSpec]
    update: UpdateOptions
    force: bool = False
    rollback: bool = True
    windows: Optional[WindowPolicy] = None
    signoff: Optional[SignoffCheck] = None   # require the bundle's Govern sign-off


@dataclass
class Promotion:
    """What a promotion did so far; `outcome` stays "" until it ends."""

    deployment_id: str
    subject: str
    bundle_id: str
    previous_bundle: str
    verdict: Optional[Verdict] = None
    signoff: Optional[SignoffVerdict] = None
    outcome: str = ""
    health: str = ""
    rolled_back: bool = False
    message: str = ""
    next_window: str = ""   # when refused outside the deployment windows: when the next one opens (UTC, ISO 8601)

    @classmethod
    def start(cls, info: DeploymentInfo, bundle_id: str) -> "Promotion":
        return cls(deployment_id=info.deployment_id, subject=info.subject, bundle_id=bundle_id,
                   previous_bundle=info.running_bundle_id)

    @property
    def ok(self) -> bool:
        return self.outcome in (UNCHANGED, UPDATED)

    def variables(self, prefix: str) -> Dict[str, object]:
        # A refused promotion reports no gate verdict variable: later steps must not read "FAIL" as a state the
        # deployment reached (the step's behaviour since its first release).
        verdict = self.verdict.status if self.verdict is not None and self.outcome != REFUSED else ""
        values = {"previous_bundle": self.previous_bundle, "bundle": self.bundle_id, "deployment": self.deployment_id,
                  "gate_verdict": verdict, "health": self.health, "rolled_back": self.rolled_back,
                  "outcome": self.outcome, "next_window": self.next_window,
                  "signoff": self.signoff.status if self.signoff is not None else "",
                  "signoff_by": self.signoff.signoff.answered_by if self.signoff and self.signoff.signoff else ""}
        return {"%s_%s" % (prefix, k): v for k, v in values.items()}


def same_published_project(gate_info: DeploymentInfo, target: DeploymentInfo):
    """A bundle id only means something within one published project: gating across two would judge another
    project's tests."""
    if gate_info.published_project_key != target.published_project_key:
        raise PluginError(
            "%s deploys published project %s but %s deploys %s: the gate would judge another project's tests. Pick "
            "a gate deployment of project %s." % (gate_info.subject, gate_info.published_project_key,
                                                  target.subject, target.published_project_key,
                                                  target.published_project_key))


def check_gate(deployer: DSSClient, gate: GateSpec, bundle_id: str, where: str,
               node_client: Callable[[NodeSettings], DSSClient], target: DeploymentInfo,
               stop: Optional[StopSignal] = None) -> Verdict:
    """The gate verdict for `bundle_id` on the gate deployment, per-scenario when node presets are given."""
    gate_info = read_deployment(deployer, gate.deployment_id, where)
    same_published_project(gate_info, target)
    connected = None
    if gate.nodes:
        connected = {c.node.node_id: c for c in connect_deployment_nodes(gate_info, list(gate.nodes), node_client)}
    verdict = check_deployment_gate(deployer, gate_info, bundle_id, gate.policy, connected=connected, where=where,
                                    stop=stop)
    log_verdict(verdict, gate.policy)
    return verdict


def promote(deployer: DSSClient, info: DeploymentInfo, record: Promotion, options: PromotionOptions,
            where: str, node_client: Callable[[NodeSettings], DSSClient],
            stop: Optional[StopSignal] = None) -> Promotion:
    """Gates, updates and, on failure, rolls back `info`'s deployment to `record.bundle_id`.

    Known ends (refused, unchanged, updated, failed, rolled back) are returned in `record` with a message naming
    the bundle and deployment; DSS errors raise PluginError, leaving in `record` what was done before. A rollback
    is made only when the failed update left the deployment in a known state.
    """
    bundle_id, previous = record.bundle_id, record.previous_bundle
    stop = stop or StopSignal()
    if options.windows is not None and not _within_window(deployer, options.windows, record, stop, may_wait=True):
        return record
    if not _govern_allows(deployer, info, record, options.update.ignore_govern_warnings, where):
        return record
    if options.gate is not None:
        record.verdict = check_gate(deployer, options.gate, bundle_id, where, node_client, info, stop)
        if record.verdict.blocks(options.gate.policy):
            record.outcome = REFUSED
            record.message = "Refused to deploy bundle %s to %s, which was left unchanged: %s" % (
                bundle_id, info.subject, record.verdict.message())
            return record
    if options.signoff is not None:
        record.signoff = options.signoff(bundle_id, info.published_project_key)
        log_signoff(record.signoff)
        if not record.signoff.passed:
            record.outcome = REFUSED
            record.message = "Refused to deploy bundle %s to %s, which was left unchanged: %s" % (
                bundle_id, info.subject, refusal(record.signoff))
            return record
    # The gates may have waited: the window may have closed meanwhile.
    if (options.gate is not None or options.signoff is not None) and options.windows is not None \
            and not _within_window(deployer, options.windows, record, stop, may_wait=False):
        return record
    in_place = None if options.force else is_in_place(deployer, info, bundle_id, where)
    if in_place:
        record.health, record.outcome = in_place, UNCHANGED
        record.message = "%s already runs bundle %s and is %s: nothing to do." % (info.subject, bundle_id, in_place)
        log.info(record.message)
        return record
    outcome = update_to(deployer, info, bundle_id, options.update, where, stop)
    record.health = outcome.health
    if outcome.ok:
        log.info(outcome.story)
        record.outcome, record.message = UPDATED, outcome.story
        return record
    record.outcome, record.message = FAILED, outcome.story
    if not outcome.settled:
        record.message += " It was not rolled back: its state is not known for sure."
        return record
    if outcome.unchanged:
        record.message += " Nothing needs rolling back."
        return record
    if not options.rollback or not previous or previous == bundle_id:
        record.message += (" Rollback is off: fix the deployment by hand." if not options.rollback
                           else " There is no other bundle to roll back to.")
        return record
    log.warning("%s Rolling back %s to bundle %s.", outcome.story, info.subject, previous)
    # What the nodes run now, after the failed update: the settings go back there if the rollback cannot start.
    after = read_deployment(deployer, info.deployment_id, where)
    try:
        back = update_to(deployer, after, previous, options.update, where, stop)
    except PluginError as error:
        record.outcome = ROLLBACK_FAILED
        record.message += (" Rolling back to bundle %s could not start: %s %s runs bundle %s: roll it back by hand "
                           "(update it to bundle %s in the Project Deployer)." % (
                               previous, error, info.subject, after.running_bundle_id or "?", previous))
        return record
    record.health = back.health
    if back.ok:
        record.rolled_back, record.outcome = True, ROLLED_BACK
        record.message += " It was rolled back to bundle %s: %s" % (previous, back.story)
    else:
        record.outcome = ROLLBACK_FAILED
        record.message += " Rolling back to bundle %s failed too: %s Fix the deployment by hand." % (
            previous, back.story)
    return record


def _govern_allows(deployer: DSSClient, info: DeploymentInfo, record: Promotion, ignore_warnings: bool,
                   where: str) -> bool:
    """The Deployer's own Govern check of the bundle on this deployment, read before anything changes: an error
    refuses `record`, and so does a warning unless told to deploy despite it (the Deployer asks for a confirmation
    then); what it says is logged."""
    try:
        policy = govern_check_policy(deployer, info.infra_id, where)
    except PluginError as error:
        raise PluginError("Bundle %s was not deployed to %s, which was left unchanged: the Deployer's Govern check "
                          "could not be read. %s" % (record.bundle_id, info.subject, error)) from error
    if policy == "NO_CHECK":
        return True
    try:
        messages = governance_messages(deployer, info.deployment_id, record.bundle_id, where)
    except PluginError as error:
        if policy in ("PREVENT", "WARN"):
            raise
        # The policy could not be read, and the check answers nothing: the Deployer checks again when it saves.
        log.info("The Deployer's Govern check of bundle %s on %s could not be read: %s", record.bundle_id,
                 info.subject, error)
        return True
    check = "the Deployer's Govern check%s" % (" (policy %s on infrastructure %s)" % (policy, info.infra_id)
                                               if policy else "")
    errors = [m.describe() for m in messages if m.severity == "ERROR"]
    warnings = [m.describe() for m in messages if m.severity == "WARNING"]
    for text in warnings:
        log.warning("The Deployer's Govern check warns about bundle %s on %s: %s", record.bundle_id, info.subject,
                    text)
    if errors or (warnings and not ignore_warnings):
        record.outcome = REFUSED
        record.message = ("Refused to deploy bundle %s to %s, which was left unchanged: %s %s: %s. Have bundle %s "
                          "signed off in Govern, then run the step again%s." % (
                              record.bundle_id, info.subject, check, "blocks it" if errors else "warns",
                              "; ".join(errors or warnings), record.bundle_id,
                              "" if errors else ", or tick 'Deploy despite Govern warnings'"))
        return False
    if warnings:
        log.warning("Deploying bundle %s to %s despite the Govern warnings, as 'Deploy despite Govern warnings' is "
                    "ticked.", record.bundle_id, info.subject)
    return True


def _within_window(deployer: DSSClient, policy: WindowPolicy, record: Promotion, stop: StopSignal,
                   may_wait: bool) -> bool:
    """Whether the deployment may be updated now, on the Deployer's clock, after waiting for the next window when
    allowed; when not, `record` is refused with when the next window opens."""
    give_up = time.monotonic() + (policy.wait_limit if may_wait else 0.0)
    windows = policy.windows
    while True:
        now = datetime.fromtimestamp(server_now_ms(deployer) / 1000.0, timezone.utc)
        check = windows.check(now)
        if check.open:
            return True
        # Woken one Date-header resolution late, so that the Deployer's clock has surely reached the opening (and
        # never sooner than that: a check again at once would find the window as it was).
        wait = (max(0.0, (check.next_open - now).total_seconds()) + DATE_RESOLUTION_MS / 1000.0
                if check.next_open else None)
        if wait is not None and time.monotonic() + wait <= give_up:
            log.info("%s may not be updated now: %s. Waiting %.0fs for the next window, which opens %s.",
                     record.subject, check.reason, wait, windows.show(check.next_open))
            stop.sleep(wait)
            continue
        record.outcome = REFUSED
        if check.next_open is None:
            opens = "No window opens in the next %d days: check the deployment windows and freeze periods." % (
                LOOKAHEAD_DAYS)
        else:
            record.next_window = check.next_open.isoformat()
            opens = "The next window opens %s: run the step then%s." % (
                windows.show(check.next_open),
                "" if not may_wait else ", or let it wait that long ('Wait for the next window up to (s)')")
        record.message = "Refused to deploy bundle %s to %s, which was left unchanged: %s. %s" % (
            record.bundle_id, record.subject, check.reason, opens)
        return False


class PromotionRefused(PluginError):
    """The promotion was refused before anything changed; `verdict_status` is the gate's, when the gate decided."""

    def __init__(self, message: str, verdict_status: str = ""):
        super().__init__(message)
        self.verdict_status = verdict_status


def raise_unless_ok(record: Promotion):
    if record.outcome == REFUSED:
        raise PromotionRefused(record.message, record.verdict.status if record.verdict is not None else "")
    if not record.ok:
        raise PluginError(record.message)
