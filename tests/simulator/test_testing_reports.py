"""Testing status and JUnit/HTML reports over the last finished run of each test scenario."""

from __future__ import annotations

import pytest
from dataikuapi.utils import DataikuException
from dss_simulator import ScenarioSpec

from .helpers import client, parse_xml, wait_for


@pytest.fixture
def project(design):
    project = design.add_project("PK")
    project.add_scenario(ScenarioSpec(id="ok", marked_as_test=True, duration=0.0))
    project.add_scenario(ScenarioSpec(id="bad", marked_as_test=True, duration=0.0, outcome="FAILED"))
    project.add_scenario(ScenarioSpec(id="hang", marked_as_test=True, hangs=True))
    project.add_scenario(ScenarioSpec(id="notatest", duration=0.0, outcome="FAILED"))
    return project


def run_all(design, ids):
    api = client(design).get_project("PK")
    for sid in ids:
        api.get_scenario(sid).run()
    return api


def test_no_runs_means_zero_ran(design, project):
    status = client(design).get_project("PK").get_testing_status()
    assert status.get_raw() == {"nbTotalRanScenarios": 0, "nbScenariosPerOutcome": {}}


def test_status_counts_the_last_finished_run_of_each_test_scenario(design, project):
    api = run_all(design, ["ok", "bad", "hang", "notatest"])
    wait_for(lambda: all(design.runs("PK", s)[-1].outcome for s in ("ok", "bad")))
    status = api.get_testing_status()
    # the running one does not count yet; zero counts are omitted; non-test scenarios are ignored
    assert status.nb_total_ran_scenarios == 2
    assert status.nb_scenarios_per_outcome == {"SUCCESS": 1, "FAILED": 1}
    api.get_scenario("hang").abort()
    assert api.get_testing_status().nb_scenarios_per_outcome == {"SUCCESS": 1, "FAILED": 1, "ABORTED": 1}


def test_last_runs_junit_has_a_testcase_per_test_scenario(design, project):
    api = run_all(design, ["ok", "bad", "hang"])
    wait_for(lambda: all(design.runs("PK", s)[-1].outcome for s in ("ok", "bad")))
    api.get_scenario("hang").abort()
    root = parse_xml(api.get_last_test_scenario_runs_report().content)
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    assert root.get("tests") == "3"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"ok", "bad", "hang"}
    assert cases["bad"].find("failure") is not None and cases["bad"].get("classname") == "PK.bad"
    assert cases["hang"].find("error") is not None
    assert cases["ok"].find("failure") is None and float(cases["ok"].get("time")) >= 0
    html = api.get_last_test_scenario_runs_html_report().text
    assert "<table>" in html and "bad" in html


def test_run_report_is_junit_for_one_run(design, project):
    api = client(design).get_project("PK")
    run = api.get_scenario("bad").run_and_wait(no_fail=True)
    suite = parse_xml(run.get_report().content).find("testsuite")
    assert suite.get("failures") == "1" and suite.find("testcase").get("name") == "bad"
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["runId"] == run.id


def test_run_report_of_a_non_test_scenario_is_refused(design, project):
    run = client(design).get_project("PK").get_scenario("notatest").run_and_wait(no_fail=True)
    with pytest.raises(DataikuException, match="not marked as a test"):
        run.get_report()


def test_step_runs_become_testcases(design, project):
    ctx = design.start_step_context("PK", "ok")
    step = ctx.start_step("s1", "First", "custom_python")
    ctx.end_step(step, "FAILED", error="boom")
    ctx.end_step(ctx.start_step("s2", "Second"), "SUCCESS")
    ctx.finish("FAILED")
    run = client(design).get_project("PK").get_scenario("ok").get_run(ctx.run_id)
    details = run.get_details()
    assert [s.outcome for s in details.steps] == ["FAILED", "SUCCESS"]
    assert details.first_error_details["message"] == "boom"
    suite = parse_xml(run.get_report().content).find("testsuite")
    assert [c.get("name") for c in suite.findall("testcase")] == ["First", "Second"]
    assert suite.get("failures") == "1"
    one = parse_xml(run.get_step_run_report("s2").content).find("testsuite")
    assert one.get("tests") == "1" and one.get("failures") == "0"
