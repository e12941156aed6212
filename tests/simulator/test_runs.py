"""Scenario runs over time, through the real client: trigger fires, runs, outcomes, flaky, hang, abort."""

from __future__ import annotations

import time

import pytest
from dataikuapi.utils import DataikuException
from dss_simulator import ScenarioSpec

from .helpers import client, finished_run, wait_for


@pytest.fixture
def project(design):
    return design.add_project("PK", variables={"a": 1})


@pytest.mark.client("14.0")  # DSSTriggerFire.get_raw() of the 13.3 client returns nothing
def test_run_then_trigger_then_details_then_outcome(design, project):
    project.add_scenario(ScenarioSpec(id="t1", name="Test 1", marked_as_test=True, duration=0.6))
    scenario = client(design).get_project("PK").get_scenario("t1")
    fire = scenario.run({"why": "test"})
    assert fire.trigger_id == "manual" and not fire.is_cancelled()
    assert fire.get_raw()["triggerParams"] == {"why": "test"}
    run = fire.wait_for_scenario_run()
    assert run.running and run.id != fire.run_id  # a fire id is not a run id
    info = run.get_info()
    assert info["end"] == 0 and "result" not in info
    assert info["scenario"] == {"projectKey": "PK", "id": "t1", "name": "Test 1", "markedAsTest": True,
                                "type": "step_based"}
    assert info["trigger"]["runId"] == fire.run_id
    assert scenario.get_status().running
    wait_for(lambda: design.runs("PK", "t1")[0].outcome)
    run.refresh()
    assert not run.running and run.outcome == "SUCCESS"
    assert 0.59 <= run.get_duration() < 1.5
    details = run.get_details()
    assert details["scenarioRun"]["result"]["outcome"] == "SUCCESS" and details.steps == []
    assert design.active_runs() == []


@pytest.mark.client("14.0")  # DSSTriggerFire.get_raw() of the 13.3 client returns nothing
def test_trigger_latency_delays_the_run(design, project):
    project.add_scenario(ScenarioSpec(id="t1", duration=0.01))
    design.trigger_latency = 0.15
    fire = client(design).get_project("PK").get_scenario("t1").run()
    assert fire.get_scenario_run() is None
    run = fire.wait_for_scenario_run()
    assert run.get_info()["start"] >= fire.get_raw()["timestamp"] + 140


def test_outcome_failed_makes_run_and_wait_raise(design, project):
    project.add_scenario(ScenarioSpec(id="bad", duration=0.01, outcome="FAILED"))
    scenario = client(design).get_project("PK").get_scenario("bad")
    with pytest.raises(DataikuException, match="FAILED"):
        scenario.run_and_wait()
    assert scenario.run_and_wait(no_fail=True).outcome == "FAILED"


def test_flaky_scenario_fails_its_first_runs(design, project):
    project.add_scenario(ScenarioSpec(id="flaky", duration=0.0, fail_first=2))
    scenario = client(design).get_project("PK").get_scenario("flaky")
    outcomes = []
    for _ in range(3):
        scenario.run()
        outcomes.append(finished_run(design, "PK", "flaky").outcome)
    assert outcomes == ["FAILED", "FAILED", "SUCCESS"]
    assert [r.attempt for r in design.runs("PK", "flaky")] == [1, 2, 3]


def test_hanging_scenario_runs_until_aborted(design, project):
    project.add_scenario(ScenarioSpec(id="hang", hangs=True))
    scenario = client(design).get_project("PK").get_scenario("hang")
    run = scenario.run().wait_for_scenario_run()
    time.sleep(0.05)
    run.refresh()
    assert run.running
    assert [r.run_id for r in design.active_runs()] == [run.id]
    assert scenario.get_current_run().id == run.id
    scenario.abort()
    run.refresh()
    assert run.outcome == "ABORTED" and run.get_info()["end"] > 0
    assert design.active_runs() == []
    assert scenario.get_current_run() is None
    scenario.abort()  # nothing running: a no-op


def test_a_manual_run_of_a_running_scenario_is_cancelled(design, project):
    project.add_scenario(ScenarioSpec(id="hang", hangs=True))
    scenario = client(design).get_project("PK").get_scenario("hang")
    first = scenario.run()
    first.wait_for_scenario_run()
    second = scenario.run()
    assert second.is_cancelled() and second.is_cancelled(refresh=True)
    with pytest.raises(DataikuException, match="cancelled"):
        second.wait_for_scenario_run()
    assert second.wait_for_scenario_run(no_fail=True) is None
    assert len(design.runs("PK", "hang")) == 1
    scenario.abort()


def test_list_items_show_running_scenarios(design, project):
    project.add_scenario(ScenarioSpec(id="hang", hangs=True, tags=("smoke",)))
    project.add_scenario(ScenarioSpec(id="other", marked_as_test=True))
    api = client(design).get_project("PK")
    api.get_scenario("hang").run().wait_for_scenario_run()
    items = {i["id"]: i for i in api.list_scenarios(as_type="listitems")}
    assert items["hang"]["running"] and items["hang"]["start"] > 0 and items["hang"]["tags"] == ["smoke"]
    assert not items["other"]["running"] and items["other"]["start"] == 0
    assert [s.id for s in api.list_test_scenarios()] == ["other"]
    api.get_scenario("hang").abort()


def test_last_runs_are_newest_first_and_can_skip_running(design, project):
    project.add_scenario(ScenarioSpec(id="t1", duration=0.0))
    scenario = client(design).get_project("PK").get_scenario("t1")
    for _ in range(3):
        scenario.run_and_wait()
    runs = scenario.get_last_runs(limit=2, only_finished_runs=True)
    assert [r.id for r in runs] == [r.run_id for r in design.runs("PK", "t1")][::-1][:2]
    assert scenario.get_last_finished_run().id == runs[0].id
    assert scenario.get_run(runs[1].id).id == runs[1].id


def test_run_log_is_text(design, project):
    project.add_scenario(ScenarioSpec(id="hang", hangs=True))
    scenario = client(design).get_project("PK").get_scenario("hang")
    run = scenario.run().wait_for_scenario_run()
    scenario.abort()
    assert "aborted" in run.get_log()


def test_settings_round_trip_and_create(design, project):
    project.add_scenario(ScenarioSpec(id="t1", name="Test 1", steps=({"id": "s", "type": "custom_python"},),
                                      run_as="bob"))
    api = client(design).get_project("PK")
    settings = api.get_scenario("t1").get_settings()
    assert settings.raw_steps == [{"id": "s", "type": "custom_python"}]
    assert settings.effective_run_as == "bob"
    settings.get_raw()["markedAsTest"] = True
    settings.raw_steps.append({"id": "s2", "type": "pystep_x_y"})
    settings.save()
    assert [s.id for s in api.list_test_scenarios()] == ["t1"]
    assert len(api.get_scenario("t1").get_settings().raw_steps) == 2

    created = api.create_scenario("Automate Deployment", "step_based",
                                  definition={"params": {"steps": [{"id": "x"}]}, "markedAsTest": False})
    assert created.id == "AUTOMATEDEPLOYMENT"
    assert created.get_settings().raw_steps == [{"id": "x"}]
    # Its steps are executed (test_engine.py): a step without a type is an unknown step, so the run fails.
    run = created.run_and_wait(no_fail=True)
    assert run.outcome == "FAILED" and run.get_details().steps[0]["step"]["id"] == "x"


def test_project_variables_round_trip(design, project):
    api = client(design).get_project("PK")
    assert api.get_variables() == {"standard": {"a": 1}, "local": {}}
    api.update_variables({"b": 2})
    api.update_variables({"c": 3}, type="local")
    assert project.variables == {"standard": {"a": 1, "b": 2}, "local": {"c": 3}}


def test_runner_hook_runs_in_a_thread(design, project):
    def runner(ctx):
        ctx.set_variables({"seen": ctx.run_id})
        return "WARNING"

    project.add_scenario(ScenarioSpec(id="r", runner=runner))
    run = client(design).get_project("PK").get_scenario("r").run_and_wait(no_fail=True)
    assert run.outcome == "WARNING"
    assert run.get_info()["variables"] == {"seen": run.id}


def test_control_api_run_without_http(design, project):
    project.add_scenario(ScenarioSpec(id="t1", duration=0.0, outcome="WARNING"))
    fire = design.run_scenario("PK", "t1", {"x": 1})
    assert not fire.cancelled and fire.run.outcome == "WARNING" and fire.run.fire.params == {"x": 1}
    assert design.request_count() == 0
