"""Every answer body the client sees, built in one place (error bodies: `errors.py`; the settings a new
scenario starts with: `specs.py`).

Shapes come from the `dataikuapi` 15.2.0 source (what the client reads) and /work/shared/reference/dss-platform.md.
Marks: `# [I]` inferred (plausible, unverified on a real instance), `# [U]` unknown (a guess, kept here so it can be
corrected in one place when a real DSS disagrees). Unmarked keys are read by the client or documented [V].
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional

from .clock import to_ms
from .specs import SCENARIO_TYPE

if TYPE_CHECKING:  # pragma: no cover - type hints only
    from .project import BundleSnapshot, SimScenario
    from .runs import Run, StepRun, TriggerFire

SCENARIO_RESULT_TYPE = "SCENARIO_DONE"  # [I] `result.type` of a finished scenario run
STEP_RESULT_TYPE = "STEP_DONE"  # [I] `result.type` of a finished step run
DEFAULT_STAGES = ("Development", "Test", "Production")  # [I] the stages a fresh Project Deployer lists
UPDATE_TYPE = "UPDATE"  # [U] `type` of an entry in a deployment's update history


# ----------------------------------------------------------------------------------------------- errors
def unknown_endpoint_html(path: str) -> str:
    # [U] An endpoint the DSS version lacks: a bare 404 page, not a DSS JSON error (the plugin must handle both).
    return "<html><head><title>404 Not Found</title></head><body>No handler for %s</body></html>" % path


def gateway_error_html(status: int) -> str:
    # [I] A 5xx from the reverse proxy in front of DSS is an HTML page, not JSON.
    return "<html><body><h1>%d</h1>Simulated gateway error</body></html>" % status


# ----------------------------------------------------------------------------------------------- node
def instance_info(node_id: str, node_type: str, dss_version: str) -> Dict[str, Any]:
    return {
        "nodeId": node_id,
        "nodeName": node_id,
        "nodeType": node_type,
        "dssVersion": dss_version,  # [I] lets a client tell 13.x from 14.x
    }


def project_list_item(project_key: str) -> Dict[str, Any]:
    return {"projectKey": project_key, "name": project_key}


# ----------------------------------------------------------------------------------------------- scenarios
def scenario_list_item(project_key: str, sc: SimScenario, current: Optional[Run], now: float) -> Dict[str, Any]:
    running = current is not None and current.visible(now)
    return {
        "projectKey": project_key,
        "id": sc.id,
        "name": sc.name,
        "type": sc.settings.get("type", SCENARIO_TYPE),
        "active": sc.active,
        "running": running,
        "start": to_ms(current.start) if running else 0,
        "tags": sc.tags,
        "markedAsTest": sc.marked_as_test,
        "shortDesc": sc.settings.get("shortDesc", ""),
    }


def scenario_light(project_key: str, sc: SimScenario, current: Optional[Run], now: float) -> Dict[str, Any]:
    light = scenario_list_item(project_key, sc, current, now)
    light["nextRun"] = 0  # no time-based triggers are simulated
    return light


def trigger_fire(fire: TriggerFire) -> Dict[str, Any]:
    return {
        "projectKey": fire.project_key,  # [I] seen read by third-party clients
        "scenarioId": fire.scenario_id,  # [I]
        "trigger": {"id": fire.trigger_id, "type": fire.trigger_type, "name": fire.trigger_name, "active": True,
                    "params": {}},
        "runId": fire.fire_id,  # the fire's id, NOT a scenario run id
        "cancelled": fire.cancelled,
        "timestamp": to_ms(fire.time),  # [I]
        "triggerParams": dict(fire.params),  # [I] the body of POST .../run
    }


def scenario_run(run: Run, now: float) -> Dict[str, Any]:
    body: Dict[str, Any] = {
        "runId": run.run_id,
        "start": to_ms(run.start),
        "end": to_ms(run.end_at(now)),  # 0 while running
        "scenario": {"projectKey": run.project_key, "id": run.scenario_id, "name": run.scenario_name,
                     "markedAsTest": run.marked_as_test, "type": SCENARIO_TYPE},
        "trigger": trigger_fire(run.fire),
        "variables": dict(run.variables),
    }
    outcome = run.outcome_at(now)
    if outcome is not None:  # `result` is absent while running: the client's `running` is `"result" not in run`
        body["result"] = {"outcome": outcome, "type": SCENARIO_RESULT_TYPE, "start": to_ms(run.start),
                          "end": to_ms(run.end_at(now))}
    return body


def step_run(run: Run, step: StepRun) -> Dict[str, Any]:
    body: Dict[str, Any] = {
        "runId": "%s_%s" % (run.run_id, step.step_id),  # [I] a step run has its own id
        "step": {"id": step.step_id, "name": step.name, "type": step.type},
        "start": to_ms(step.start),
        "end": to_ms(step.end),
        "additionalReportItems": [],
    }
    if step.outcome is not None:  # [I] an ongoing step has no result yet, like a scenario run
        body["result"] = {"outcome": step.outcome, "type": STEP_RESULT_TYPE}
        if step.error:
            # `first_error_details` returns result.thrown for a FAILED step.
            body["result"]["thrown"] = {"clazz": "com.dataiku.dip.exceptions.ExternalProcessFailedException",
                                        "title": step.error, "message": step.error, "stack": "", "code": "",
                                        "fixability": ""}
    return body


def run_details(run: Run, now: float) -> Dict[str, Any]:
    return {"scenarioRun": scenario_run(run, now), "stepRuns": [step_run(run, s) for s in run.step_runs]}


def run_log(run: Run, step_id: Optional[str]) -> str:
    lines = []
    for t, sid, text in run.log:
        if step_id and sid != step_id:
            continue
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) + ",%03d" % (int(t * 1000) % 1000)
        lines.append("[%s] [%s] %s" % (stamp, sid or "scenario", text))
    return "\n".join(lines) + ("\n" if lines else "")


def testing_status(outcome_counts: Dict[str, int]) -> Dict[str, Any]:
    return {
        "nbTotalRanScenarios": sum(outcome_counts.values()),
        # [U] whether outcomes with a zero count are present is undocumented: they are omitted here, so a client
        # must read each outcome with a default.
        "nbScenariosPerOutcome": {k: v for k, v in outcome_counts.items() if v},
    }


def all_variables(project_vars: Dict[str, Any], run: Run, dss_url: Optional[str]) -> Dict[str, Any]:
    """`Scenario().get_all_variables()` inside a step (reference §8, a 13.x dump)."""
    merged = dict(project_vars)
    merged.update(run.variables)
    merged.update({
        "projectKey": run.project_key,
        "scenarioTriggerParams": dict(run.fire.params),
        "scenarioTriggerTime": to_ms(run.fire.time),
        "scenarioTriggerRunId": run.fire.fire_id,  # the trigger-fire id, not the run id
        "stepResults": {s.name: {"outcome": s.outcome} for s in run.step_runs if s.outcome},
        "stepOutcomes": {s.name: s.outcome for s in run.step_runs if s.outcome},
    })
    for s in run.step_runs:
        if s.outcome:
            merged["stepOutcome_" + s.name] = s.outcome
    if dss_url:  # reference §8: scenarioRunURL and dssURL are only there when the DSS URL is set in admin settings
        merged["dssURL"] = dss_url
        merged["scenarioRunURL"] = scenario_run_url(dss_url, run)
    return merged


def scenario_run_url(dss_url: str, run: Run) -> str:
    return "%s/projects/%s/scenarios/%s/runs/list/%s" % (dss_url, run.project_key, run.scenario_id, run.run_id)


# ----------------------------------------------------------------------------------------------- bundles
def exported_bundles(bundles: Iterable[BundleSnapshot], published: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    items = []
    for b in bundles:
        item: Dict[str, Any] = {
            "bundleId": b.bundle_id,
            # [I] export manifest details beyond the id are not modelled
            "exportManifest": {"exportUserInfo": {"exportedOn": to_ms(b.created)},
                               "releaseNotes": b.release_notes or ""},
        }
        if b.bundle_id in published:
            item["publishedBundleState"] = published[b.bundle_id]  # [I]
        items.append(item)
    return {"bundles": items}  # [I] a dict with a "bundles" list (as third-party code reads it)


def publish_result(published_on: float, user: str, published_project_key: str) -> Dict[str, Any]:
    return {"publishedOn": to_ms(published_on), "publishedBy": user, "publishedProjectKey": published_project_key}


# ----------------------------------------------------------------------------------------------- futures
def future_state(job_id: str, name: str, start: float, now: float, done: bool, result: Any, failed_dead: bool,
                 aborted: bool) -> Dict[str, Any]:
    has_result = done and not failed_dead and not aborted
    state: Dict[str, Any] = {
        "jobId": job_id,
        "jobDisplayName": name,  # [I]
        "hasResult": has_result,
        "alive": not done and not aborted,
        "aborted": aborted,  # [I]
        "startTime": to_ms(start),  # [I]
        "runningTime": int((now - start) * 1000),  # [I]
        "progress": {"states": []},  # [I]
    }
    if has_result:
        state["result"] = result
    return state


def lost_future(job_id: str) -> Dict[str, Any]:
    # [I] DSS 9's FutureWatcher treats `unknown` as the end of a future whose task DSS no longer knows.
    return {"jobId": job_id, "hasResult": False, "alive": False, "unknown": True}


# ----------------------------------------------------------------------------------------------- deployer
def infra_basic_info(infra: Any) -> Dict[str, Any]:
    return {"id": infra.id, "stage": infra.stage, "type": infra.type}  # [U] type SINGLE_NODE / MULTI_NODE


def deployment_basic_info(dep: Any) -> Dict[str, Any]:
    # bundleId is the one the settings ask for (not necessarily deployed yet: see heavy status)
    return {"id": dep.id, "bundleId": dep.settings_bundle_id, "publishedProjectKey": dep.published_project_key,
            "deployedProjectKey": dep.deployed_project_key, "infraId": dep.infra_id}


def package(bundle: Any) -> Dict[str, Any]:
    return {"id": bundle.bundle_id, "publishedOn": to_ms(bundle.published_on), "publishedBy": bundle.published_by}


def deployment_light(dep: Any, infra: Any, pub: Any) -> Dict[str, Any]:
    return {
        "deploymentBasicInfo": deployment_basic_info(dep),
        "projectBasicInfo": {"id": pub.key, "name": pub.key},
        "infraBasicInfo": infra_basic_info(infra),
        "packages": [package(b) for b in pub.bundles.values()],  # [I] the published project's bundles
    }


def health_message(severity: str, title: str, message: str) -> Dict[str, Any]:
    return {"severity": severity, "isFatal": severity == "ERROR", "code": "", "title": title, "message": message,
            "details": ""}


def deployment_heavy(dep: Any, health: str, messages: List[Dict[str, Any]],
                     nodes: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "health": health,
        "healthMessages": {"messages": messages, "anyMessage": bool(messages)},
        # [U] per-node state of a (multi-node) deployment is undocumented; modelled as nodesStatus.
        "nodesStatus": nodes,
    }


def node_status(node_id: str, health: str, bundle_id: Optional[str]) -> Dict[str, Any]:
    return {"nodeId": node_id, "health": health, "bundleId": bundle_id}  # [U] see nodesStatus


def deployment_settings(dep: Any) -> Dict[str, Any]:
    settings = dict(dep.extra_settings)
    settings.update({
        "id": dep.id,
        "infraId": dep.infra_id,
        "bundleId": dep.settings_bundle_id,
        "publishedProjectKey": dep.published_project_key,
        "deployedProjectKey": dep.deployed_project_key,
    })
    return settings


def update_list_item(update: Any) -> Dict[str, Any]:
    return {"startTimestamp": to_ms(update.start), "type": UPDATE_TYPE, "status": update.status}


def update_full(update: Any) -> Dict[str, Any]:
    body = update_list_item(update)
    body.update({
        "endTimestamp": to_ms(update.end),
        "requester": update.requester,  # [U] a login string
        "logs": {"lines": list(update.logs)},  # the client reads logs["lines"]
        "bundleId": update.bundle_id,  # [U]
    })
    return body


def update_report(status: str, messages: List[Dict[str, Any]], key: str = "status") -> Dict[str, Any]:
    # [I] the result of the update future: like the `deployment_report` a post-deployment hook receives
    # (`status`), or like the step results DSS 9's Deployer UI reads (`maxSeverity`).
    return {key: status, "messages": messages}


def infra_light(infra: Any, deployments: Iterable[Any]) -> Dict[str, Any]:
    return {
        "infraBasicInfo": infra_basic_info(infra),
        "deployments": [deployment_basic_info(d) for d in deployments],
        "canDeploy": True,  # [I]
    }


def governance_message(severity: str, title: str, message: str, fatal: bool = False) -> Dict[str, Any]:
    # [V] the keys of a governance status message (client docstring); [U] the codes.
    return {"severity": severity, "isFatal": fatal, "code": "ERR_GOVERN_SIMULATED", "title": title,
            "message": message, "details": message}


def infra_settings(infra: Any) -> Dict[str, Any]:
    settings = dict(infra.extra_settings)
    settings.update({"id": infra.id, "stage": infra.stage, "type": infra.type,  # [U] type
                     "governCheckPolicy": infra.govern_check_policy})
    if infra.type == "MULTI_NODE":
        # [U] multi-node settings keys; a real key is never echoed.
        settings["automationNodes"] = [{"nodeId": n.node_id, "url": n.url, "adminApiKey": ""} for n in infra.nodes]
    else:
        settings["automationNodeUrl"] = infra.nodes[0].url if infra.nodes else ""
        settings["adminApiKey"] = ""  # never a real key
    return settings


def published_project(pub: Any, deployments: List[Any], infras: List[Any]) -> Dict[str, Any]:
    return {
        "projectBasicInfo": {"id": pub.key, "name": pub.key},
        "packages": [package(b) for b in pub.bundles.values()],
        "deployments": [deployment_basic_info(d) for d in deployments],
        "infras": [infra_basic_info(i) for i in infras],
        "canDeploy": True,  # [I]
    }


def stages(infra_stages: Iterable[str]) -> List[Dict[str, Any]]:
    ids = list(DEFAULT_STAGES) + [s for s in infra_stages if s not in DEFAULT_STAGES]
    return [{"id": s, "desc": ""} for s in dict.fromkeys(ids)]
