"""Public API: scenarios, runs, trigger fires, testing status and test reports (dataikuapi `dss/scenario.py`)."""

from __future__ import annotations

import copy
import datetime
from typing import Any, Dict, List

from . import clock, errors, reports, shapes, testing
from .specs import ScenarioSpec, scenario_settings
from .web import PUBLIC, Call, Router, Text

BASE = PUBLIC + "/projects/<project_key>/scenarios"
TESTING_SINCE = "13.3"  # Project Testing (markedAsTest, testing status, reports) arrived in DSS 13.3
XML = "application/xml; charset=utf-8"
HTML = "text/html; charset=utf-8"


def register(router: Router) -> None:
    router.add("GET", BASE + "/", list_scenarios)
    router.add("POST", BASE + "/", create_scenario)
    router.add("GET", BASE + "/testing-status", testing_status, since=TESTING_SINCE)
    router.add("GET", BASE + "/last-test-scenario-runs-report", last_runs_report, since=TESTING_SINCE)
    router.add("GET", BASE + "/last-test-scenario-runs-html-report", last_runs_html, since=TESTING_SINCE)
    router.add("GET", BASE + "/trigger/<scenario_id>/<trigger_id>", get_trigger_fire)
    router.add("GET", BASE + "/<scenario_id>", get_settings)
    router.add("PUT", BASE + "/<scenario_id>", put_settings)
    router.add("DELETE", BASE + "/<scenario_id>", delete_scenario)
    router.add("GET", BASE + "/<scenario_id>/light", get_light)
    router.add("POST", BASE + "/<scenario_id>/run", run_scenario)
    router.add("POST", BASE + "/<scenario_id>/abort", abort_scenario)
    router.add("GET", BASE + "/<scenario_id>/get-run-for-trigger", get_run_for_trigger)
    router.add("GET", BASE + "/<scenario_id>/get-last-runs", get_last_runs)
    router.add("GET", BASE + "/<scenario_id>/get-runs-by-date", get_runs_by_date)
    router.add("GET", BASE + "/<scenario_id>/<run_id>/", get_run_details)
    router.add("GET", BASE + "/<scenario_id>/<run_id>/log", get_run_log)
    router.add("GET", BASE + "/<scenario_id>/<run_id>/scenario-run-report", run_report, since=TESTING_SINCE)
    router.add("GET", BASE + "/<scenario_id>/<run_id>/step-run-report", step_run_report, since=TESTING_SINCE)


# ----------------------------------------------------------------------------- scenarios
def list_scenarios(call: Call, project_key: str) -> List[Dict[str, Any]]:
    project = call.node.checked_project(call.principal, project_key)
    now = clock.now()
    return [shapes.scenario_list_item(project_key, sc, project.current_run(sc.id, now), now)
            for sc in project.scenarios.values()]


def create_scenario(call: Call, project_key: str) -> Dict[str, Any]:
    """`project.create_scenario(name, type, definition)` posts the definition with `type` and `name` set."""
    project = call.node.checked_project(call.principal, project_key)
    body = call.json() or {}
    name = body.get("name") or "scenario"
    if body.get("type") not in ("step_based", "custom_python"):
        raise errors.bad_request("Scenario type must be step_based or custom_python, got %r" % body.get("type"))
    # [I] a new scenario has its auto-triggers off (active False) unless the definition says otherwise
    spec = ScenarioSpec(id=project.new_scenario_id(name), name=name, marked_as_test=bool(body.get("markedAsTest")),
                        tags=tuple(body.get("tags") or ()), active=bool(body.get("active", False)),
                        steps=tuple((body.get("params") or {}).get("steps") or ()))
    settings = scenario_settings(project_key, spec)
    settings.update({k: v for k, v in body.items() if k not in ("id", "projectKey")})
    settings["params"] = copy.deepcopy(body.get("params") or {"steps": []})
    return copy.deepcopy(project.add_scenario(spec, settings).settings)


def get_settings(call: Call, project_key: str, scenario_id: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    return copy.deepcopy(project.scenario(scenario_id).settings)


def put_settings(call: Call, project_key: str, scenario_id: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    sc = project.scenario(scenario_id)
    body = call.json()
    if not isinstance(body, dict):
        raise errors.bad_request("Scenario settings must be a JSON object")
    settings = copy.deepcopy(body)
    settings.update({"id": scenario_id, "projectKey": project_key})
    sc.settings = settings
    return copy.deepcopy(settings)  # [I] the client only needs a JSON answer (it uses _perform_json)


def delete_scenario(call: Call, project_key: str, scenario_id: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    project.scenario(scenario_id)
    del project.scenarios[scenario_id]
    return {}


def get_light(call: Call, project_key: str, scenario_id: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    now = clock.now()
    return shapes.scenario_light(project_key, project.scenario(scenario_id), project.current_run(scenario_id, now),
                                 now)


# ----------------------------------------------------------------------------- runs
def run_scenario(call: Call, project_key: str, scenario_id: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    params = call.json() or {}
    if not isinstance(params, dict):
        raise errors.bad_request("Run parameters must be a JSON object")
    return shapes.trigger_fire(call.node.fire(project, scenario_id, params, call.user))


def abort_scenario(call: Call, project_key: str, scenario_id: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    project.scenario(scenario_id)
    run = project.current_run(scenario_id, clock.now())
    if run is not None:  # "does nothing if the scenario is not currently running"
        call.node.abort_run(run, call.user)  # a step-based run: SIGTERM to its running step, no later step
    return {}  # [I] some JSON: the client parses the answer of abort()


def get_trigger_fire(call: Call, project_key: str, scenario_id: str, trigger_id: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    return shapes.trigger_fire(project.find_fire(scenario_id, trigger_id, call.arg("triggerRunId", "")))


def get_run_for_trigger(call: Call, project_key: str, scenario_id: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    fire = project.find_fire(scenario_id, call.arg("triggerId", ""), call.arg("triggerRunId", ""))
    now = clock.now()
    if fire.run is None or not fire.run.visible(now):
        return {}  # the key is absent until the run exists (§8); an unknown fire is a 404 [I]
    return {"scenarioRun": shapes.scenario_run(fire.run, now)}


def get_last_runs(call: Call, project_key: str, scenario_id: str) -> List[Dict[str, Any]]:
    project = call.node.checked_project(call.principal, project_key)
    project.scenario(scenario_id)
    now = clock.now()
    runs = project.visible_runs(scenario_id, now)
    if call.flag("onlyFinishedRuns"):
        runs = [r for r in runs if r.finished(now)]
    limit = int(call.arg("limit", "10"))
    return [shapes.scenario_run(r, now) for r in runs[:limit]]


def get_runs_by_date(call: Call, project_key: str, scenario_id: str) -> List[Dict[str, Any]]:
    project = call.node.checked_project(call.principal, project_key)
    project.scenario(scenario_id)
    now = clock.now()
    start, end = call.arg("fromDate", "0001-01-01"), call.arg("toDate", "9999-12-31")

    def day(t: float) -> str:
        return datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d")

    return [shapes.scenario_run(r, now) for r in project.visible_runs(scenario_id, now) if start <= day(r.start) < end]


def _visible_run(call: Call, project_key: str, scenario_id: str, run_id: str) -> Any:
    project = call.node.checked_project(call.principal, project_key)
    run = project.find_run(scenario_id, run_id)
    if not run.visible():
        raise errors.not_found("Scenario run", run_id)
    return run


def get_run_details(call: Call, project_key: str, scenario_id: str, run_id: str) -> Dict[str, Any]:
    return shapes.run_details(_visible_run(call, project_key, scenario_id, run_id), clock.now())


def get_run_log(call: Call, project_key: str, scenario_id: str, run_id: str) -> Text:
    run = _visible_run(call, project_key, scenario_id, run_id)
    return Text(shapes.run_log(run, call.arg("stepId")))


# ----------------------------------------------------------------------------- testing
def _require_test_run(run: Any) -> None:
    if not run.marked_as_test:  # [I] the client refuses client-side too
        raise errors.bad_request("Scenario %s was not marked as a test when run %s was performed"
                                 % (run.scenario_id, run.run_id))


def run_report(call: Call, project_key: str, scenario_id: str, run_id: str) -> Text:
    run = _visible_run(call, project_key, scenario_id, run_id)
    _require_test_run(run)
    return Text(reports.run_report(project_key, run, clock.now(), call.node.junit_utc_offset), XML)


def step_run_report(call: Call, project_key: str, scenario_id: str, run_id: str) -> Text:
    run = _visible_run(call, project_key, scenario_id, run_id)
    _require_test_run(run)
    step_id = call.arg("stepId")
    steps = [s for s in run.step_runs if s.step_id == step_id]
    if not steps:
        raise errors.not_found("Step run", "%s/%s" % (run_id, step_id))
    only = copy.copy(run)
    only.step_runs = steps
    return Text(reports.run_report(project_key, only, clock.now(), call.node.junit_utc_offset), XML)


def testing_status(call: Call, project_key: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    return testing.testing_status(project, call.node.is_automation, call.arg("bundleId"), clock.now())


def _last_runs(call: Call, project_key: str) -> Any:
    project = call.node.checked_project(call.principal, project_key)
    bundle = testing.target_bundle(project, call.node.is_automation, call.arg("bundleId"))
    now = clock.now()
    return testing.last_test_runs(project, call.node.is_automation, bundle, now), bundle, now


def last_runs_report(call: Call, project_key: str) -> Text:
    pairs, bundle, now = _last_runs(call, project_key)
    return Text(reports.last_runs_report(project_key, pairs, bundle, now, call.node.junit_utc_offset), XML)


def last_runs_html(call: Call, project_key: str) -> Text:
    pairs, bundle, now = _last_runs(call, project_key)
    return Text(reports.last_runs_html(project_key, pairs, bundle, now), HTML)
