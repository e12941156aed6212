"""Run results fail closed: an outcome passes only when it is in the allowed set."""

from test_gated_deployment.testing.results import NodeCounts, RunSummary, ScenarioResult


def result(outcome, **kw):
    return ScenarioResult(scenario_id="t1", scenario_name="T1", project_key="P", node="qa", outcome=outcome, **kw)


def test_an_outcome_the_plugin_does_not_know_is_a_failure():
    summary = RunSummary([result("SUCCESS"), result("SKIPPED")])
    assert summary.outcome == "FAILED"
    assert [r.outcome for r in summary.failures] == ["SKIPPED"]
    assert summary.counts()["failed"] == 1 and summary.counts()["passed"] == 1


def test_unknown_outcomes_through_the_deployer_fail_too():
    summary = RunSummary([], node_counts=[NodeCounts("qa", "P", {"SUCCESS": 3, "WEIRD": 1})])
    assert summary.outcome == "FAILED" and summary.counts()["failed"] == 1


def test_warning_passes_unless_it_is_refused():
    assert RunSummary([result("WARNING")]).outcome == "WARNING"
    assert RunSummary([result("WARNING")], fail_on_warning=True).outcome == "FAILED"
    assert result("UNKNOWN", attempt_outcomes=["FAILED", "UNKNOWN"]).flaky is False
