"""What a simulated scenario is and how its runs behave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence

OUTCOMES = ("SUCCESS", "WARNING", "FAILED", "ABORTED")
SCENARIO_TYPE = "step_based"


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario and the behaviour of its runs.

    - `duration`: seconds a run lasts (wall clock); `hangs=True`: a run never ends until aborted.
    - `outcome`, `outcomes_by_bundle`: a run ends with `outcomes_by_bundle.get(active_bundle, outcome)`.
    - `fail_first`: the first N runs of this scenario on a node end FAILED (a flaky test).
    - `steps`: raw step dicts for the settings (`params.steps`). When the settings have steps, a run executes
      them with the step engine (`engine.py`) instead of the timed model; `duration`, `outcome*`, `fail_first` and
      `hangs` then do not apply.
    - `execute_steps=False`: the steps are only shown in the settings; runs follow the timed model.
    - `runner`: optional callable(StepContext) -> outcome|None run in a thread for each run instead of the timed
      model or the step engine; an exception means FAILED.
    """

    id: str
    name: str = ""
    marked_as_test: bool = False
    tags: Sequence[str] = ()
    duration: float = 0.05
    outcome: str = "SUCCESS"
    outcomes_by_bundle: Mapping[str, str] = field(default_factory=dict)
    fail_first: int = 0
    hangs: bool = False
    active: bool = True
    steps: Sequence[Mapping[str, Any]] = ()
    run_as: Optional[str] = None
    runner: Optional[Callable[..., Optional[str]]] = None
    execute_steps: bool = True

    def __post_init__(self) -> None:
        bad = [o for o in [self.outcome, *self.outcomes_by_bundle.values()] if o not in OUTCOMES]
        if bad:
            raise ValueError("Unknown outcome(s) %s; expected one of %s" % (bad, OUTCOMES))

    @property
    def label(self) -> str:
        return self.name or self.id

    def planned_outcome(self, attempt: int, bundle_id: Optional[str]) -> str:
        if attempt <= self.fail_first:
            return "FAILED"
        if bundle_id is not None and bundle_id in self.outcomes_by_bundle:
            return self.outcomes_by_bundle[bundle_id]
        return self.outcome


def scenario_settings(project_key: str, spec: ScenarioSpec) -> Dict[str, Any]:
    """The settings JSON a scenario starts with (what `GET .../scenarios/{id}` answers until it is changed)."""
    settings: Dict[str, Any] = {
        "projectKey": project_key,
        "id": spec.id,
        "name": spec.label,
        "type": SCENARIO_TYPE,
        "active": spec.active,
        "markedAsTest": spec.marked_as_test,
        "tags": list(spec.tags),
        "shortDesc": "",
        "description": "",
        "triggers": [],
        "reporters": [],
        "params": {"steps": [dict(s) for s in spec.steps]},
        # `effective_run_as` falls back to versionTag/creationTag lastModifiedBy.login.
        "versionTag": {"versionNumber": 1, "lastModifiedBy": {"login": "admin"}},
        "creationTag": {"versionNumber": 0, "lastModifiedBy": {"login": "admin"}},
    }
    if spec.run_as:
        settings["runAsUser"] = spec.run_as
    return settings
