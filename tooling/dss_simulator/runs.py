"""Trigger fires and scenario runs. A run's state is computed lazily from the clock: no timer threads.

Writers hold the owning node's lock; readers may read without it (each field is replaced atomically).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from . import clock


@dataclass
class TriggerFire:
    """One firing of a trigger. `fire_id` is the fire's own id (the client's `trigger_fire.run_id`)."""

    project_key: str
    scenario_id: str
    trigger_id: str
    trigger_type: str
    trigger_name: str
    fire_id: str
    params: Dict[str, Any]
    time: float
    user: str
    cancelled: bool = False
    run: Optional[Run] = None


@dataclass
class StepRun:
    """A step run inside a scenario run, filled by whatever executes steps (a step context, a step engine)."""

    step_id: str
    name: str
    type: str
    start: float
    end: Optional[float] = None
    outcome: Optional[str] = None
    error: Optional[str] = None
    log: List[str] = field(default_factory=list)


@dataclass
class Run:
    run_id: str
    project_key: str
    scenario_id: str
    scenario_name: str
    marked_as_test: bool
    fire: TriggerFire
    start: float
    attempt: int
    bundle_id: Optional[str]
    planned_outcome: str
    duration: Optional[float]  # None: ends only when aborted or finished explicitly
    user: str
    variables: Dict[str, Any] = field(default_factory=dict)
    step_runs: List[StepRun] = field(default_factory=list)
    log: List[Tuple[float, Optional[str], str]] = field(default_factory=list)  # (time, step id, line)
    _ended: Optional[float] = None
    _final: Optional[str] = None

    def _end_at(self) -> Optional[float]:
        if self._ended is not None:
            return self._ended
        if self.duration is not None:
            return self.start + self.duration
        return None

    def end_at(self, now: Optional[float] = None) -> Optional[float]:
        """End time if the run has ended by `now`, else None."""
        now = clock.now() if now is None else now
        end = self._end_at()
        return end if end is not None and end <= now else None

    def visible(self, now: Optional[float] = None) -> bool:
        """A run exists once it has started (a trigger latency can delay its start)."""
        return (clock.now() if now is None else now) >= self.start

    def finished(self, now: Optional[float] = None) -> bool:
        return self.end_at(now) is not None

    def outcome_at(self, now: Optional[float] = None) -> Optional[str]:
        if not self.finished(now):
            return None
        return self._final or self.planned_outcome

    # Public read-only view used by tests and the control API.
    @property
    def end(self) -> Optional[float]:
        return self.end_at()

    @property
    def outcome(self) -> Optional[str]:
        return self.outcome_at()

    @property
    def running(self) -> bool:
        return not self.finished()

    def stop(self, outcome: str, now: Optional[float] = None) -> bool:
        """End the run now with `outcome` (abort or explicit finish). False if it had already ended."""
        now = clock.now() if now is None else now
        if self.finished(now):
            return False
        if now < self.start:  # aborted before it started (trigger latency): it starts and ends now
            self.start = now
        self._final = outcome
        self._ended = now
        for step in self.step_runs:
            if step.end is None:
                step.end, step.outcome = now, outcome
        return True

    def add_log(self, line: str, step_id: Optional[str] = None) -> None:
        self.log.append((clock.now(), step_id, line))
