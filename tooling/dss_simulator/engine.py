"""The step-based scenario engine: runs the `params.steps` of a scenario's settings when it is triggered.

One `StepEngine` per node. A triggered run whose scenario has steps (see `SimScenario.executed_steps`) gets a worker
thread that runs the steps one after the other:
- built-in `prepare_bundle` and `update_projectdeployer_deployment` (reference §4.2), on this node and its Deployer;
- plugin steps `pystep_<pluginId>_<stepId>` (reference §2.2), as DSS runs them: `step.py` in its own process through
  `step_runner.start_step`, with a ticket bound to the run, the node's presets and the `DKU_*` environment.

The worker never holds the node lock while a step runs; it takes it only to record logs, step runs and variables.
Lock order: node lock -> engine lock -> a run's own lock (abort comes in with the node lock held).
Guessed DSS behaviour is marked [I] (inferred) or [U] (unknown).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from . import clock, errors, expressions, shapes, step_runner
from .host import Host
from .runs import Run, StepRun
from .step_context import StepContext

# ------------------------------------------------------------------------------------------------ step types
PLUGIN_STEP_PREFIX = "pystep_"
PREPARE_BUNDLE = "prepare_bundle"
UPDATE_PROJECT_DEPLOYMENT = "update_projectdeployer_deployment"


def plugin_step_type(plugin_id: str, step_id: str) -> str:
    """The `type` of a plugin step in a scenario's `params.steps`: `pystep_<pluginId>_<stepId>`.

    [I] reference §2.2 (by analogy with `pytrigger_` / `pyrunnable_`). This function and `parse_plugin_step_type`
    are the only places in the simulator that know the format.
    """
    return "%s%s_%s" % (PLUGIN_STEP_PREFIX, plugin_id, step_id)


def parse_plugin_step_type(step_type: str, plugin_ids: Iterable[str] = ()) -> Optional[Tuple[str, str]]:
    """(plugin id, step id) of a `pystep_` type, else None. Installed plugin ids are tried first (longest first) so
    an id with `_` in it parses right; otherwise the plugin id ends at the first `_`, as scenarios.js splits
    `pytrigger_` types."""
    if not isinstance(step_type, str) or not step_type.startswith(PLUGIN_STEP_PREFIX):
        return None
    rest = step_type[len(PLUGIN_STEP_PREFIX):]
    for plugin_id in sorted(plugin_ids, key=len, reverse=True):
        if rest.startswith(plugin_id + "_") and len(rest) > len(plugin_id) + 1:
            return plugin_id, rest[len(plugin_id) + 1:]
    plugin_id, sep, step_id = rest.partition("_")
    return (plugin_id, step_id) if sep and plugin_id and step_id else None


@dataclass
class InstalledPlugin:
    """A plugin installed on a node (`node.install_plugin`): its folder and its plugin-level settings."""

    plugin_id: str
    root: Path
    config: Dict[str, Any] = field(default_factory=dict)  # plugin.json params, as `pluginConfig` in steps

    def step_dir(self, step_id: str) -> Path:
        return self.root / "python-steps" / step_id


# ------------------------------------------------------------------------------------------------ outcomes
SEVERITY = {"SUCCESS": 0, "WARNING": 1, "FAILED": 2, "ABORTED": 3}

RUN_IF_STATUS_MATCH = "RUN_IF_STATUS_MATCH"
RUN_ALWAYS = "RUN_ALWAYS"
RUN_CONDITIONALLY = "RUN_CONDITIONALLY"
DISABLED = "DISABLED"
DEFAULT_RUN_STATUSES = ("SUCCESS", "WARNING")  # reference §2.2: the default of `runConditionStatuses`


def worst(a: str, b: str) -> str:
    """SUCCESS < WARNING < FAILED < ABORTED."""
    return a if SEVERITY.get(a, 2) >= SEVERITY.get(b, 2) else b


# ------------------------------------------------------------------------------------------------ timing
POLL_S = 0.02  # how often the worker looks at a running step process (log lines, end)
KILL_GRACE_S = 5.0  # after an abort, SIGKILL if the step is still alive this long after SIGTERM [I]
CLOSE_GRACE_S = 2.0  # on close, SIGKILL whatever still runs after this


class StepFailure(Exception):
    """A step ends with `outcome` and the message shown as its error."""

    def __init__(self, message: str, outcome: str = "FAILED") -> None:
        super().__init__(message)
        self.outcome = outcome


class EngineRun:
    """The engine's side of one run: the steps to run, the worker thread, the step process running now."""

    def __init__(self, run: Run, steps: List[Any]) -> None:
        self.run = run
        self.steps = steps
        self.lock = threading.Lock()
        self.abort_event = threading.Event()
        self.abort_time: Optional[float] = None  # time.monotonic() of the first abort
        self.proc: Optional[step_runner.StepProcess] = None
        self.done = threading.Event()
        self.thread: Optional[threading.Thread] = None

    @property
    def aborted(self) -> bool:
        return self.abort_event.is_set()

    def abort(self) -> None:
        """Stop starting steps, and send SIGTERM to the step process running now (as DSS does on abort [I])."""
        with self.lock:
            if self.abort_time is None:
                self.abort_time = time.monotonic()
            self.abort_event.set()
            proc = self.proc
        if proc is not None:
            proc.terminate()

    def kill(self) -> None:
        with self.lock:
            proc = self.proc
        if proc is not None:
            proc.kill()

    def start_process(self, start: Callable[[], step_runner.StepProcess]) -> Optional[step_runner.StepProcess]:
        """Start a step process unless the run was aborted; under the run's lock so an abort cannot miss it."""
        with self.lock:
            if self.abort_event.is_set():
                return None
            self.proc = start()
            return self.proc

    def clear_process(self) -> None:
        with self.lock:
            self.proc = None


class StepEngine:
    def __init__(self, node: Host) -> None:
        self.node = node
        self._lock = threading.Lock()
        self._runs: Dict[str, EngineRun] = {}
        self._closed = False

    # ----------------------------------------------------------------------------- control
    def launch(self, run: Run, steps: List[Any]) -> EngineRun:
        """Start the worker of a new run (called by `Node.fire`, node lock held)."""
        er = EngineRun(run, steps)
        with self._lock:
            if self._closed:
                run.stop("ABORTED")
                run.add_log("Run aborted: the simulated node is shutting down")
                er.done.set()
                return er
            self._runs[run.run_id] = er
            er.thread = threading.Thread(target=self._work, args=(er,), name="dss-sim-engine-%s" % run.run_id,
                                         daemon=True)
        er.thread.start()
        return er

    def get(self, run_id: str) -> Optional[EngineRun]:
        with self._lock:
            return self._runs.get(run_id)

    def abort(self, run_id: str) -> bool:
        """Abort the engine run `run_id` (SIGTERM to its step process). False if it is not an engine run."""
        er = self.get(run_id)
        if er is None:
            return False
        er.abort()
        return True

    def active(self) -> List[EngineRun]:
        with self._lock:
            return [er for er in self._runs.values() if not er.done.is_set()]

    def close(self) -> None:
        """Abort every run, SIGTERM its step process, SIGKILL after CLOSE_GRACE_S, join every worker."""
        with self._lock:
            self._closed = True
            runs = list(self._runs.values())
        for er in runs:
            if not er.done.is_set():
                with self.node.lock:
                    if er.run.stop("ABORTED"):
                        er.run.add_log("Run aborted: the simulated node is shutting down")
                er.abort()
        deadline = time.monotonic() + CLOSE_GRACE_S
        for er in runs:
            if er.thread is not None:
                er.thread.join(max(0.0, deadline - time.monotonic()))
        for er in runs:
            if er.thread is not None and er.thread.is_alive():
                er.kill()
                er.thread.join(KILL_GRACE_S)

    # ----------------------------------------------------------------------------- worker
    def _work(self, er: EngineRun) -> None:
        run = er.run
        scratch = tempfile.mkdtemp(prefix="dss-sim-run-")
        try:
            delay = run.start - clock.now()
            if delay > 0:  # trigger latency: the run does not exist yet
                er.abort_event.wait(delay)
            # [I] the steps of a run act as the run's user with that user's rights; the simulator gives the ticket
            # every project (it models no per-user project rights for scenario runs).
            ctx = StepContext(self.node, run, self.node.auth.add_ticket(run.user, run))
            try:
                outcome = self._run_steps(er, ctx, scratch)
            except Exception:  # a bug in the engine must not leave a run running forever
                ctx.log("Simulator step engine error:\n" + traceback.format_exc())
                outcome = "FAILED"
            ctx.finish(outcome)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            er.done.set()

    def _run_steps(self, er: EngineRun, ctx: StepContext, scratch: str) -> str:
        run = er.run
        status = "SUCCESS"  # the scenario's current status: what run conditions match, and the final outcome
        for index, raw in enumerate(er.steps):
            if er.aborted or run.finished():
                break  # an aborted run starts no later step, whatever its run condition
            step = raw if isinstance(raw, dict) else {"type": repr(raw)}
            step_id = str(step.get("id") or "step_%d" % (index + 1))  # [I] a step without id gets one
            name = str(step.get("name") or step_id)
            step_type = str(step.get("type") or "")
            decision, why = self._decide(step, status, run)
            if decision == "skip":
                ctx.log("Step '%s' (%s) skipped: %s" % (name, step_type, why))
                continue
            sr = ctx.start_step(step_id, name, step_type)
            if decision == "fail":
                outcome, error = "FAILED", why
                self._log(sr, run, why)
            else:
                outcome, error = self._execute_with_retries(er, ctx, sr, step, scratch)
            ctx.end_step(sr, outcome, error)
            outcome = sr.outcome or outcome  # an abort during the step already marked it ABORTED
            # [I] stepOutcome_<step name> is set after each step (reference §2.5, §8)
            ctx.set_variables({"stepOutcome_" + name: outcome})
            ctx.log("Step '%s' (%s) finished: %s" % (name, step_type, outcome))
            # [I] resetScenarioStatus: the step's outcome replaces the status so far (a recovery step)
            status = outcome if step.get("resetScenarioStatus") and status != "ABORTED" else worst(status, outcome)
            if outcome == "ABORTED":
                break
        return status

    def _decide(self, step: Mapping[str, Any], status: str, run: Run) -> Tuple[str, str]:
        """("run" | "skip" | "fail", why) from `enabled` and the run condition (reference §2.2)."""
        if step.get("enabled", True) is False:
            return "skip", "disabled (enabled: false)"
        kind = step.get("runConditionType") or RUN_IF_STATUS_MATCH
        if kind == DISABLED:
            return "skip", "run condition DISABLED"
        if kind == RUN_ALWAYS:
            return "run", ""
        if kind == RUN_IF_STATUS_MATCH:
            statuses = list(step.get("runConditionStatuses") or DEFAULT_RUN_STATUSES)
            if status in statuses:
                return "run", ""
            return "skip", "the scenario status is %s, not one of %s" % (status, ", ".join(statuses))
        if kind == RUN_CONDITIONALLY:
            expression = str(step.get("runConditionExpression") or "")
            variables = self._variables(run)
            variables["outcome"] = status  # [I] the current scenario outcome, as in the variables dump (§8)
            try:
                ok = expressions.evaluate(expression, variables)
            except expressions.ExpressionError as exc:
                return "fail", "Invalid run condition expression %r: %s" % (expression, exc)
            return ("run", "") if ok else ("skip", "run condition %r is false" % expression)
        return "fail", ("Unknown runConditionType %r (expected %s)"
                        % (kind, ", ".join((RUN_IF_STATUS_MATCH, RUN_ALWAYS, RUN_CONDITIONALLY, DISABLED))))

    def _execute_with_retries(self, er: EngineRun, ctx: StepContext, sr: StepRun, step: Mapping[str, Any],
                              scratch: str) -> Tuple[str, Optional[str]]:
        retries = _int(step.get("maxRetriesOnFail"))
        delay = _float(step.get("delayBetweenRetries"))
        attempt = 0
        while True:
            outcome, error = self._execute(er, ctx, sr, step, scratch)
            if outcome != "FAILED" or attempt >= retries or er.aborted:
                return outcome, error
            attempt += 1
            self._log(sr, er.run, "Step failed; retry %d of %d in %.1fs" % (attempt, retries, delay))
            if er.abort_event.wait(delay):
                return "ABORTED", "Scenario aborted"

    def _execute(self, er: EngineRun, ctx: StepContext, sr: StepRun, step: Mapping[str, Any],
                 scratch: str) -> Tuple[str, Optional[str]]:
        step_type = sr.type
        try:
            builtin = _BUILTINS.get(step_type)
            if builtin is not None:
                unknown: List[str] = []
                params = expressions.expand(dict(step.get("params") or {}), self._variables(er.run), unknown)
                for name in unknown:
                    self._log(sr, er.run, "Variable ${%s} is not defined; left as is" % name)
                return builtin(self, er, ctx, sr, params), None
            with self.node.lock:
                plugin_ids = list(self.node.plugins)
            parsed = parse_plugin_step_type(step_type, plugin_ids)
            if parsed is not None:
                return self._plugin_step(er, ctx, sr, step, parsed, scratch)
            raise StepFailure("Unknown step type %r: the simulator runs %s, %s and plugin steps %s"
                              % (step_type, PREPARE_BUNDLE, UPDATE_PROJECT_DEPLOYMENT,
                                 plugin_step_type("<pluginId>", "<stepId>")))
        except StepFailure as exc:
            self._log(sr, er.run, str(exc))
            return exc.outcome, str(exc)
        except errors.DSSError as exc:  # what the DSS backend would have refused
            message = "%s: %s" % (exc.error_type.rsplit(".", 1)[-1], exc.message)
            self._log(sr, er.run, message)
            return "FAILED", message
        except Exception as exc:
            self._log(sr, er.run, traceback.format_exc())
            return "FAILED", "%s: %s" % (type(exc).__name__, exc)

    # ----------------------------------------------------------------------------- helpers
    def _variables(self, run: Run) -> Dict[str, Any]:
        """What `${var}` sees: project variables, then the scenario variables set so far (they win) [I]."""
        with self.node.lock:
            project = self.node.projects.get(run.project_key)
            merged = dict(project.resolved_variables()) if project is not None else {}
            merged.update(run.variables)
        return merged

    def _log(self, sr: StepRun, run: Run, line: str) -> None:
        with self.node.lock:
            run.add_log(line, sr.step_id)
            sr.log.append(line)

    # ----------------------------------------------------------------------------- plugin steps
    def _plugin_step(self, er: EngineRun, ctx: StepContext, sr: StepRun, step: Mapping[str, Any],
                     parsed: Tuple[str, str], scratch: str) -> Tuple[str, Optional[str]]:
        plugin_id, step_id = parsed
        with self.node.lock:
            plugin = self.node.plugins.get(plugin_id)
            # A project-level preset of the same name wins, as the project's Plugin presets list comes first.
            presets = json.loads(json.dumps(dict(self.node.plugin_presets,
                                                 **self.node.project(er.run.project_key).plugin_presets)))
        if plugin is None:
            # DSS flags a step whose plugin is missing as unavailable (reference §2.2)
            raise StepFailure("Plugin %r is not installed on node %s: step type %r is unavailable"
                              % (plugin_id, self.node.node_id, sr.type))
        step_dir = plugin.step_dir(step_id)
        if not (step_dir / "step.py").is_file():
            raise StepFailure("Plugin %r has no step %r (no python-steps/%s/step.py in %s)"
                              % (plugin_id, step_id, step_id, plugin.root))
        params = step.get("params") or {}
        # [U] The step's config goes to the plugin exactly as stored, `${var}` NOT expanded: the plugin expands
        # variables itself (it reads them through the Scenario API). Only built-in steps are expanded here.
        raw_config = (params.get("config") or {}) if isinstance(params, dict) else {}
        run = er.run
        trigger_file = os.path.join(scratch, "trigger-%s.json" % sr.step_id)
        with open(trigger_file, "w", encoding="utf-8") as f:
            json.dump({"trigger": {"id": run.fire.trigger_id, "type": run.fire.trigger_type,
                                   "name": run.fire.trigger_name},
                       "params": dict(run.fire.params)}, f)

        def start() -> step_runner.StepProcess:
            return step_runner.start_step(
                step_dir, raw_config=raw_config, presets=presets, plugin_params=plugin.config,
                backend_url=self.node.url, ticket=ctx.ticket, project_key=run.project_key,
                extra_env=dict(self.node.step_env, DKU_CURRENT_SCENARIO_TRIGGER_FILE=trigger_file))

        try:
            proc = er.start_process(start)
        except ValueError as exc:  # an unknown preset, a bad backend URL
            raise StepFailure("Cannot start step %s of plugin %s: %s" % (step_id, plugin_id, exc)) from exc
        if proc is None:
            return "ABORTED", "Scenario aborted"
        try:
            result = self._follow(er, sr, proc)
        finally:
            er.clear_process()
        self._log(sr, run, "[simulator] step.py ended with exit code %d: %s" % (result.exit_code, result.outcome))
        if result.outcome == "FAILED":
            return "FAILED", _last_line(result.log) or "step.py exited with code %d" % result.exit_code
        if result.outcome == "ABORTED":
            return "ABORTED", "Scenario aborted"
        return result.outcome, None

    def _follow(self, er: EngineRun, sr: StepRun, proc: step_runner.StepProcess) -> step_runner.StepRun:
        """Wait for the step process, copying its output to the step log as it comes; SIGKILL it if it outlives
        an abort by KILL_GRACE_S."""
        offset = 0

        def drain(final: bool) -> None:
            nonlocal offset
            chunk = proc.current_log()[offset:]
            if not final:
                chunk = chunk[:chunk.rfind("\n") + 1]  # whole lines only while it runs
            offset += len(chunk)
            for line in chunk.splitlines():
                self._log(sr, er.run, line)

        while True:
            try:
                result = proc.wait(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                drain(False)
                if er.abort_time is not None and time.monotonic() - er.abort_time > KILL_GRACE_S:
                    proc.kill()
        drain(True)
        return result

    # ----------------------------------------------------------------------------- built-in steps
    def _prepare_bundle(self, er: EngineRun, ctx: StepContext, sr: StepRun, params: Dict[str, Any]) -> str:
        """Create bundle (reference §4.2): export, optionally publish on this node's Deployer."""
        node, run = self.node, er.run
        if node.is_automation:
            raise StepFailure("Create bundle (%s) needs a Design node; %s is an Automation node"
                              % (PREPARE_BUNDLE, node.node_id))
        wanted = str(params.get("bundleId") or "").strip()
        if not wanted:
            raise StepFailure("Create bundle: the bundle id (bundleId) is empty")
        with node.lock:  # choose the id and export under one lock: no other export can take it in between
            taken = node.project(run.project_key).exported_bundles
            bundle_id = transmogrify(wanted, taken) if _flag(params.get("transmogrify")) else wanted
            bundle = node.export_bundle(run.project_key, bundle_id, params.get("releaseNotes") or None)
        self._log(sr, run, "Bundle %s exported from project %s%s" % (
            bundle_id, run.project_key, "" if bundle_id == wanted else " (%s was taken)" % wanted))
        target = str(params.get("targetVariable") or "").strip()
        if target:
            ctx.set_variables({target: bundle_id})
            self._log(sr, run, "Scenario variable %s = %s" % (target, bundle_id))
        if _flag(params.get("publishOnDeployer")):
            if node.deployer is None:
                raise StepFailure("Cannot publish bundle %s: node %s has no Project Deployer"
                                  % (bundle_id, node.node_id))
            published_key = str(params.get("publishedProjectKey") or "").strip() or run.project_key
            node.deployer.publish(bundle, published_key, run.user)
            self._log(sr, run, "Bundle %s published on the Deployer in project %s" % (bundle_id, published_key))
        return "SUCCESS"

    def _update_deployment(self, er: EngineRun, ctx: StepContext, sr: StepRun, params: Dict[str, Any]) -> str:
        """Update Project deployment (reference §4.2): set the bundle, start an update, wait for its end."""
        node, run = self.node, er.run
        deployer = node.deployer
        if deployer is None:
            raise StepFailure("Update Project deployment (%s) needs this node's Project Deployer; %s has none"
                              % (UPDATE_PROJECT_DEPLOYMENT, node.node_id))
        deployment_id = str(params.get("deploymentId") or "").strip()
        if not deployment_id:
            raise StepFailure("Update Project deployment: the deployment id (deploymentId) is empty")
        bundle_id = str(params.get("newVersionId") or "").strip()
        dep = deployer.deployment(deployment_id)
        if bundle_id:
            settings = shapes.deployment_settings(dep)
            settings["bundleId"] = bundle_id
            deployer.save_settings(dep, settings)
            self._log(sr, run, "Deployment %s now asks for bundle %s" % (deployment_id, bundle_id))
        future = deployer.start_update(dep, run.user)
        pending = future.task
        self._log(sr, run, "Update of deployment %s to bundle %s started" % (deployment_id, pending.bundle_id))
        while not pending.done(clock.now()):
            if er.abort_event.wait(min(0.1, max(0.005, pending.end - clock.now()))):
                node.futures.abort(future.job_id)  # [I] aborting the step aborts the update it started
                raise StepFailure("Update of deployment %s aborted with the scenario" % deployment_id, "ABORTED")
            deployer.settle()
        record = pending.record
        if record is None:
            raise StepFailure("Update of deployment %s was aborted" % deployment_id)
        for line in record.logs:
            self._log(sr, run, line)
        if record.status == "ERROR":
            details = "; ".join(m.get("message", "") for m in pending.messages) or "no details"
            raise StepFailure("Update of deployment %s to bundle %s failed (ERROR): %s"
                              % (deployment_id, record.bundle_id, details))
        # [I] a WARNING update makes a WARNING step; the deployment's health is not checked by this step
        return "WARNING" if record.status == "WARNING" else "SUCCESS"


_BUILTINS: Dict[str, Callable[..., str]] = {
    PREPARE_BUNDLE: StepEngine._prepare_bundle,
    UPDATE_PROJECT_DEPLOYMENT: StepEngine._update_deployment,
}


def transmogrify(bundle_id: str, taken: Iterable[str]) -> str:
    """`bundle_id` if free, else `<bundle_id>_<n>` with the smallest n >= 1 that is free.

    [I] "append a number to make it unique" (reference §4.2); the exact format DSS uses is unverified.
    """
    taken = set(taken)
    if bundle_id not in taken:
        return bundle_id
    n = 1
    while "%s_%d" % (bundle_id, n) in taken:
        n += 1
    return "%s_%d" % (bundle_id, n)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _float(value: Any) -> float:
    try:
        return max(0.0, float(value or 0))
    except (TypeError, ValueError):
        return 0.0


def _last_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1] if lines else ""
