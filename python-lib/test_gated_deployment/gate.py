"""The one gate engine: PASS, FAIL or INCONCLUSIVE for one bundle, from the test evidence of every node.

The assert step, the deploy step's gate and the macros all call `evaluate`. A gate passes only on evidence:
enough results, none failed or aborted, all for this bundle, and fresh.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .junit import CaseResult
from .results import ABORTED, FAILED, NOT_RUN, SUCCESS, WARNING

KNOWN_OUTCOMES = (SUCCESS, WARNING, FAILED, ABORTED)

PASS = "PASS"  # noqa: S105 - a verdict, not a password
FAIL = "FAIL"
INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class GatePolicy:
    min_results: int = 1
    fail_on_warning: bool = False
    allow_inconclusive: bool = False
    max_age_s: Optional[float] = None


@dataclass
class NodeEvidence:
    """What one Automation node (or the project's node) says about one bundle."""

    node: str
    total: int
    per_outcome: Dict[str, int]
    # Per-scenario results from the last-test-runs JUnit report, when a node connection gives it.
    cases: Optional[List[CaseResult]] = None
    # The test scenarios that exist on the node, when a node connection lists them.
    expected_tests: Optional[List[str]] = None
    # A bundle that has results on this node when the gated bundle has none.
    other_bundle_with_results: Optional[str] = None
    notes: List[str] = field(default_factory=list)


@dataclass
class GateEvidence:
    subject: str               # "deployment SHOP-on-qa" or "project SHOP on this node"
    bundle_id: Optional[str]
    nodes: List[NodeEvidence]
    last_update_ms: Optional[int] = None
    now_ms: int = 0


@dataclass
class Verdict:
    status: str
    bundle_id: Optional[str]
    subject: str
    reasons: List[str]
    notes: List[str]
    counts: Dict[str, int]

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def blocks(self, policy: GatePolicy) -> bool:
        return self.status == FAIL or (self.status == INCONCLUSIVE and not policy.allow_inconclusive)

    def message(self) -> str:
        head = "Test gate %s for %s of %s" % (
            self.status, "bundle %s" % self.bundle_id if self.bundle_id else "the active bundle", self.subject)
        if not self.reasons:
            return head + ": %d result(s), all clean." % self.counts.get("total", 0)
        return head + ": " + " ".join(self.reasons)

    def variables(self, prefix: str) -> Dict[str, object]:
        values = {"verdict": self.status, "bundle": self.bundle_id or "", "subject": self.subject,
                  "reasons": list(self.reasons), "message": self.message()}
        values.update(self.counts)
        return {"%s_%s" % (prefix, k): v for k, v in values.items()}


def evaluate(evidence: GateEvidence, policy: GatePolicy) -> Verdict:
    fails: List[str] = []
    unsure: List[str] = []
    notes: List[str] = []
    counts = {"total": 0, "failed": 0, "aborted": 0, "warnings": 0}
    bundle = evidence.bundle_id or "(the active one)"
    for node in evidence.nodes:
        where = "bundle %s on %s (%s)" % (bundle, node.node, evidence.subject)
        failed = int(node.per_outcome.get(FAILED, 0) or 0)
        aborted = int(node.per_outcome.get(ABORTED, 0) or 0)
        warnings = int(node.per_outcome.get(WARNING, 0) or 0)
        counts["total"] += node.total
        counts["failed"] += failed
        counts["aborted"] += aborted
        counts["warnings"] += warnings
        notes.extend(node.notes)
        bad_cases = [c for c in node.cases or [] if c.outcome in (FAILED, ABORTED)]
        named = " (%s)" % ", ".join("%s %s" % (c.scenario_id, c.outcome) for c in bad_cases) if bad_cases else ""
        if failed or aborted:
            counted = " and ".join("%d %s" % (n, o) for n, o in ((failed, FAILED), (aborted, ABORTED)) if n)
            fails.append("%s test scenario(s) for %s%s." % (counted, where, named))
        if warnings:
            warned = [c.scenario_id for c in node.cases or [] if c.outcome == WARNING]
            text = "%d test scenario(s) in WARNING for %s%s." % (
                warnings, where, " (%s)" % ", ".join(warned) if warned else "")
            if policy.fail_on_warning:
                fails.append(text)
            else:
                notes.append(text + " Allowed: 'Fail on WARNING' is off.")
        unknown = sorted(k for k, v in node.per_outcome.items() if v and k not in KNOWN_OUTCOMES)
        if unknown:
            unsure.append("Outcome(s) %s for %s are unknown to the gate, so they cannot count as clean."
                          % (", ".join(unknown), where))
        if node.total < policy.min_results:
            text = "Only %d test result(s) for %s; at least %d needed." % (node.total, where, policy.min_results)
            if node.other_bundle_with_results:
                text += " Results exist for bundle %s instead: run the tests for this bundle." % (
                    node.other_bundle_with_results)
            else:
                text += " Run the test scenarios there first."
            unsure.append(text)
        stale, freshness_notes = _freshness(node, where, evidence, policy)
        unsure.extend(stale)
        notes.extend(freshness_notes)
        if node.expected_tests is not None and node.cases is not None:
            seen = {name for c in node.cases if c.outcome != NOT_RUN for name in c.names}
            missing = [t for t in node.expected_tests if t not in seen]
            if missing:
                unsure.append("Test scenario(s) %s never ran for %s." % (", ".join(missing), where))
    status = FAIL if fails else INCONCLUSIVE if unsure else PASS
    return Verdict(status=status, bundle_id=evidence.bundle_id, subject=evidence.subject,
                   reasons=fails + unsure, notes=notes, counts=counts)


def _freshness(node: NodeEvidence, where: str, evidence: GateEvidence, policy: GatePolicy):
    """Reasons to call the results stale, and notes when their age cannot be read."""
    stamps = [c.timestamp_ms for c in node.cases or [] if c.timestamp_ms]
    if not stamps:
        if node.total and (evidence.last_update_ms or policy.max_age_s):
            return [], ["The age of the results for %s could not be read; freshness was not checked." % where]
        return [], []
    oldest = min(stamps)
    reasons = []
    if evidence.last_update_ms and oldest < evidence.last_update_ms:
        stale = [c.scenario_id for c in node.cases if c.timestamp_ms and c.timestamp_ms < evidence.last_update_ms]
        reasons.append("Stale results for %s: %s ran before the last update of %s. Run the tests again."
                       % (where, ", ".join(stale), evidence.subject))
    if policy.max_age_s and evidence.now_ms and (evidence.now_ms - oldest) / 1000.0 > policy.max_age_s:
        reasons.append("Results for %s are older than the maximum age of %.0fs. Run the tests again."
                       % (where, policy.max_age_s))
    return reasons, []
