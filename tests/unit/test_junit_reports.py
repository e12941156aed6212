"""The JUnit the plugin writes: counts CI tools agree with, Surefire's rerun and flaky elements, the schema's rules."""

from junit_rules import schema_problems
from junitparser.xunit2 import JUnitXml
from test_gated_deployment.reports.junit import junit_by_node
from test_gated_deployment.testing.results import RunSummary, ScenarioResult

DSS_REPORT = b"""<testsuites><testsuite name="SHOP.t_fail" tests="2" failures="1" errors="0">
<testcase name="Load" classname="SHOP.t_fail"/>
<testcase name="Check totals" classname="SHOP.t_fail">
<failure message="Check totals failed">sum was 41, not 42</failure></testcase></testsuite></testsuites>"""


def result(sid, outcome, attempts=("x",), **kw):
    outcomes = list(attempts) if attempts != ("x",) else [outcome]
    return ScenarioResult(scenario_id=sid, scenario_name=sid, project_key="SHOP", node="qa node", outcome=outcome,
                          attempts=len(outcomes), attempt_outcomes=outcomes, node_key="qa-infra", **kw)


SUMMARY = RunSummary([
    result("t_pass", "SUCCESS", duration=1.5, run_id="r1"),
    result("t_flaky", "SUCCESS", attempts=("FAILED", "SUCCESS"), duration=3.0, run_id="r2"),
    result("t_fail", "FAILED", attempts=("FAILED", "FAILED"), duration=4.0, run_id="r3", junit_xml=DSS_REPORT),
    result("t_slow", "ABORTED", duration=60.0, run_id="r4", message="timed out after 60s and was aborted"),
    result("t_skip", "NOT_RUN", attempts=(), message="not started: fail-fast after t_fail ended FAILED"),
])


def parsed():
    [(key, document)] = junit_by_node(SUMMARY).items()
    return key, document, JUnitXml.fromstring(document)


def test_one_document_per_node_named_by_its_key_and_counts_that_match_the_summary():
    key, document, xml = parsed()
    assert key == "qa-infra"
    counts = SUMMARY.counts()
    [suite] = list(xml)
    assert suite.tests == counts["total"] == 5
    assert suite.failures == counts["failed"] == 1 and suite.errors == counts["aborted"] == 1
    assert suite.skipped == counts["not_run"] == 1
    assert xml.tests == 5 and xml.failures == 1 and xml.errors == 1


def test_retries_show_as_surefire_does_them():
    _, _, xml = parsed()
    cases = {case.name: case for suite in xml for case in suite}
    assert cases["t_flaky"].is_flaky and not cases["t_flaky"].result
    assert [f.message for f in cases["t_flaky"].flaky_failures()] == ["attempt 1 ended FAILED"]
    assert cases["t_fail"].is_rerun and cases["t_fail"].time == 4.0  # the time of every attempt
    assert cases["t_skip"].is_skipped and "fail-fast" in cases["t_skip"].result[0].message


def test_a_failure_names_the_failing_step_and_its_error():
    _, _, xml = parsed()
    [failure] = [case for suite in xml for case in suite if case.name == "t_fail"][0].result
    assert failure.message == "t_fail ended FAILED at step Check totals" and failure.type == "FAILED"
    assert failure.text == "Check totals failed"


def test_the_document_keeps_the_jenkins_xunit_schema_rules():
    _, document, _ = parsed()
    assert schema_problems(document) == []
    assert schema_problems(b'<testsuites skipped="1"><testsuite name="s" tests="1" failures="0" errors="0">'
                           b'<testcase name="c" timestamp="x"><properties/></testcase></testsuite></testsuites>') == [
        "testsuites@skipped", "testcase@timestamp", "properties in testcase"]
