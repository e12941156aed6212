"""The Govern sign-off gate: a bundle may go on only when the sign-off of one workflow step of its Govern bundle is
APPROVED. A pending sign-off (or a bundle Govern has not synced yet) is re-checked until a deadline, like the test
gate; a rejected or abandoned one, an ungoverned bundle or a missing sign-off step fail.
"""

import logging
import time
from dataclasses import dataclass, replace
from typing import Dict, Optional

from ..dss.govern import (
    APPROVED,
    NOT_SYNCED,
    PENDING_STATUSES,
    REFUSED_STATUSES,
    BundleRef,
    GovernBundle,
    GovernClient,
    SignoffState,
    find_govern_bundle,
    read_signoff,
)
from ..dss.interrupts import StopSignal
from .check import Recheck, recheck_until

log = logging.getLogger(__name__)

DEFAULT_STEP = "review"

SIGNED_OFF = "APPROVED"
PENDING = "PENDING"
NOT_SIGNED_OFF = "FAIL"


@dataclass(frozen=True)
class SignoffSpec:
    """Require the sign-off of `step_id` of the bundle's Govern bundle to be APPROVED."""

    step_id: str = DEFAULT_STEP
    recheck: Recheck = Recheck()
    node_id: str = ""    # the node the bundle was created on, as Govern knows it; "" for the node the step runs on


@dataclass(frozen=True)
class FeedbackSpec:
    """Post the QA verdict as feedback for `group_id` on the sign-off of `step_id`; attach the reports to the Govern
    bundle's File field `file_field` when it is given."""

    group_id: str
    step_id: str
    file_field: str = ""


@dataclass(frozen=True)
class SignoffVerdict:
    status: str                      # SIGNED_OFF, PENDING or NOT_SIGNED_OFF
    ref: BundleRef
    step_id: str
    reason: str
    govern_bundle: str = ""
    signoff: Optional[SignoffState] = None
    waited_s: float = 0.0            # how long the gate waited while the sign-off was pending

    @property
    def passed(self) -> bool:
        return self.status == SIGNED_OFF

    def message(self) -> str:
        return "Govern sign-off %s for %s: %s" % (self.status, self.ref.describe(), self.reason)

    def variables(self, prefix: str) -> Dict[str, object]:
        signoff = self.signoff
        values = {"signoff": self.status, "signoff_status": signoff.status if signoff else "",
                  "signoff_by": signoff.answered_by if signoff else "",
                  "signoff_on": signoff.answered_on if signoff else "",
                  "govern_bundle": self.govern_bundle, "signoff_message": self.message()}
        return {"%s_%s" % (prefix, k): v for k, v in values.items()}


def judge(found: GovernBundle, signoff: Optional[SignoffState], step_id: str) -> SignoffVerdict:
    """The verdict on what Govern said: fail closed on any status that is not known to be pending."""
    ref = found.ref
    if not found.found:
        if found.missing == NOT_SYNCED:
            return SignoffVerdict(PENDING, ref, step_id, "Govern has not synced it yet (%s). Sync is asynchronous: "
                                  "wait, or have a DSS administrator force a sync of project %s (DSS 14.3+)."
                                  % (found.detail, ref.project_key))
        return SignoffVerdict(NOT_SIGNED_OFF, ref, step_id, "it is not governed (%s). Govern project %s in Dataiku "
                              "Govern, so that its bundles get a sign-off, or leave the Govern sign-off off."
                              % (found.detail, ref.project_key))
    status = signoff.status if signoff else ""
    where = "the sign-off of step %s of Govern bundle %s" % (step_id, found.artifact_id)
    if not status:
        return SignoffVerdict(NOT_SIGNED_OFF, ref, step_id, "Govern bundle %s has no sign-off on workflow step %s. "
                              "Check the step id in the settings (the standard workflow's is '%s')."
                              % (found.artifact_id, step_id, DEFAULT_STEP), found.artifact_id, signoff)
    if status == APPROVED:
        by = " by %s" % signoff.answered_by if signoff.answered_by else ""
        on = " on %s" % signoff.answered_on if signoff.answered_on else ""
        return SignoffVerdict(SIGNED_OFF, ref, step_id, "%s is APPROVED%s%s." % (where, by, on), found.artifact_id,
                              signoff)
    if status in PENDING_STATUSES:
        return SignoffVerdict(PENDING, ref, step_id, "%s is %s: it needs its final approval in Govern."
                              % (where, status), found.artifact_id, signoff)
    if status in REFUSED_STATUSES:
        by = " by %s" % signoff.answered_by if signoff.answered_by else ""
        said = ": %r" % signoff.comment if signoff.comment else ""
        return SignoffVerdict(NOT_SIGNED_OFF, ref, step_id, "%s is %s%s%s. Address the review, build a new bundle "
                              "and have it signed off." % (where, status, by, said), found.artifact_id, signoff)
    return SignoffVerdict(NOT_SIGNED_OFF, ref, step_id, "%s has the status %r, which the plugin does not know: only "
                          "APPROVED lets a bundle through. Check the sign-off in Govern." % (where, status),
                          found.artifact_id, signoff)


def check_signoff(gc: GovernClient, ref: BundleRef, spec: SignoffSpec, where: str,
                  stop: Optional[StopSignal] = None) -> SignoffVerdict:
    """The sign-off verdict for `ref`, re-checked while pending until `spec.recheck.until` seconds have passed."""
    def decide() -> SignoffVerdict:
        found = find_govern_bundle(gc, ref, where)
        return judge(found, read_signoff(gc, found.artifact_id, spec.step_id, where) if found.found else None,
                     spec.step_id)

    start = time.monotonic()
    verdict = recheck_until(decide, lambda v: v.status == PENDING, lambda v: v.message().rstrip("."),
                            spec.recheck, stop)
    return replace(verdict, waited_s=time.monotonic() - start)


def refusal(verdict: SignoffVerdict) -> str:
    """Why the sign-off gate stops the bundle, with the next action."""
    if verdict.status == PENDING and verdict.waited_s >= 1:
        return verdict.message() + (" It was still pending after %.0fs: have it approved in Govern, then run the "
                                    "step again, or raise 'Wait for a pending sign-off up to (s)'." % verdict.waited_s)
    if verdict.status == PENDING:
        return verdict.message() + " Have it approved in Govern, then run it again."
    return verdict.message()


def log_signoff(verdict: SignoffVerdict):
    if verdict.passed:
        log.info(verdict.message())
    else:
        log.warning(verdict.message())
    if verdict.signoff is not None and verdict.signoff.raw_answer and not verdict.signoff.answered_by:
        # [U] Govern's keys for who answered are not documented: what it said is shown as it came.
        log.info("Govern's final-approval answer: %s", verdict.signoff.raw_answer)
