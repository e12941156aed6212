"""python-steps/run-test-scenarios/step.py run as DSS runs it, against the simulator, through dataikuapi."""

import pytest
from dss_simulator import ScenarioSpec
from stepkit import PIPELINE, run_plugin_step

STEP = "run-test-scenarios"


@pytest.fixture
def project(design):
    project = design.add_project("SHOP")
    project.add_scenario(ScenarioSpec(id=PIPELINE, name="Automate Deployment", marked_as_test=False))
    return project


def add_tests(project, count, **behaviour):
    for i in range(1, count + 1):
        project.add_scenario(ScenarioSpec(id="test_%d" % i, name="Test %d" % i, marked_as_test=True, duration=0.03,
                                          **behaviour))


def test_all_pass_sets_counts(design, project):
    add_tests(project, 3)
    out = run_plugin_step(design, STEP, "SHOP", {"parallelism": 2})
    assert out.ok, out.log
    assert out.variables["tests_outcome"] == "SUCCESS"
    assert out.variables["tests_total"] == 3
    assert out.variables["tests_passed"] == 3
    assert out.variables["tests_failed"] == 0
    assert out.variables["tests_failed_ids"] == []
    assert [len(design.runs("SHOP", "test_%d" % i)) for i in (1, 2, 3)] == [1, 1, 1]
    assert "test_2" in out.log and "SUCCESS" in out.log


def test_one_failed_fails_the_step_and_names_it(design, project):
    add_tests(project, 2)
    project.add_scenario(ScenarioSpec(id="test_broken", name="Broken", marked_as_test=True, duration=0.03,
                                      outcome="FAILED"))
    out = run_plugin_step(design, STEP, "SHOP", {"parallelism": 3})
    assert not out.ok
    assert out.run.outcome == "FAILED"
    # The step ends with an exception whose message is the failure line, so that DSS shows it as the step's error.
    lines = out.run.log.splitlines()
    assert lines[-1].startswith("test_gated_deployment.components.step_runtime.StepFailed: ")
    message = lines[lines.index("Traceback (most recent call last):") - 1]  # the stderr line before the traceback
    assert "test_broken" in message and lines[-1].endswith(message)
    assert "During handling" not in out.run.log
    assert out.variables["tests_failed"] == 1
    assert out.variables["tests_failed_ids"] == ["test_broken"]
    assert out.variables["tests_passed"] == 2


def test_no_test_scenarios_fails_naming_the_project(design, project):
    out = run_plugin_step(design, STEP, "SHOP", {})
    assert not out.ok
    last = out.run.log.splitlines()[-1]
    assert "No test scenario" in last and "SHOP" in last


def test_no_test_scenarios_allowed(design, project):
    out = run_plugin_step(design, STEP, "SHOP", {"allow_no_tests": True})
    assert out.ok, out.log
    assert out.variables["tests_total"] == 0


def test_hanging_scenario_is_aborted_at_its_timeout(design, project):
    add_tests(project, 1)
    project.add_scenario(ScenarioSpec(id="test_hangs", name="Hangs", marked_as_test=True, hangs=True))
    out = run_plugin_step(design, STEP, "SHOP", {"parallelism": 2, "scenario_timeout_s": 1})
    assert not out.ok
    assert "test_hangs" in out.run.log.splitlines()[-1]
    assert "timed out" in out.run.log.splitlines()[-1]
    runs = design.runs("SHOP", "test_hangs")
    assert len(runs) == 1 and runs[0].outcome == "ABORTED"
    assert design.active_runs() == []


def test_the_calling_scenario_is_never_triggered(design, project):
    add_tests(project, 2)
    project.add_scenario(ScenarioSpec(id="self_test", name="Runs the step itself", marked_as_test=True))
    out = run_plugin_step(design, STEP, "SHOP", {"parallelism": 2}, caller="self_test")
    assert out.ok, out.log
    # Only the step context's own run exists: the step did not trigger its caller.
    assert len(design.runs("SHOP", "self_test")) == 1
    assert out.variables["tests_total"] == 2
    assert "it is the scenario running this step" in out.log


def test_bad_setting_is_refused_before_any_call(design, project):
    add_tests(project, 1)
    before = design.request_count(path_contains="/dip/publicapi/")
    out = run_plugin_step(design, STEP, "SHOP", {"parallelism": 0})
    assert not out.ok
    assert "'Parallel runs' (parallelism)" in out.run.log.splitlines()[-1]
    assert design.request_count(path_contains="/dip/publicapi/") == before
