"""A simulated DSS node (Design, Automation or Govern): its state and its control API. `server.py` serves it over
HTTP."""

from __future__ import annotations

import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional

from . import clock, errors
from .auth import AuthRegistry, Principal
from .engine import InstalledPlugin, StepEngine
from .faults import Faults
from .futures import Futures
from .project import BundleSnapshot, SimProject
from .reqlog import RequestLog, RequestRecord
from .runs import Run
from .step_context import StepContext

DESIGN = "DESIGN"
AUTOMATION = "AUTOMATION"
GOVERN = "GOVERN"  # a Dataiku Govern node: `node.govern` is its model (govern.py), served by api_govern.py
DEFAULT_VERSION = "14.2.0"


class Node:
    """One DSS node = one Werkzeug server on 127.0.0.1. Thread-safe: one re-entrant lock guards its state.

    Lock order, to stay deadlock-free: design node lock -> deployer lock -> automation node lock, and design node
    lock -> Govern node lock (a bundle export syncs into a Govern node that watches the design node).
    """

    def __init__(self, node_id: str, kind: str, dss_version: str = DEFAULT_VERSION) -> None:
        self.node_id = node_id
        self.kind = kind
        self.dss_version = dss_version
        self.lock = threading.RLock()
        self.auth = AuthRegistry()
        self.faults = Faults()
        self.log = RequestLog()
        self.futures = Futures()
        self.ids = clock.IdMaker()
        self.projects: Dict[str, SimProject] = {}
        self.trigger_latency = 0.0  # seconds between a trigger fire and the run it starts
        self.dss_url_configured = True  # [I] False: no dssURL / scenarioRunURL in scenario variables (§8)
        # [U] None: JUnit timestamps in UTC with a "Z"; hours: the server's local time at that offset, with no zone.
        self.junit_utc_offset: Optional[float] = None
        self.admin_key = self.auth.new_key("admin")
        self.deployer: Any = None  # set on a design node by the Simulator
        self.govern: Any = None  # the Govern model of a GOVERN node, set by the Simulator
        self._bundle_listeners: List[Callable[[BundleSnapshot], None]] = []
        self._sync_hooks: List[Callable[[], None]] = []
        self._down_until = 0.0
        self._runner_threads: List[threading.Thread] = []
        self.plugins: Dict[str, InstalledPlugin] = {}  # plugin id -> folder, for plugin steps (`install_plugin`)
        self.plugin_presets: Dict[str, Dict[str, Any]] = {}  # preset name -> flat dict of its params
        # Extra environment for plugin step processes.
        self.step_env: Dict[str, str] = {}
        # Where the projects' managed folders keep their files (<root>/<project key>/<folder id>/); a test or the
        # demo may point it elsewhere to keep them.
        self._scratch = tempfile.TemporaryDirectory(prefix="dss-sim-%s-" % node_id)
        self.folders_root = Path(self._scratch.name)
        self.engine = StepEngine(self)
        self._server: Any = None  # what serves this node over HTTP (`server.serve`), given by `attach_server`

    def attach_server(self, server: Any) -> None:
        """The server (with `.port` and `.stop()`) that answers for this node; `close()` stops it."""
        self._server = server

    # ----------------------------------------------------------------------------- identity
    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    @property
    def dss_url(self) -> Optional[str]:
        return self.url if self.dss_url_configured else None

    @property
    def version_tuple(self) -> tuple:
        return tuple(int(p) for p in self.dss_version.split(".") if p.isdigit())

    @property
    def is_automation(self) -> bool:
        return self.kind == AUTOMATION

    # ----------------------------------------------------------------------------- control API
    def add_api_key(self, key: str, user: str = "u1", projects: Optional[Iterable[str]] = None) -> str:
        """`projects=None`: every project (and global rights); a set: only those projects (403 elsewhere)."""
        return self.auth.add_key(key, user, projects)

    def add_project(self, project_key: str, variables: Optional[Dict[str, Any]] = None) -> SimProject:
        with self.lock:
            if project_key in self.projects:
                raise ValueError("Project %s already exists on %s" % (project_key, self.node_id))
            project = SimProject(project_key, self.ids, variables,
                                 folders_base=lambda: self.folders_root / project_key)
            self.projects[project_key] = project
            return project

    def project(self, project_key: str) -> SimProject:
        with self.lock:
            if project_key not in self.projects:
                raise errors.not_found("Project", project_key)
            return self.projects[project_key]

    def runs(self, project_key: str, scenario_id: str) -> List[Run]:
        """Every run of a scenario, oldest first (including one not started yet)."""
        self.sync()
        with self.lock:
            return list(self.project(project_key).all_runs(scenario_id))

    def active_runs(self) -> List[Run]:
        """Runs not finished, on all projects of the node (tests assert `== []`: no run left behind)."""
        self.sync()
        now = clock.now()
        with self.lock:
            return [r for p in self.projects.values() for runs in p.runs.values() for r in runs
                    if not r.finished(now)]

    @property
    def requests(self) -> List[RequestRecord]:
        return self.log.snapshot()

    def request_count(self, path_contains: Optional[str] = None, method: Optional[str] = None) -> int:
        return self.log.count(path_contains, method)

    def list_call_rate(self, project_key: str, since: float = 0.0) -> int:
        return self.log.list_call_rate(project_key, since)

    def active_bundle(self, project_key: str) -> Optional[str]:
        self.sync()
        with self.lock:
            return self.project(project_key).active_bundle

    def start_step_context(self, project_key: str, scenario_id: str, user: str = "admin",
                           projects: Optional[Iterable[str]] = None,
                           params: Optional[Dict[str, Any]] = None) -> StepContext:
        """Start a run of `scenario_id` that stays running until `ctx.finish()`, and a ticket bound to it.

        The ticket acts as `user` with access to `projects` (None: every project).
        """
        self.sync()
        with self.lock:
            project = self.project(project_key)
            fire = project.fire(scenario_id, params or {}, user, clock.now(), open_ended=True)
            if fire.run is None:
                raise RuntimeError("Scenario %s.%s is already running" % (project_key, scenario_id))
            run = fire.run
        return StepContext(self, run, self.auth.add_ticket(user, run, projects))

    def run_scenario(self, project_key: str, scenario_id: str, params: Optional[Dict[str, Any]] = None,
                     user: str = "admin") -> Any:
        """Fire a manual trigger without HTTP (test setup). Returns the TriggerFire (`.run`, `.cancelled`)."""
        self.sync()
        with self.lock:
            return self.fire(self.project(project_key), scenario_id, params or {}, user)

    def install_plugin(self, plugin_root: Path, plugin_id: str,
                       plugin_config: Optional[Dict[str, Any]] = None) -> InstalledPlugin:
        """Make the plugin in `plugin_root` (with `python-steps/<stepId>/step.py`) available to step-based scenarios
        of this node as steps of type `pystep_<plugin_id>_<stepId>`. `plugin_config`: plugin.json params."""
        root = Path(plugin_root).resolve()
        if not root.is_dir():
            raise ValueError("Plugin folder %s does not exist" % root)
        with self.lock:
            plugin = InstalledPlugin(plugin_id, root, dict(plugin_config or {}))
            self.plugins[plugin_id] = plugin
            return plugin

    def abort_run(self, run: Run, user: str = "admin") -> bool:
        """Abort a run, as `POST .../abort` does: it ends ABORTED now; a step-based run's step process gets SIGTERM
        and no later step starts. False if the run had already ended."""
        with self.lock:
            stopped = run.stop("ABORTED")
            if stopped:
                run.add_log("Run aborted by %s" % user)
            self.engine.abort(run.run_id)
        return stopped

    def abort_scenario(self, project_key: str, scenario_id: str, user: str = "admin") -> bool:
        """Abort the current run of a scenario, if any (control API twin of `POST .../abort`)."""
        with self.lock:
            run = self.project(project_key).current_run(scenario_id, clock.now())
            return run is not None and self.abort_run(run, user)

    def wait_for_run(self, project_key: str, scenario_id: str, run_id: Optional[str] = None,
                     timeout: float = 5.0) -> Run:
        """Wait until a run (default: the latest of the scenario) has ended and, for a step-based run, its worker
        is done (its step processes have exited). Raises TimeoutError past `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.lock:
            project = self.project(project_key)
            if run_id is None:
                runs = project.all_runs(scenario_id)
                if not runs:
                    raise ValueError("Scenario %s.%s has no run" % (project_key, scenario_id))
                run = runs[-1]
            else:
                run = project.find_run(scenario_id, run_id)
        er = self.engine.get(run.run_id)
        if er is not None and not er.done.wait(max(0.0, deadline - time.monotonic())):
            raise TimeoutError("Run %s of %s.%s still running its steps after %.1fs"
                               % (run.run_id, project_key, scenario_id, timeout))
        while not run.finished():
            if time.monotonic() > deadline:
                raise TimeoutError("Run %s of %s.%s not finished after %.1fs"
                                   % (run.run_id, project_key, scenario_id, timeout))
            time.sleep(0.01)
        self.sync()
        return run

    def issue_ticket(self, user: str = "admin", projects: Optional[Iterable[str]] = None) -> str:
        """A ticket not bound to a scenario run (what a macro process gets); the scenario tintercom calls refuse it."""
        return self.auth.add_ticket(user, None, projects)

    def export_bundle(self, project_key: str, bundle_id: str, release_notes: Optional[str] = None) -> BundleSnapshot:
        """Snapshot the project's scenarios and standard variables as bundle `bundle_id` (Design node)."""
        with self.lock:
            project = self.project(project_key)
            if bundle_id in project.exported_bundles:
                raise errors.bad_request("Bundle %s already exists in project %s" % (bundle_id, project_key))
            bundle = project.snapshot(bundle_id, clock.now(), release_notes)
            project.exported_bundles[bundle_id] = bundle
            for listener in list(self._bundle_listeners):
                listener(bundle)  # a Govern node that watches this one (lock order: this node -> Govern node)
            return bundle

    def add_bundle_listener(self, listener: Callable[[BundleSnapshot], None]) -> None:
        """Call `listener(bundle)` after every bundle export on this node (what `Govern.watch` uses)."""
        with self.lock:
            self._bundle_listeners.append(listener)

    def install_bundle(self, project_key: str, bundle: BundleSnapshot) -> SimProject:
        """Import and activate a bundle (what a deployment update does on an Automation node)."""
        with self.lock:
            project = self.projects.get(project_key)
            if project is None:
                project = self.projects[project_key] = SimProject(
                    project_key, self.ids, folders_base=lambda: self.folders_root / project_key)
            project.activate(bundle)
            return project

    # ----------------------------------------------------------------------------- used by the API modules
    def fire(self, project: SimProject, scenario_id: str, params: Dict[str, Any], user: str) -> Any:
        """Fire a manual trigger (lock held). The run goes to the scenario's runner if it has one, else to the step
        engine if its settings have steps (`SimScenario.executed_steps`), else it follows the timed model."""
        fire = project.fire(scenario_id, params, user, clock.now(), self.trigger_latency)
        if fire.run is not None:
            sc = project.scenario(scenario_id)
            if sc.spec.runner is not None:
                self._launch_runner(sc.spec.runner, fire.run)
            else:
                steps = sc.executed_steps  # a copy taken now: editing the scenario does not change this run
                if steps:
                    self.engine.launch(fire.run, steps)
        return fire

    def _launch_runner(self, runner: Callable[..., Optional[str]], run: Run) -> None:
        def body() -> None:
            wait = run.start - clock.now()
            if wait > 0:
                threading.Event().wait(wait)
            ctx = StepContext(self, run, self.auth.add_ticket(run.user, run))
            try:
                outcome = runner(ctx)
            except Exception:  # a failing runner is a FAILED run, as an uncaught exception fails a step
                ctx.log(traceback.format_exc())
                ctx.finish("FAILED")
                return
            ctx.finish(outcome or "SUCCESS")

        thread = threading.Thread(target=body, name="dss-sim-runner-%s" % run.run_id, daemon=True)
        self._runner_threads.append(thread)
        thread.start()

    def checked_project(self, principal: Optional[Principal], project_key: str) -> SimProject:
        """403 before 404, so a restricted key learns nothing about other projects."""
        if principal is not None:
            principal.check_project(project_key)
        return self.project(project_key)

    def add_sync_hook(self, hook: Callable[[], None]) -> None:
        self._sync_hooks.append(hook)

    def sync(self) -> None:
        """Apply what the clock says happened elsewhere (a finished deployment update). Call without the lock."""
        for hook in list(self._sync_hooks):
            hook()

    def set_down_until(self, t: float) -> None:
        with self.lock:
            self._down_until = max(self._down_until, t)

    def down_remaining(self) -> float:
        return max(0.0, self._down_until - clock.now())

    def close(self) -> None:
        self.engine.close()  # first: step processes may still be calling this node
        if self._server is not None:
            self._server.stop()
        for thread in self._runner_threads:
            thread.join(timeout=1)
        self._scratch.cleanup()

    def __repr__(self) -> str:
        return "<Node %s %s %s>" % (self.node_id, self.kind, self.url)
