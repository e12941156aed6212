"""A project on a simulated node: its scenarios, their runs and trigger fires, variables and bundles.

All mutating methods are called with the owning node's lock held.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import clock, errors
from .folders import SimFolder
from .runs import Run, TriggerFire
from .specs import SCENARIO_TYPE, ScenarioSpec, scenario_settings


@dataclass
class SimScenario:
    """`spec` drives run behaviour; `settings` is the JSON definition the client reads and writes."""

    spec: ScenarioSpec
    settings: Dict[str, Any]

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.settings.get("name") or self.spec.id

    @property
    def marked_as_test(self) -> bool:
        return bool(self.settings.get("markedAsTest"))

    @property
    def active(self) -> bool:
        return bool(self.settings.get("active"))

    @property
    def tags(self) -> List[str]:
        return list(self.settings.get("tags") or [])

    @property
    def executed_steps(self) -> List[Any]:
        """A copy of the steps the step engine runs when this scenario is triggered; [] means no engine.

        The engine runs a step-based scenario whose settings have `params.steps`, unless its spec has a `runner`
        or `execute_steps=False` (then the steps are only shown in the settings).
        """
        if self.spec.runner is not None or not self.spec.execute_steps:
            return []
        if self.settings.get("type", SCENARIO_TYPE) != SCENARIO_TYPE:
            return []  # [I] a custom_python scenario runs its script, which the simulator does not model
        params = self.settings.get("params")
        steps = params.get("steps") if isinstance(params, dict) else None
        return copy.deepcopy(list(steps)) if isinstance(steps, list) else []


@dataclass
class BundleSnapshot:
    """The content of a bundle: scenario specs and settings, and the *standard* project variables.

    Local variables are not part of bundles (dataikuapi `DSSProject.get_variables` docstring).
    """

    bundle_id: str
    project_key: str
    scenarios: List[Tuple[ScenarioSpec, Dict[str, Any]]]
    variables: Dict[str, Any]
    created: float
    release_notes: Optional[str] = None


class SimProject:
    def __init__(self, key: str, ids: clock.IdMaker, variables: Optional[Dict[str, Any]] = None,
                 folders_base: Optional[Callable[[], Path]] = None) -> None:
        self.key = key
        self._folders_base = folders_base
        self.folders: Dict[str, SimFolder] = {}
        self._ids = ids
        self.scenarios: Dict[str, SimScenario] = {}
        self.variables: Dict[str, Dict[str, Any]] = {"standard": dict(variables or {}), "local": {}}
        self.plugin_presets: Dict[str, Dict[str, Any]] = {}  # project-level presets: name -> flat dict of params
        self.runs: Dict[str, List[Run]] = {}
        self.fires: Dict[Tuple[str, str, str], TriggerFire] = {}
        self.attempts: Dict[str, int] = {}
        self.exported_bundles: Dict[str, BundleSnapshot] = {}
        self.imported_bundles: Dict[str, BundleSnapshot] = {}
        self.active_bundle: Optional[str] = None

    # ----- managed folders
    def add_folder(self, folder_id: str, name: Optional[str] = None) -> SimFolder:
        if self._folders_base is None:
            raise ValueError("Project %s has no place for managed folders" % self.key)
        folder = SimFolder(self.key, folder_id, name or folder_id, self._folders_base)
        self.folders[folder_id] = folder
        return folder

    def folder(self, lookup: Optional[str]) -> SimFolder:
        """A folder by id or by name, as `dataiku.Folder(lookup)` finds it."""
        for folder in self.folders.values():
            if lookup in (folder.folder_id, folder.name):
                return folder
        raise errors.DSSError(404, errors.NOT_FOUND, "Managed folder %s in project %s does not exist"
                              % (lookup, self.key))

    # ----- scenarios
    def add_scenario(self, spec: ScenarioSpec, settings: Optional[Dict[str, Any]] = None) -> SimScenario:
        sc = SimScenario(spec, copy.deepcopy(settings) if settings else scenario_settings(self.key, spec))
        self.scenarios[spec.id] = sc
        return sc

    def scenario(self, scenario_id: str) -> SimScenario:
        if scenario_id not in self.scenarios:
            raise errors.not_found("Scenario", "%s.%s" % (self.key, scenario_id))
        return self.scenarios[scenario_id]

    def new_scenario_id(self, name: str) -> str:
        # [I] DSS derives the id of a new scenario from its name, upper-cased alphanumerics.
        base = "".join(c for c in name.upper() if c.isalnum()) or "SCENARIO"
        ident, n = base, 1
        while ident in self.scenarios:
            n += 1
            ident = "%s_%d" % (base, n)
        return ident

    # ----- runs
    def all_runs(self, scenario_id: str) -> List[Run]:
        return self.runs.setdefault(scenario_id, [])

    def visible_runs(self, scenario_id: str, now: float) -> List[Run]:
        """Runs that have started, newest first (the order of `get-last-runs`)."""
        return [r for r in reversed(self.all_runs(scenario_id)) if r.visible(now)]

    def current_run(self, scenario_id: str, now: float) -> Optional[Run]:
        """The unfinished run of a scenario, including one not started yet (trigger latency)."""
        for run in reversed(self.all_runs(scenario_id)):
            if not run.finished(now):
                return run
        return None

    def fire(self, scenario_id: str, params: Dict[str, Any], user: str, now: float, latency: float = 0.0,
             trigger: Optional[Dict[str, str]] = None, open_ended: bool = False) -> TriggerFire:
        """Fire a trigger. As in DSS, a fire on a scenario that is already running is cancelled: no run.

        `open_ended`: the run lasts until stopped explicitly (a step context holds it open).
        """
        sc = self.scenario(scenario_id)
        trig = trigger or {"id": "manual", "type": "manual", "name": "API run"}
        fire = TriggerFire(self.key, scenario_id, trig["id"], trig["type"], trig["name"], self._ids.make(now),
                           dict(params or {}), now, user)
        self.fires[(scenario_id, fire.trigger_id, fire.fire_id)] = fire
        if self.current_run(scenario_id, now) is not None:
            fire.cancelled = True
            return fire
        attempt = self.attempts.get(scenario_id, 0) + 1
        self.attempts[scenario_id] = attempt
        start = now + latency
        timed = not (open_ended or sc.spec.hangs or sc.spec.runner is not None or sc.executed_steps)
        duration = sc.spec.duration if timed else None
        run = Run(
            run_id=self._ids.make(start), project_key=self.key, scenario_id=scenario_id, scenario_name=sc.name,
            marked_as_test=sc.marked_as_test, fire=fire, start=start, attempt=attempt,
            bundle_id=self.active_bundle, planned_outcome=sc.spec.planned_outcome(attempt, self.active_bundle),
            duration=duration, user=user,
        )
        fire.run = run
        self.all_runs(scenario_id).append(run)
        return fire

    def find_run(self, scenario_id: str, run_id: str) -> Run:
        self.scenario(scenario_id)
        for run in self.all_runs(scenario_id):
            if run.run_id == run_id:
                return run
        raise errors.not_found("Scenario run", "%s.%s/%s" % (self.key, scenario_id, run_id))

    def find_fire(self, scenario_id: str, trigger_id: str, fire_id: str) -> TriggerFire:
        self.scenario(scenario_id)
        fire = self.fires.get((scenario_id, trigger_id, fire_id))
        if fire is None:
            raise errors.not_found("Trigger fire", "%s.%s/%s/%s" % (self.key, scenario_id, trigger_id, fire_id))
        return fire

    # ----- variables and bundles
    def resolved_variables(self) -> Dict[str, Any]:
        merged = dict(self.variables["standard"])
        merged.update(self.variables["local"])
        return merged

    def snapshot(self, bundle_id: str, now: float, release_notes: Optional[str] = None) -> BundleSnapshot:
        scenarios = [(sc.spec, copy.deepcopy(sc.settings)) for sc in self.scenarios.values()]
        return BundleSnapshot(bundle_id, self.key, scenarios, copy.deepcopy(self.variables["standard"]), now,
                              release_notes)

    def activate(self, bundle: BundleSnapshot) -> None:
        """Replace scenarios and standard variables with the bundle's; keep run history and local variables."""
        self.imported_bundles[bundle.bundle_id] = bundle
        self.scenarios = {}
        for spec, settings in bundle.scenarios:
            settings = copy.deepcopy(settings)
            settings["projectKey"] = self.key
            self.add_scenario(spec, settings)
        self.variables["standard"] = copy.deepcopy(bundle.variables)
        self.active_bundle = bundle.bundle_id
