"""Exhaustive single-fault exploration of the plugin's flows against the DSS simulator.

For each flow (a step or macro run on a simulated estate), a clean run gives the sequence of requests the plugin
sends. Each request of that sequence, with each fault kind, is then a point: the flow runs again on a fresh estate
with that one fault, and six invariants are judged from the simulator's state, not from the plugin's words:

1. nothing the step started is still running when it exits (runs, updates);
2. no scenario started more often, no update started more often, and no Govern feedback posted more often, than in
   the clean run;
3. a deployment's settings point at the bundle its nodes run, unless the output says OUT_OF_SYNC;
4. a fault within the retry budget changes nothing: the same ending and end state as the clean run;
5. a fault beyond the budget (a DSS error) gives a clear failure naming the object, within the clean run's time
   plus the retry budget and a stated grace;
6. no API key appears in any output.

A request is named by its node, method, path and occurrence, so a point finds the same request again although
polls interleave differently from run to run. A point whose request does not come again is "not reached".
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from dss_simulator import Simulator
from macrokit import run_plugin_macro
from stepkit import run_plugin_step
from worlds import (
    FEEDBACK_GROUP,
    FILE_FIELD,
    PROJECT,
    Estate,
    build_estate,
    make_tests,
    preset_ref,
    promotion_estate,
    run_tests_on,
    with_govern,
)

HTTP_TIMEOUT_S = 2
RETRY_BUDGET_S = 10
# How long past the clean run and the retry budget a failing point may take (a look window, an abort's grace).
GRACE_S = 30
TRANSPORT = {"http_timeout_s": HTTP_TIMEOUT_S, "retry_budget_s": RETRY_BUDGET_S}
INTERNAL = "/dip/api/tintercom"  # DSS's own `dataiku` package, not the plugin's calls

INVARIANTS = ("nothing left running", "no double start", "settings match the nodes", "transient fault changes "
              "nothing", "clear failure in time", "no key in output")


@dataclass(frozen=True)
class FaultKind:
    name: str
    options: dict
    transient: bool   # within the retry budget: the flow must end as the clean run did


KINDS = (
    FaultKind("502 after the work", dict(status=502, after=True), True),
    FaultKind("503 before the work", dict(status=503), True),
    FaultKind("504 after the work", dict(status=504, after=True), True),
    FaultKind("500 with a DSS error", dict(status=500, dss_body=True), False),
    FaultKind("dropped before the work", dict(drop=True), True),
    FaultKind("dropped after the work", dict(drop_after=True), True),
    FaultKind("cut-off body after the work", dict(cut=True), True),
    FaultKind("answer slower than the read timeout", dict(status=0, delay_after=HTTP_TIMEOUT_S + 0.5), True),
    FaultKind("429 with Retry-After", dict(status=429, retry_after=1), True),
)
KINDS_BY_NAME = {k.name: k for k in KINDS}


@dataclass
class Ending:
    ok: bool
    output: str        # everything a person or DSS sees: log, message, page
    last_line: str     # the failure message
    seconds: float


@dataclass(frozen=True)
class Flow:
    name: str
    build: Callable[[Simulator], Estate]
    act: Callable[[Estate], Ending]
    # Names a clear failure message holds at least one of.
    objects: Tuple[str, ...]


def _step(step_id: str, config: dict) -> Callable[[Estate], Ending]:
    def act(estate: Estate) -> Ending:
        started = time.monotonic()
        out = run_plugin_step(estate.design, step_id, PROJECT, dict(config, **TRANSPORT), presets=estate.presets(),
                              timeout=180)
        lines = out.log.strip().splitlines()
        return Ending(out.ok, out.log, lines[-1] if lines else "", time.monotonic() - started)
    return act


# The outcome badge and the message of the promote macro's page: a promotion that failed is a result on the page.
_PAGE_OUTCOME = re.compile(r'<span class="badge (\w+)">.*?</span></h2>\s*<p>(.*?)</p>', re.S)


def _promote_macro(config: dict) -> Callable[[Estate], Ending]:
    def act(estate: Estate) -> Ending:
        started = time.monotonic()
        out = run_plugin_macro(estate.design, "promote-tested-bundle", PROJECT, dict(config, **TRANSPORT),
                               presets=estate.presets(), timeout=180)
        page = _PAGE_OUTCOME.search(out.result or "")
        ok = out.ok and page is not None and page.group(1) in ("updated", "unchanged")
        message = html.unescape(page.group(2)) if page is not None and out.ok else out.error
        return Ending(ok, "\n".join((out.log, out.result, out.error)), message, time.monotonic() - started)
    return act


def _tests_estate(sim: Simulator) -> Estate:
    return build_estate(sim, make_tests(3), with_prod=False)


def _multinode_estate(sim: Simulator) -> Estate:
    return build_estate(sim, make_tests(2), qa_nodes=2, with_prod=False)


def _tested_qa_estate(sim: Simulator) -> Estate:
    estate = build_estate(sim, make_tests(2), with_prod=False)
    run_tests_on(estate.qa, ["test_1", "test_2"])
    return estate


def _promotion_estate(sim: Simulator) -> Estate:
    estate = promotion_estate(sim)
    run_tests_on(estate.qa, ["test_1", "test_2"])
    return estate


def _governed_qa_estate(sim: Simulator) -> Estate:
    return with_govern(sim, _tested_qa_estate(sim), bundles=("v1",))


def _signed_off_estate(sim: Simulator) -> Estate:
    return with_govern(sim, _promotion_estate(sim), approved=("v2",))


def _rollback_estate(sim: Simulator) -> Estate:
    estate = _promotion_estate(sim)
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.02, health_by_bundle={"v2": "UNHEALTHY"})
    return estate


QA_NODES = [preset_ref("qa")]
FLOWS = (
    Flow("run tests on this project", _tests_estate,
         _step("run-test-scenarios", {"target": "this_project", "parallelism": 2}),
         ("test_1", "test_2", "test_3", "SHOP")),
    Flow("run tests on a deployment through a preset", _tests_estate,
         _step("run-test-scenarios", {"target": "deployment", "deployment_id": "SHOP-on-qa", "parallelism": 3,
                                      "automation_nodes": QA_NODES}),
         ("test_1", "test_2", "test_3", "SHOP-on-qa", "SHOP")),
    Flow("run tests on a multi-node deployment", _multinode_estate,
         _step("run-test-scenarios", {"target": "deployment", "deployment_id": "SHOP-on-qa", "parallelism": 2,
                                      "automation_nodes": [preset_ref("qa1"), preset_ref("qa2")]}),
         ("test_1", "test_2", "SHOP-on-qa", "qa1", "qa2", "SHOP")),
    Flow("assert test status clean", _tested_qa_estate,
         _step("assert-test-status", {"deployment_id": "SHOP-on-qa", "automation_nodes": QA_NODES}),
         ("SHOP-on-qa", "v1", "SHOP", "qa-infra")),
    Flow("deploy with the gate", _promotion_estate,
         _step("deploy-bundle", {"deployment_id": "SHOP-on-prod", "bundle_id": "v2", "gate_deployment_id": "SHOP-on-qa",
                                 "gate_automation_nodes": QA_NODES}),
         ("SHOP-on-prod", "SHOP-on-qa", "v2", "SHOP")),
    Flow("deploy that rolls back", _rollback_estate,
         _step("deploy-bundle", {"deployment_id": "SHOP-on-prod", "bundle_id": "v2"}),
         ("SHOP-on-prod", "v1", "v2", "SHOP")),
    Flow("assert and post the verdict to Govern", _governed_qa_estate,
         _step("assert-test-status", {"deployment_id": "SHOP-on-qa", "automation_nodes": QA_NODES,
                                      "post_feedback": True, "govern": preset_ref("govern"),
                                      "feedback_group": FEEDBACK_GROUP, "attach_field": FILE_FIELD}),
         ("SHOP-on-qa", "v1", "SHOP", "qa-infra", "Govern")),
    Flow("deploy with the Govern sign-off", _signed_off_estate,
         _step("deploy-bundle", {"deployment_id": "SHOP-on-prod", "bundle_id": "v2", "gate_deployment_id": "SHOP-on-qa",
                                 "gate_automation_nodes": QA_NODES, "require_signoff": True,
                                 "govern": preset_ref("govern")}),
         ("SHOP-on-prod", "SHOP-on-qa", "v2", "SHOP", "Govern")),
    Flow("promote tested bundle macro", _promotion_estate,
         _promote_macro({"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod",
                         "qa_automation_nodes": QA_NODES, "dry_run": False}),
         ("SHOP-on-prod", "SHOP-on-qa", "v2", "SHOP")),
)
FLOWS_BY_NAME = {f.name: f for f in FLOWS}


# -- what the simulator says -----------------------------------------------------------------------------------------

# Path segments that differ from run to run: future ids and run ids.
_DYNAMIC = re.compile(r"fut-[0-9a-f]+|\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-\d{3}")


@dataclass(frozen=True)
class RequestKey:
    node: str
    method: str
    path: str         # with its dynamic segments written <id>
    occurrence: int   # among the requests of the same node, method and path, from 0

    @property
    def pattern(self) -> str:
        return "/".join("[^/]+" if part == "<id>" else re.escape(part) for part in self.path.rstrip("/").split("/"))

    def __str__(self):
        return "%s %s %s #%d" % (self.node, self.method, self.path, self.occurrence)


def _nodes(estate: Estate) -> List:
    return [estate.design] + estate.qa_nodes + [n for n in (estate.prod, estate.govern) if n is not None]


def requests_of(estate: Estate, since: float) -> List[RequestKey]:
    """The plugin's requests since `since`, in the order they arrived, across nodes."""
    records = [(r.time, node.node_id, r) for node in _nodes(estate) for r in node.requests
               if r.time >= since and not r.path.startswith(INTERNAL)]
    keys, seen = [], {}
    for _, node_id, r in sorted(records, key=lambda x: x[0]):
        path = "/".join("<id>" if _DYNAMIC.fullmatch(part) else part for part in r.path.split("/"))
        base = (node_id, r.method, path)
        keys.append(RequestKey(node_id, r.method, path, seen.get(base, 0)))
        seen[base] = seen.get(base, 0) + 1
    return keys


@dataclass(frozen=True)
class EndState:
    runs: Dict[str, Tuple[str, ...]]                 # "node/project/scenario" -> outcomes of its runs, in order
    deployments: Dict[str, Tuple[str, str, str]]     # id -> (settings bundle, running bundle, health)
    updates_started: Dict[str, Tuple[str, ...]]      # id -> the bundle of each update started, in order
    active_runs: int
    updates_in_progress: int
    # Govern bundle -> (its feedback statuses, how many of the verdict's own files its File field holds, its
    # sign-off's status). Left out: files uploaded but attached to nothing (a lost upload answer may leave one,
    # which the log names), and the copy of DSS's JUnit report, attached only when the gate could read the report
    # (a DSS error to that read is a note of the verdict, not a failure).
    govern: Dict[str, Tuple[Tuple[str, ...], int, str]] = field(default_factory=dict)


def _govern_state(estate: Estate) -> Dict[str, Tuple[Tuple[str, ...], int, str]]:
    if estate.govern is None:
        return {}
    state = {}
    for item in estate.govern.govern.visible_artifacts():
        if "review" in item.signoffs:
            signoff = item.signoff("review")
            files = [estate.govern.govern.uploaded_files.get(i, ("",))[0] for i in item.fields.get(FILE_FIELD) or []]
            state[item.name] = (tuple(f["status"] for f in signoff.feedback),
                                sum(1 for name in files if not name.startswith("junit-")), signoff.status)
    return state


def end_state(estate: Estate, before: Optional[Dict[str, int]] = None) -> EndState:
    runs, active = {}, 0
    for node in _nodes(estate):
        active += len(node.active_runs())
        for project_key, project in node.projects.items():
            for scenario_id in project.scenarios:
                outcomes = tuple(r.outcome or "RUNNING" for r in node.runs(project_key, scenario_id))
                if scenario_id != "pipeline" and outcomes:
                    runs["%s/%s/%s" % (node.node_id, project_key, scenario_id)] = outcomes
    deployer = estate.design.deployer
    deployer.settle()
    deployments, updates, in_progress = {}, {}, 0
    for dep_id, dep in deployer.deployments.items():
        deployments[dep_id] = (dep.settings_bundle_id, dep.bundle_id or "", dep.current_health)
        updates[dep_id] = tuple(dep.started_updates[(before or {}).get(dep_id, 0):])
        in_progress += int(dep.in_progress)
    return EndState(runs, deployments, updates, active, in_progress, _govern_state(estate))


def _started_before(estate: Estate) -> Dict[str, int]:
    return {d: len(dep.started_updates) for d, dep in estate.design.deployer.deployments.items()}


# -- a clean run, and one point --------------------------------------------------------------------------------------

@dataclass
class Baseline:
    flow: str
    ending: Ending
    state: EndState
    requests: List[RequestKey]


def record(flow: Flow) -> Baseline:
    with Simulator() as sim:
        estate = flow.build(sim)
        before = _started_before(estate)
        since = time.time()
        ending = flow.act(estate)
        return Baseline(flow.name, ending, end_state(estate, before), requests_of(estate, since))


@dataclass
class PointResult:
    flow: str
    request: RequestKey
    kind: str
    reached: bool
    broken: List[str] = field(default_factory=list)   # the invariants that did not hold, with why
    seconds: float = 0.0

    @property
    def held(self) -> bool:
        return not self.broken


def _keys(estate: Estate) -> List[str]:
    keys = [node.admin_key for node in _nodes(estate)]
    keys += [p["api_key"] for p in estate.presets().values()]
    return [k for k in keys if k]


def explore(flow: Flow, baseline: Baseline, request: RequestKey, kind: FaultKind) -> PointResult:
    with Simulator() as sim:
        estate = flow.build(sim)
        before = _started_before(estate)
        node = next(n for n in _nodes(estate) if n.node_id == request.node)
        fault = node.faults.add(path_regex=request.pattern, method=request.method, skip=request.occurrence, times=1,
                                **kind.options)
        ending = flow.act(estate)
        state = end_state(estate, before)
        keys = _keys(estate)
    result = PointResult(flow.name, request, kind.name, reached=fault.used > 0, seconds=ending.seconds)
    clean = baseline.state
    if state.active_runs or state.updates_in_progress:
        result.broken.append("nothing left running: %d run(s), %d update(s)" % (state.active_runs,
                                                                               state.updates_in_progress))
    doubled = [s for s, outcomes in state.runs.items() if len(outcomes) > len(clean.runs.get(s, ()))]
    # One intent, one update: the same bundle started twice in a row is a request sent again blindly (an update
    # then its rollback are two intents).
    doubled += ["update of %s to %s" % (d, a) for d, bundles in state.updates_started.items()
                for a, b in zip(bundles, bundles[1:]) if a == b]
    doubled += ["feedback on %s" % b for b, (feedback, _, _) in state.govern.items()
                if len(feedback) > len(clean.govern.get(b, ((), 0, ""))[0])]
    if doubled:
        result.broken.append("no double start: %s" % ", ".join(doubled))
    if "OUT_OF_SYNC" not in ending.output:
        apart = [d for d, (settings, running, _) in state.deployments.items() if settings != running]
        if apart:
            result.broken.append("settings match the nodes: %s" % ", ".join(apart))
    same = ending.ok == baseline.ending.ok and state == clean
    if kind.transient and not same:
        result.broken.append("transient fault changes nothing: ok %s (clean %s); %s" % (
            ending.ok, baseline.ending.ok, _difference(clean, state) or ending.last_line))
    if not kind.transient and not same:
        limit = baseline.ending.seconds + RETRY_BUDGET_S + GRACE_S
        named = any(name in ending.last_line for name in flow.objects)
        if ending.ok or not named or ending.seconds > limit:
            result.broken.append("clear failure in time: ok %s, %.1fs (limit %.0fs), message %r" % (
                ending.ok, ending.seconds, limit, ending.last_line[:200]))
    leaked = [k for k in keys if k in ending.output]
    if leaked:
        result.broken.append("no key in output: %d key(s)" % len(leaked))
    return result


def _difference(clean: EndState, state: EndState) -> str:
    parts = []
    for name in ("runs", "deployments", "updates_started", "govern"):
        a, b = getattr(clean, name), getattr(state, name)
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                parts.append("%s %s: %s -> %s" % (name, key, a.get(key), b.get(key)))
    return "; ".join(parts)


def all_points(baselines: Dict[str, Baseline]) -> List[Tuple[str, RequestKey, str]]:
    """Every (flow, request, fault kind), in a fixed order."""
    return [(name, request, kind.name) for name, baseline in baselines.items() for request in baseline.requests
            for kind in KINDS]


def sample(points: List[Tuple[str, RequestKey, str]], size: int) -> List[Tuple[str, RequestKey, str]]:
    """A fixed, spread-out subset: every n-th point, so that each flow, request position and kind shows up."""
    if len(points) <= size:
        return list(points)
    step = len(points) / float(size)
    return [points[int(i * step)] for i in range(size)]


# The points explored in this test session, for the summary line pytest prints at the end.
EXPLORED: List[PointResult] = []


def summary(results: List[PointResult]) -> str:
    reached = [r for r in results if r.reached]
    failed = [r for r in reached if not r.held]
    per = {name: sum(1 for r in failed if any(b.startswith(name) for b in r.broken)) for name in INVARIANTS}
    return ("fault exploration: %d points explored (%d reached), %d held, %d failed; failed per invariant: %s"
            % (len(results), len(reached), len(reached) - len(failed), len(failed),
               ", ".join("%s %d" % (name, n) for name, n in per.items())))
