"""Run test scenarios on a Project Deployer deployment: its Automation nodes, reached through presets or the
Deployer, with parallelism, retries, fail-fast, the already-running policies and JUnit reports."""

import pytest
from dss_simulator import ScenarioSpec
from junit_rules import schema_problems
from junitparser.xunit2 import JUnitXml
from stepkit import run_plugin_step
from worlds import PROJECT, build_estate, make_tests, preset_ref, report_folders

STEP = "run-test-scenarios"


def deployment_config(estate, **extra):
    config = {"target": "deployment", "deployment_id": "SHOP-on-qa",
              "automation_nodes": [preset_ref(n.node_id) for n in estate.qa_nodes]}
    config.update(extra)
    return config


def run(estate, config, **kw):
    return run_plugin_step(estate.design, STEP, PROJECT, config, presets=estate.presets(), **kw)


def test_one_of_six_fails_names_scenario_deployment_and_node(sim):
    estate = build_estate(sim, make_tests(6, test_4={"outcome": "FAILED"}))
    out = run(estate, deployment_config(estate, parallelism=3))
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "test_4" in message and "SHOP-on-qa" in message and "Automation node" in message
    assert "qa-infra" in message
    assert out.variables["tests_failed_ids"] == ["test_4"]
    assert out.variables["tests_passed"] == 5
    assert estate.qa.active_runs() == []


def test_flaky_scenario_passes_on_retry_and_is_reported(sim):
    estate = build_estate(sim, make_tests(3, test_2={"fail_first": 1}))
    out = run(estate, deployment_config(estate, parallelism=3, retries=1))
    assert out.ok, out.log
    assert out.variables["tests_flaky_ids"] == ["test_2"]
    assert out.variables["tests_flaky"] == 1
    assert "flaky" in out.log
    assert [r.outcome for r in estate.qa.runs(PROJECT, "test_2")] == ["FAILED", "SUCCESS"]


def test_fail_fast_aborts_runs_in_flight(sim):
    estate = build_estate(sim, make_tests(6, duration=5.0, test_1={"outcome": "FAILED", "duration": 0.05}))
    out = run(estate, deployment_config(estate, parallelism=3, fail_fast=True))
    assert not out.ok
    assert estate.qa.active_runs() == []
    outcomes = {sid: [r.outcome for r in estate.qa.runs(PROJECT, sid)] for sid in
                ("test_1", "test_2", "test_3", "test_4")}
    assert outcomes["test_1"] == ["FAILED"]
    assert outcomes["test_2"] == ["ABORTED"] and outcomes["test_3"] == ["ABORTED"]
    assert outcomes["test_4"] == []  # never started
    assert out.variables["tests_not_run"] == 3


def test_multi_node_failure_names_the_node(sim):
    estate = build_estate(sim, make_tests(2), qa_nodes=2)
    estate.qa_nodes[1].project(PROJECT).add_scenario(
        ScenarioSpec(id="test_2", name="Test 2", marked_as_test=True, duration=0.05, outcome="FAILED"))
    out = run(estate, deployment_config(estate, parallelism=2))
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "Automation node qa2" in message and "test_2" in message
    assert "Automation node qa1" not in message
    assert len(estate.qa_nodes[0].runs(PROJECT, "test_1")) == 1 and len(estate.qa_nodes[1].runs(PROJECT, "test_1")) == 1


def test_junit_per_node_counts_what_the_step_handled(sim, tmp_path):
    # Per node: a pass, a flaky pass, a failure, and (fail-fast, one at a time) a scenario never started.
    estate = build_estate(sim, make_tests(4, test_2={"fail_first": 1}, test_3={"outcome": "FAILED"}), qa_nodes=2)
    folders = report_folders(estate.design, tmp_path, "reports")
    out = run(estate, deployment_config(estate, parallelism=1, retries=1, fail_fast=True, report_folder="reports"))
    assert not out.ok
    files = sorted(p for p in (folders / "reports").rglob("*") if p.is_file())
    assert sorted(p.name for p in files if p.suffix == ".xml") == ["junit-qa1.xml", "junit-qa2.xml"]
    for node in estate.qa_nodes:
        document = next(p for p in files if p.name == "junit-%s.xml" % node.node_id).read_bytes()
        assert schema_problems(document) == []
        [suite] = list(JUnitXml.fromstring(document))
        mine = [r for r in out.variables["tests_results"] if "node %s " % node.node_id in r["node"]]
        assert suite.tests == len(mine) == 4
        assert suite.failures == sum(1 for r in mine if r["outcome"] == "FAILED") == 1
        assert suite.skipped == sum(1 for r in mine if r["outcome"] == "NOT_RUN") == 1
        cases = {case.name: case for case in suite}
        assert cases["test_2"].is_flaky and cases["test_3"].is_rerun
        assert "fail-fast" in cases["test_4"].result[0].message
    html = next(p for p in files if p.suffix == ".html").read_text()
    assert "test_3" in html and "FAILED" in html
    # Each run links to the node it ran on, not to the node that ran the step.
    assert estate.qa_nodes[0].url + "/projects/SHOP/scenarios/test_1/runs/list/" in html
    assert estate.design.url + "/projects/SHOP/scenarios/test_1" not in html


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_through_the_deployer_without_presets(sim):
    estate = build_estate(sim, make_tests(3, test_1={"outcome": "FAILED"}))
    out = run(estate, {"target": "deployment", "deployment_id_text": "${qa_deployment}",
                       "deployer_quiet_period_s": 1},
              variables={"qa_deployment": "SHOP-on-qa"})
    assert not out.ok
    assert "1 FAILED" in out.log.splitlines()[-1] and "SHOP-on-qa" in out.log.splitlines()[-1]
    assert out.variables["tests_failed"] == 1 and out.variables["tests_passed"] == 2


@pytest.mark.parametrize("policy", ["wait", "fail", "abort"])
def test_already_running_policies(sim, policy):
    estate = build_estate(sim, make_tests(2, test_1={"duration": 1.0}))
    estate.qa.run_scenario(PROJECT, "test_1")
    out = run(estate, deployment_config(estate, parallelism=2, if_running=policy))
    runs = estate.qa.runs(PROJECT, "test_1")
    if policy == "fail":
        assert not out.ok
        assert "already running" in out.log.splitlines()[-1]
        assert len(runs) == 1 and runs[0].outcome != "ABORTED"  # the other run is left alone, running or ended
    else:
        assert out.ok, out.log
        assert len(runs) == 2
        assert runs[0].outcome == ("SUCCESS" if policy == "wait" else "ABORTED")
        assert runs[1].outcome == "SUCCESS"
        assert runs[1].start >= runs[0].end
        assert estate.qa.active_runs() == []


def test_without_presets_on_a_deployer_older_than_14_1_the_step_says_what_it_needs(sim):
    estate = build_estate(sim, make_tests(2), dss_version="13.3.0")
    out = run(estate, {"target": "deployment", "deployment_id": "SHOP-on-qa"})
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "needs DSS 14.1 or later" in message and "SHOP-on-qa" in message and "preset" in message
    assert estate.qa.runs(PROJECT, "test_1") == []
