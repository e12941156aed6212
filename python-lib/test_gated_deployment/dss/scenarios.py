"""A project's scenarios: the scenario list, run requests, runs and aborts, as typed objects.

[V] reference §8: list items carry `id`, `name`, `running`, `active`, `type`, `tags` and `markedAsTest` (the
client's `DSSScenarioListItem.id` is the *name*, so `item["id"]` is read); a run has `runId`, `start` and `end`
(epoch ms) and `result.outcome` once it has ended.
"""

from dataclasses import dataclass
from typing import List, Optional, Tuple

from .answers import dss_call
from .transport import DSSClient


@dataclass(frozen=True)
class ScenarioItem:
    id: str
    name: str
    marked_as_test: bool = False
    running: bool = False
    active: bool = True
    tags: Tuple[str, ...] = ()
    type: str = ""

    @classmethod
    def read(cls, raw) -> Optional["ScenarioItem"]:
        if not isinstance(raw, dict) or raw.get("id") is None:
            return None
        sid = str(raw["id"])
        return cls(id=sid, name=str(raw.get("name") or sid), marked_as_test=bool(raw.get("markedAsTest")),
                   running=bool(raw.get("running")), active=bool(raw.get("active", True)),
                   tags=tuple(str(t) for t in (raw.get("tags") or [])), type=str(raw.get("type") or ""))


def list_scenarios(client: DSSClient, project_key: str) -> List[ScenarioItem]:
    """One scenario-list call (raises as the client does)."""
    items = client.get_project(project_key).list_scenarios(as_type="listitems")
    return [item for item in (ScenarioItem.read(raw) for raw in items) if item is not None]


def read_scenarios(client: DSSClient, project_key: str, where: str) -> List[ScenarioItem]:
    """The scenario list, a permanent error becoming a message that names the project."""
    return dss_call("Listing the scenarios of project %s" % project_key, where, list_scenarios, client, project_key)


@dataclass(frozen=True)
class RunState:
    running: bool
    outcome: Optional[str]   # None while running
    start_ms: int = 0
    end_ms: int = 0

    @classmethod
    def read(cls, raw) -> "RunState":
        raw = raw if isinstance(raw, dict) else {}
        result = raw.get("result")
        outcome = result.get("outcome") if isinstance(result, dict) else None
        return cls(running="result" not in raw, outcome=str(outcome) if outcome else None,
                   start_ms=int(raw.get("start") or 0), end_ms=int(raw.get("end") or 0))


class Run:
    """One run of a scenario."""

    def __init__(self, run):
        self._run = run

    @property
    def id(self) -> str:
        return self._run.id

    @property
    def state(self) -> RunState:
        """The state read last (no call)."""
        return RunState.read(self._run.get_info())

    def refresh(self) -> RunState:
        self._run.refresh()
        return self.state

    def junit_report(self) -> bytes:
        return self._run.get_report().content


class RunRequest:
    """The answer to a run request (DSS's trigger fire): the run it started, once DSS has started it."""

    def __init__(self, fire):
        self._fire = fire

    def run(self) -> Optional[Run]:
        run = self._fire.get_scenario_run()
        return Run(run) if run is not None else None

    def cancelled(self) -> bool:
        return self._fire.is_cancelled(refresh=True)


class Scenario:
    """A scenario of a project on a node; creating it makes no call."""

    def __init__(self, client: DSSClient, project_key: str, scenario_id: str):
        self.client = client
        self._handle = client.get_project(project_key).get_scenario(scenario_id)

    def request_run(self) -> RunRequest:
        return RunRequest(self._handle.run())

    def abort(self):
        self._handle.abort()

    def last_runs(self, limit: int) -> List[Run]:
        return [Run(run) for run in self._handle.get_last_runs(limit=limit)]
