"""What a simulated scenario is and how its runs behave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

OUTCOMES = ("SUCCESS", "WARNING", "FAILED", "ABORTED")


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
