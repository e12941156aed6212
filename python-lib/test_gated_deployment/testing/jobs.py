"""The life of one test scenario in a run: its states, the moves allowed between them, and what each attempt holds.

    PENDING ──> WAITING_IDLE ──> REQUESTED ──> TRIGGERED ──> RUNNING ──> DONE
       │  ^          ^              │  │           │  │          │
       │  └──────────┼── (retry) ───┼──┼───────────┼──┼──────────┤
       │             └─ cancelled ──┼──┼───────────┘  │          v
       └────────────> DONE          │  └─────────> ABORTING ───> DONE

REQUESTED: a run request was sent and DSS has not yet answered it (or the answer was lost): a run may exist, so a
cleanup aborts it. ABORTING: an abort was asked (timeout, fail-fast, deadline); the run may not exist yet.
"""

from dataclasses import dataclass, field
from enum import Enum
from typing import Dict, FrozenSet, List, Optional

from ..dss.scenarios import Run, RunRequest, Scenario
from .discovery import Target, TestScenario
from .results import ScenarioResult


class JobState(Enum):
    PENDING = "pending"
    WAITING_IDLE = "waiting-idle"
    REQUESTED = "requested"
    TRIGGERED = "triggered"
    RUNNING = "running"
    ABORTING = "aborting"
    DONE = "done"


_MOVES: Dict[JobState, FrozenSet[JobState]] = {
    JobState.PENDING: frozenset({JobState.WAITING_IDLE, JobState.REQUESTED, JobState.DONE}),
    JobState.WAITING_IDLE: frozenset({JobState.REQUESTED, JobState.DONE}),
    JobState.REQUESTED: frozenset({JobState.TRIGGERED, JobState.RUNNING, JobState.ABORTING, JobState.PENDING,
                                   JobState.DONE}),
    JobState.TRIGGERED: frozenset({JobState.RUNNING, JobState.ABORTING, JobState.WAITING_IDLE, JobState.PENDING,
                                   JobState.DONE}),
    JobState.RUNNING: frozenset({JobState.ABORTING, JobState.PENDING, JobState.DONE}),
    JobState.ABORTING: frozenset({JobState.PENDING, JobState.DONE}),
    JobState.DONE: frozenset(),
}

IN_FLIGHT = frozenset({JobState.WAITING_IDLE, JobState.REQUESTED, JobState.TRIGGERED, JobState.RUNNING,
                       JobState.ABORTING})
# States in which DSS may be running something this step started: a cleanup must abort it.
STARTED = frozenset({JobState.REQUESTED, JobState.TRIGGERED, JobState.RUNNING, JobState.ABORTING})


@dataclass
class Attempt:
    """One run request and the run it started."""

    requested_at: float          # monotonic clock
    requested_epoch_ms: int      # our wall clock, to compare with run starts on the server's clock
    # When the run should end (monotonic; 0 when its scenario has no history), and when to look at it next.
    expected_end: float = 0.0
    next_look: float = 0.0
    overdue_looks: int = 0
    look_until: float = 0.0      # REQUESTED: until when to look for the run a lost request may have started
    request: Optional[RunRequest] = None
    run: Optional[Run] = None
    last_refresh: float = 0.0
    polls_without_run: int = 0


@dataclass
class Abort:
    reason: str
    since: float
    sent: bool = False


@dataclass
class Job:
    target: Target
    scenario: TestScenario
    handle: Scenario
    state: JobState = JobState.PENDING
    attempts: int = 0                        # run requests DSS accepted
    attempt_outcomes: List[str] = field(default_factory=list)
    attempt: Optional[Attempt] = None
    abort: Optional[Abort] = None
    waiting_since: Optional[float] = None    # WAITING_IDLE: since when
    cancellations: int = 0                   # run requests DSS cancelled in a row
    unanswered_since: Optional[float] = None  # since when the run requests got no clear answer
    duration: float = 0.0
    result: Optional[ScenarioResult] = None

    def move(self, to: JobState):
        if to not in _MOVES[self.state]:
            raise AssertionError("Test scenario %s cannot go from %s to %s" % (self.label, self.state.value, to.value))
        self.state = to

    @property
    def run(self) -> Optional[Run]:
        return self.attempt.run if self.attempt is not None else None

    @property
    def label(self) -> str:
        return "%s (project %s on %s)" % (self.scenario.id, self.target.project_key, self.target.node)
