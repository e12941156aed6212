"""The step-based scenario engine, through the real dataikuapi client: built-in deployment steps, plugin steps run as
DSS runs them (throwaway plugins in tmp_path), run conditions, variables, logs and abort."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, Optional

import pytest
from dss_simulator import ScenarioSpec
from dss_simulator.engine import parse_plugin_step_type, plugin_step_type, transmogrify
from dss_simulator.expressions import ExpressionError, evaluate, expand

from .helpers import client, wait_for

PLUGIN = "throwaway"


def make_plugin(root: Path, steps: Dict[str, str], lib: Optional[Dict[str, str]] = None) -> Path:
    """A plugin folder with python-steps/<id>/step.py and python-lib/<module>.py."""
    for step_id, code in steps.items():
        folder = root / "python-steps" / step_id
        folder.mkdir(parents=True)
        (folder / "step.py").write_text(textwrap.dedent(code), encoding="utf-8")
    (root / "python-lib").mkdir(parents=True, exist_ok=True)
    for name, code in (lib or {}).items():
        (root / "python-lib" / (name + ".py")).write_text(textwrap.dedent(code), encoding="utf-8")
    return root


def step(step_id: str, step_type: str, **extra):
    body = {"id": step_id, "name": extra.pop("name", step_id), "type": step_type}
    body.update(extra)
    return body


def pystep(step_id: str, plugin_step: str, config: Optional[dict] = None, **extra):
    return step(step_id, plugin_step_type(PLUGIN, plugin_step), params={"config": config or {}}, **extra)


def create(design, steps, name="Automate"):
    """Create a step-based scenario through the API, as the plugin's macro does."""
    api = client(design).get_project("PK")
    return api.create_scenario(name, "step_based", definition={"params": {"steps": steps}})


@pytest.fixture
def project(design):
    return design.add_project("PK", variables={"release": "v1"})


@pytest.fixture
def plugin(tmp_path, design):
    root = make_plugin(tmp_path / PLUGIN, {
        "ok": """
            import helper
            from dataiku.customstep import get_plugin_config, get_step_config
            from dataiku.scenario import Scenario
            raw, resolved = get_step_config(), get_plugin_config()["config"]
            print("raw message:", raw["message"])
            print("preset url:", resolved["node"]["url"])
            Scenario().set_scenario_variables(target=helper.TARGET)
        """,
        "fail": """
            print("about to fail")
            raise Exception("boom: the gate is closed")
        """,
        "sleep": """
            import signal, sys, time
            from dataiku.customstep import get_step_config
            marker = get_step_config()["marker"]
            def on_term(signum, frame):
                with open(marker, "w") as f:
                    f.write("SIGTERM")
                print("terminated cleanly", flush=True)
                sys.exit(1)
            signal.signal(signal.SIGTERM, on_term)
            print("ready", flush=True)
            time.sleep(30)
        """,
    }, lib={"helper": 'TARGET = "PK-on-qa"\n'})
    design.install_plugin(root, PLUGIN)
    design.plugin_presets = {"qa": {"url": "https://qa.example", "api_key": "secret"}}
    return root


@pytest.fixture
def deployment(sim, design, project):
    qa = sim.add_automation_node("qa")
    design.deployer.add_infra("qa-infra", stage="QA", nodes=[qa])
    design.deployer.publish_bundle("PK", "v1")
    design.deployer.add_deployment("PK-on-qa", published_project_key="PK", infra_id="qa-infra", bundle_id="v1")
    return qa


def outcomes(details):
    return [(s["step"]["id"], s["result"]["outcome"]) for s in details.steps]


def test_bundle_then_deploy_with_variables(design, project, plugin, deployment):
    qa = deployment
    scenario = create(design, [
        step("bundle", "prepare_bundle", name="Create bundle", params={
            "bundleId": "${release}", "transmogrify": True, "targetVariable": "bundle_id",
            "publishOnDeployer": True, "publishedProjectKey": "PK"}),
        pystep("pick", "ok", {"message": "deploy ${bundle_id}", "node": {"mode": "PRESET", "name": "qa"}}),
        step("deploy", "update_projectdeployer_deployment", params={
            "deploymentId": "${target}", "newVersionId": "${bundle_id}"}),
    ])
    run = scenario.run_and_wait(no_fail=True)
    assert run.outcome == "SUCCESS"
    assert outcomes(run.get_details()) == [("bundle", "SUCCESS"), ("pick", "SUCCESS"), ("deploy", "SUCCESS")]
    variables = run.get_info()["variables"]
    assert variables["bundle_id"] == "v1_1"  # v1 was taken: transmogrified
    assert variables["target"] == "PK-on-qa"  # set by the plugin step through tintercom
    assert variables["stepOutcome_Create bundle"] == "SUCCESS"
    assert qa.active_bundle("PK") == "v1_1"
    assert design.deployer.deployment("PK-on-qa").bundle_id == "v1_1"
    pick_log = run.get_log("pick")
    assert "raw message: deploy ${bundle_id}" in pick_log  # plugin config is passed unexpanded
    assert "preset url: https://qa.example" in pick_log
    assert "secret" not in run.get_log()
    assert "Bundle v1_1 published" in run.get_log("bundle")
    assert design.active_runs() == []


def test_failing_plugin_step_stops_later_steps_but_not_run_always(design, project, plugin):
    scenario = create(design, [
        pystep("gate", "fail"),
        step("skipped", "prepare_bundle", params={"bundleId": "never"}),
        step("disabled", "prepare_bundle", enabled=False, runConditionType="RUN_ALWAYS",
             params={"bundleId": "never"}),
        step("cleanup", "prepare_bundle", runConditionType="RUN_ALWAYS", params={"bundleId": "cleanup"}),
        step("on-failure", "prepare_bundle", runConditionType="RUN_CONDITIONALLY",
             runConditionExpression="stepOutcome_gate == 'FAILED' && outcome != 'SUCCESS'",
             params={"bundleId": "after-failure"}),
        step("on-success", "prepare_bundle", runConditionType="RUN_CONDITIONALLY",
             runConditionExpression="outcome == 'SUCCESS'", params={"bundleId": "never2"}),
    ])
    run = scenario.run_and_wait(no_fail=True)
    assert run.outcome == "FAILED"
    details = run.get_details()
    assert outcomes(details) == [("gate", "FAILED"), ("cleanup", "SUCCESS"), ("on-failure", "SUCCESS")]
    assert "boom: the gate is closed" in details.first_error_details["message"]
    log = run.get_log("gate")
    assert "about to fail" in log and "Exception: boom" in log and "cleanup" not in log
    assert sorted(project.exported_bundles) == ["after-failure", "cleanup"]
    sim_run = design.runs("PK", scenario.id)[-1]
    assert [s.step_id for s in sim_run.step_runs] == ["gate", "cleanup", "on-failure"]
    assert "about to fail" in sim_run.step_runs[0].log


def test_unknown_step_type_and_missing_plugin_fail(design, project, plugin):
    scenario = create(design, [
        step("odd", "no_such_step"),
        step("gone", plugin_step_type("not-installed", "x"), runConditionType="RUN_ALWAYS"),
        pystep("nostep", "absent", runConditionType="RUN_ALWAYS"),
    ])
    run = scenario.run_and_wait(no_fail=True)
    assert run.outcome == "FAILED"
    assert outcomes(run.get_details()) == [("odd", "FAILED"), ("gone", "FAILED"), ("nostep", "FAILED")]
    assert "Unknown step type 'no_such_step'" in run.get_log("odd")
    assert "Plugin 'not-installed' is not installed on node design" in run.get_log("gone")
    assert "has no step 'absent'" in run.get_log("nostep")


def test_abort_sends_sigterm_and_starts_no_later_step(design, project, plugin, tmp_path):
    marker = tmp_path / "terminated.txt"
    scenario = create(design, [
        pystep("wait", "sleep", {"marker": str(marker)}),
        step("after", "prepare_bundle", runConditionType="RUN_ALWAYS", params={"bundleId": "after"}),
    ])
    sim_run = scenario.run().wait_for_scenario_run()
    wait_for(lambda: "ready" in design.runs("PK", scenario.id)[-1].step_runs[0].log, timeout=3)
    scenario.abort()
    done = design.wait_for_run("PK", scenario.id, sim_run.id, timeout=3)
    assert marker.read_text() == "SIGTERM"
    assert done.outcome == "ABORTED"
    assert [(s.step_id, s.outcome) for s in done.step_runs] == [("wait", "ABORTED")]
    assert "terminated cleanly" in sim_run.get_log("wait")
    assert project.exported_bundles == {}
    assert design.active_runs() == [] and design.engine.active() == []


def test_close_terminates_running_steps(sim, design, project, plugin, tmp_path):
    marker = tmp_path / "closed.txt"
    scenario = create(design, [pystep("wait", "sleep", {"marker": str(marker)})])
    fire = design.run_scenario("PK", scenario.id)
    wait_for(lambda: fire.run.step_runs and "ready" in fire.run.step_runs[0].log, timeout=3)
    sim.close()
    assert marker.read_text() == "SIGTERM"
    assert fire.run.outcome == "ABORTED" and design.engine.active() == []


def test_failed_update_fails_the_step(design, project, deployment):
    design.deployer.set_update_behaviour("PK-on-qa", duration=0.05, result="ERROR")
    scenario = create(design, [
        step("bundle", "prepare_bundle", params={"bundleId": "v2", "targetVariable": "b",
                                                  "publishOnDeployer": "true"}),
        step("deploy", "update_projectdeployer_deployment",
             params={"deploymentId": "PK-on-qa", "newVersionId": "${b}"}),
    ])
    fire = design.run_scenario("PK", scenario.id)  # without HTTP
    run = design.wait_for_run("PK", scenario.id, fire.run.run_id, timeout=3)
    assert run.outcome == "FAILED"
    assert [(s.step_id, s.outcome) for s in run.step_runs] == [("bundle", "SUCCESS"), ("deploy", "FAILED")]
    assert "failed (ERROR)" in run.step_runs[1].error
    assert deployment.active_bundle("PK") == "v1"


def test_settings_put_turns_a_timed_scenario_into_steps(design, project):
    project.add_scenario(ScenarioSpec(id="s", duration=10.0))
    settings = client(design).get_project("PK").get_scenario("s").get_settings()
    settings.raw_steps.append(step("b", "prepare_bundle", params={"bundleId": "from-put"}))
    settings.save()
    assert client(design).get_project("PK").get_scenario("s").run_and_wait().outcome == "SUCCESS"
    assert "from-put" in project.exported_bundles


def test_execute_steps_false_keeps_the_timed_model(design, project):
    project.add_scenario(ScenarioSpec(id="s", duration=0.0, outcome="WARNING", execute_steps=False,
                                      steps=(step("x", "no_such_step"),)))
    run = client(design).get_project("PK").get_scenario("s").run_and_wait(no_fail=True)
    assert run.outcome == "WARNING" and run.get_details().steps == []


def test_step_type_format_is_in_one_place():
    assert plugin_step_type("deploy-tools", "run-test-scenarios") == "pystep_deploy-tools_run-test-scenarios"
    assert parse_plugin_step_type("pystep_deploy-tools_run-test-scenarios") == ("deploy-tools",
                                                                              "run-test-scenarios")
    assert parse_plugin_step_type("pystep_my_plugin_step", ["my_plugin"]) == ("my_plugin", "step")
    assert parse_plugin_step_type("prepare_bundle") is None


def test_transmogrify_and_expressions():
    assert transmogrify("v1", []) == "v1"
    assert transmogrify("v1", ["v1", "v1_1"]) == "v1_2"
    assert expand({"a": ["${x}-${n}", "${missing}"]}, {"x": "v", "n": 2}) == {"a": ["v-2", "${missing}"]}
    variables = {"outcome": "WARNING", "stepOutcome_a": "SUCCESS", "flag": True}
    assert evaluate("outcome == 'WARNING' and ${flag} == 'true'", variables)
    assert evaluate("!(stepOutcome_a != \"SUCCESS\") || unknown == 'x'", variables)
    assert not evaluate("outcome == 'SUCCESS'", variables)
    with pytest.raises(ExpressionError):
        evaluate("outcome ==", variables)


def test_retries_on_fail_rerun_the_step(design, project):
    design.export_bundle("PK", "taken")
    scenario = create(design, [step("b", "prepare_bundle", maxRetriesOnFail=2, delayBetweenRetries=0,
                                    params={"bundleId": "taken"})])
    run = design.wait_for_run("PK", scenario.id, design.run_scenario("PK", scenario.id).run.run_id, timeout=3)
    assert run.outcome == "FAILED"
    assert sum("already exists" in line for line in run.step_runs[0].log) == 3
    assert "retry 2 of 2" in scenario.get_run(run.run_id).get_log("b")
