"""The one gate engine: PASS, FAIL or INCONCLUSIVE for one bundle, from the test evidence of every node.

The assert step, the deploy step's gate and the macros all call `evaluate`. A gate passes only on evidence:
enough results, none failed or aborted, all for this bundle, and fresh. Each rule is one function of `RULES`; a
rule finds reasons to FAIL, reasons to call the verdict INCONCLUSIVE, and notes.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..testing.results import ABORTED, FAILED, NOT_RUN, SUCCESS, WARNING
from .junit import CaseResult

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
    project_key: str = ""         # the project whose tests these are, on that node
    url: Optional[str] = None     # the node's base URL, for links, when known
    # DSS's last-test-runs JUnit report the cases were read from, as it came.
    report: Optional[bytes] = field(default=None, repr=False, compare=False)


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
    # What the verdict was judged on, for the record a change board keeps.
    policy: GatePolicy = field(default_factory=GatePolicy)
    evidence: Optional[GateEvidence] = None

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


@dataclass
class _Findings:
    fails: List[str] = field(default_factory=list)
    unsure: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def _count(node: NodeEvidence, outcome: str) -> int:
    return int(node.per_outcome.get(outcome, 0) or 0)


def _failed_or_aborted(node: NodeEvidence, where: str, evidence: GateEvidence, policy: GatePolicy, found: _Findings):
    """Any FAILED or ABORTED evidence fails the gate, whichever source shows it: the counts or the report."""
    failed, aborted = _count(node, FAILED), _count(node, ABORTED)
    bad_cases = [c for c in node.cases or [] if c.outcome in (FAILED, ABORTED)]
    named = " (%s)" % ", ".join("%s %s" % (c.scenario_id, c.outcome) for c in bad_cases) if bad_cases else ""
    if failed or aborted:
        counted = " and ".join("%d %s" % (n, o) for n, o in ((failed, FAILED), (aborted, ABORTED)) if n)
        found.fails.append("%s test scenario(s) for %s%s." % (counted, where, named))
    elif bad_cases:
        found.fails.append("The test report for %s shows failures%s that the testing status does not count."
                           % (where, named))


def _warnings(node: NodeEvidence, where: str, evidence: GateEvidence, policy: GatePolicy, found: _Findings):
    warnings = _count(node, WARNING)
    if not warnings:
        return
    warned = [c.scenario_id for c in node.cases or [] if c.outcome == WARNING]
    text = "%d test scenario(s) in WARNING for %s%s." % (warnings, where, " (%s)" % ", ".join(warned) if warned else "")
    if policy.fail_on_warning:
        found.fails.append(text)
    else:
        found.notes.append(text + " Allowed: 'Fail on WARNING' is off.")


def _unknown_outcomes(node: NodeEvidence, where: str, evidence: GateEvidence, policy: GatePolicy, found: _Findings):
    unknown = sorted(k for k, v in node.per_outcome.items() if v and k not in KNOWN_OUTCOMES)
    if unknown:
        # Fail closed: only the outcomes the gate knows as clean pass, and "allow inconclusive" does not waive these.
        found.fails.append("Outcome(s) %s for %s are unknown to the gate, so they cannot count as clean."
                           % (", ".join(unknown), where))


def _too_few_results(node: NodeEvidence, where: str, evidence: GateEvidence, policy: GatePolicy, found: _Findings):
    if node.total >= policy.min_results:
        return
    text = "Only %d test result(s) for %s; at least %d needed." % (node.total, where, policy.min_results)
    if node.other_bundle_with_results:
        text += " Results exist for bundle %s instead: run the tests for this bundle." % node.other_bundle_with_results
    else:
        text += " Run the test scenarios there first."
    found.unsure.append(text)


def _stale_results(node: NodeEvidence, where: str, evidence: GateEvidence, policy: GatePolicy, found: _Findings):
    """Results older than the deployment's last update or than the maximum age; a note when their age is unknown."""
    stamps = [c.timestamp_ms for c in node.cases or [] if c.timestamp_ms]
    if not stamps:
        if node.total and (evidence.last_update_ms or policy.max_age_s):
            found.notes.append("The age of the results for %s could not be read; freshness was not checked." % where)
        return
    oldest = min(stamps)
    if evidence.last_update_ms and oldest < evidence.last_update_ms:
        stale = [c.scenario_id for c in node.cases if c.timestamp_ms and c.timestamp_ms < evidence.last_update_ms]
        found.unsure.append("Stale results for %s: %s ran before the last update of %s. Run the tests again."
                            % (where, ", ".join(stale), evidence.subject))
    if policy.max_age_s and evidence.now_ms and (evidence.now_ms - oldest) / 1000.0 > policy.max_age_s:
        found.unsure.append("Results for %s are older than the maximum age of %.0fs. Run the tests again."
                            % (where, policy.max_age_s))


def _never_ran(node: NodeEvidence, where: str, evidence: GateEvidence, policy: GatePolicy, found: _Findings):
    if node.expected_tests is None or node.cases is None:
        return
    seen = {name for c in node.cases if c.outcome != NOT_RUN for name in c.names}
    missing = [t for t in node.expected_tests if t not in seen]
    if missing:
        found.unsure.append("Test scenario(s) %s never ran for %s." % (", ".join(missing), where))


RULES = (_failed_or_aborted, _warnings, _unknown_outcomes, _too_few_results, _stale_results, _never_ran)


def evaluate(evidence: GateEvidence, policy: GatePolicy) -> Verdict:
    found = _Findings()
    counts = {"total": 0, "failed": 0, "aborted": 0, "warnings": 0}
    bundle = evidence.bundle_id or "(the active one)"
    for node in evidence.nodes:
        where = "bundle %s on %s (%s)" % (bundle, node.node, evidence.subject)
        counts["total"] += node.total
        counts["failed"] += _count(node, FAILED)
        counts["aborted"] += _count(node, ABORTED)
        counts["warnings"] += _count(node, WARNING)
        found.notes.extend(node.notes)
        for rule in RULES:
            rule(node, where, evidence, policy, found)
    status = FAIL if found.fails else INCONCLUSIVE if found.unsure else PASS
    return Verdict(status=status, bundle_id=evidence.bundle_id, subject=evidence.subject,
                   reasons=found.fails + found.unsure, notes=found.notes, counts=counts, policy=policy,
                   evidence=evidence)
