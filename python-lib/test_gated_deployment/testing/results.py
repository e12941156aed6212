"""Results of test scenario runs, and the summary a step turns into its outcome, log and variables."""

from dataclasses import dataclass, field
from typing import Dict, List, Optional

SUCCESS = "SUCCESS"
WARNING = "WARNING"
FAILED = "FAILED"
ABORTED = "ABORTED"
# Not a DSS outcome: the step decided not to run the scenario (fail-fast, deadline, already running).
NOT_RUN = "NOT_RUN"
# Not a DSS outcome: a run ended without saying how.
UNKNOWN_OUTCOME = "UNKNOWN"
# The outcomes that pass; any other one, known or not, is a failure (WARNING only when allowed).
CLEAN = (SUCCESS, WARNING)
_NAMED_FAILURES = (FAILED, ABORTED, NOT_RUN)


def is_clean(outcome: str, fail_on_warning: bool) -> bool:
    return outcome == SUCCESS or (outcome == WARNING and not fail_on_warning)


@dataclass
class ScenarioResult:
    scenario_id: str
    scenario_name: str
    project_key: str
    node: str
    outcome: str
    attempts: int = 0
    duration: float = 0.0
    run_id: Optional[str] = None
    message: str = ""
    # Outcomes of every attempt, oldest first: a pass after a failure is a flaky pass.
    attempt_outcomes: List[str] = field(default_factory=list)
    junit_xml: Optional[bytes] = None   # DSS's report of the last attempt's run
    node_key: str = "this-node"
    node_url: Optional[str] = None

    @property
    def flaky(self) -> bool:
        return self.outcome in CLEAN and any(o not in CLEAN for o in self.attempt_outcomes)

    def is_failure(self, fail_on_warning: bool) -> bool:
        return not is_clean(self.outcome, fail_on_warning)

    @property
    def label(self) -> str:
        return "%s (project %s on %s)" % (self.scenario_id, self.project_key, self.node)


@dataclass
class NodeCounts:
    """Outcome counts for a node whose tests ran through the Deployer, which gives no per-scenario results."""

    node: str
    project_key: str
    per_outcome: Dict[str, int]
    problem: str = ""   # set when the step could not see the tests finish

    def count(self, outcome: str) -> int:
        return int(self.per_outcome.get(outcome, 0) or 0)

    def is_failure(self, fail_on_warning: bool) -> bool:
        bad = sum(n for outcome, n in self.per_outcome.items() if n and not is_clean(outcome, fail_on_warning))
        return bool(bad or self.problem)


@dataclass
class RunSummary:
    results: List[ScenarioResult]
    fail_on_warning: bool = False
    deadline_exceeded: bool = False
    notes: List[str] = field(default_factory=list)
    node_counts: List[NodeCounts] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome) + sum(n.count(outcome) for n in self.node_counts)

    def count_unknown(self) -> int:
        """Results whose outcome the plugin does not know: failures too."""
        known = CLEAN + _NAMED_FAILURES
        return (sum(1 for r in self.results if r.outcome not in known)
                + sum(v for n in self.node_counts for k, v in n.per_outcome.items() if k not in known))

    @property
    def failures(self) -> List[ScenarioResult]:
        return [r for r in self.results if r.is_failure(self.fail_on_warning)]

    @property
    def failing_nodes(self) -> List[NodeCounts]:
        return [n for n in self.node_counts if n.is_failure(self.fail_on_warning)]

    @property
    def flaky(self) -> List[ScenarioResult]:
        return [r for r in self.results if r.flaky]

    @property
    def outcome(self) -> str:
        if self.failures or self.failing_nodes or self.deadline_exceeded:
            return FAILED
        if self.count(WARNING):
            return WARNING
        return SUCCESS

    def counts(self) -> Dict[str, int]:
        return {
            "total": len(self.results) + sum(sum(n.per_outcome.values()) for n in self.node_counts),
            "passed": self.count(SUCCESS),
            "warnings": self.count(WARNING),
            "failed": self.count(FAILED) + self.count_unknown(),
            "aborted": self.count(ABORTED),
            "not_run": self.count(NOT_RUN),
            "flaky": len(self.flaky),
        }

    def headline(self) -> str:
        c = self.counts()
        return "%s: %d test scenario(s), %d passed, %d warning(s), %d failed, %d aborted, %d not run, %d flaky" % (
            self.outcome, c["total"], c["passed"], c["warnings"], c["failed"], c["aborted"], c["not_run"], c["flaky"]
        )

    def table(self) -> str:
        """A fixed-width table for the step log: one line per scenario."""
        rows = [("NODE", "PROJECT", "SCENARIO", "OUTCOME", "DURATION", "ATTEMPTS", "NOTE")]
        for n in self.node_counts:
            counts = ", ".join("%d %s" % (v, k) for k, v in sorted(n.per_outcome.items()) if v) or "no results"
            rows.append((n.node, n.project_key, "(through the Deployer)", counts, "", "", n.problem))
        for r in self.results:
            note = "flaky" if r.flaky else ""
            if r.message:
                note = (note + "; " if note else "") + r.message
            rows.append((r.node, r.project_key, r.scenario_id, r.outcome, "%.1fs" % r.duration, str(r.attempts), note))
        widths = [max(len(row[i]) for row in rows) for i in range(6)]
        lines = []
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(6)] + [row[6]]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    def failure_message(self, where: str) -> str:
        """The step failure message: what failed, where, and what to do next."""
        parts = []
        failures = self.failures
        if failures:
            listed = "; ".join(
                "%s %s%s" % (r.label, r.outcome, " (%s)" % r.message if r.message else "") for r in failures[:20]
            )
            more = " and %d more" % (len(failures) - 20) if len(failures) > 20 else ""
            parts.append("%d test scenario(s) did not pass on %s: %s%s." % (len(failures), where, listed, more))
        for node in self.failing_nodes:
            counts = ", ".join("%d %s" % (v, k) for k, v in sorted(node.per_outcome.items()) if v) or "no results"
            parts.append("Tests of %s on %s: %s%s." % (where, node.node, counts,
                                                       " (%s)" % node.problem if node.problem else ""))
        if self.deadline_exceeded:
            parts.append("The step deadline passed; the runs still in flight were aborted.")
        parts.extend(self.notes)
        parts.append("Open the failing runs (Scenarios > Last runs) to see why, fix them, then run the step again.")
        return " ".join(parts)

    def variables(self, prefix: str) -> Dict[str, object]:
        """Scenario variables for later steps, run conditions and reporters."""
        c = self.counts()
        values: Dict[str, object] = {"outcome": self.outcome, "summary": self.headline()}
        values.update(c)
        values["failed_ids"] = [r.scenario_id for r in self.failures]
        values["flaky_ids"] = [r.scenario_id for r in self.flaky]
        values["results"] = [
            {"node": r.node, "project": r.project_key, "scenario": r.scenario_id, "outcome": r.outcome,
             "attempts": r.attempts, "flaky": r.flaky, "duration": round(r.duration, 3), "runId": r.run_id}
            for r in self.results
        ]
        return {"%s_%s" % (prefix, k): v for k, v in values.items()}
