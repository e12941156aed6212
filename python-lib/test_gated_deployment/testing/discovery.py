"""Finding the test scenarios a step should run, and never the scenario that is running the step."""

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..dss.scenarios import ScenarioItem
from ..dss.transport import DSSClient
from ..errors import PluginError

log = logging.getLogger(__name__)

_RUN_URL = re.compile(r"/projects/(?P<project>[^/]+)/scenarios/(?P<scenario>[^/]+)/runs/list/(?P<run>[^/?#]+)")


@dataclass(frozen=True)
class Selection:
    include_tags: Tuple[str, ...] = ()
    exclude_tags: Tuple[str, ...] = ()
    scenario_ids: Tuple[str, ...] = ()


@dataclass(frozen=True)
class TestScenario:
    id: str
    name: str
    tags: Tuple[str, ...] = ()


@dataclass
class Target:
    """A project on a node, and the test scenarios to run there."""

    client: DSSClient
    project_key: str
    node: str                    # for sentences
    scenarios: List[TestScenario]
    node_key: str = "this-node"  # short, for file names
    node_url: Optional[str] = None  # the node's base URL, for links to its runs, when known
    # Seconds each scenario's last run took (scenario id -> s), when DSS tells: when to look at a run again.
    expected: Dict[str, float] = field(default_factory=dict)
    # Which scenarios were running when the list was read to find them: the runner's first look, so that it does
    # not read the list again at once.
    listed_running: Optional[Dict[str, bool]] = None
    listed_at: float = 0.0   # monotonic clock


@dataclass(frozen=True)
class Caller:
    """The scenario run that executes the step, when DSS tells us, and which variable told."""

    project_key: str
    scenario_id: str
    run_id: str = ""
    source: str = "scenarioRunURL"


def find_caller(variables: Dict[str, Any]) -> Optional[Caller]:
    """The running scenario: parsed from `scenarioRunURL`, else from the targets of the earlier steps' results.

    [I] DSS gives no scenario id variable to a plugin step. `scenarioRunURL` holds it, and is set only when the
    DSS URL is configured in the admin settings (reference §8). Once an earlier step of the run has ended,
    `stepResults.<step>.target` is `{"type": "SCENARIO_STEP", "projectKey", "scenarioId", ...}` (seen on DSS 13):
    it gives the scenario, not the run.
    """
    match = _RUN_URL.search(str(variables.get("scenarioRunURL") or ""))
    if match:
        return Caller(match.group("project"), match.group("scenario"), match.group("run"))
    results = variables.get("stepResults")
    if isinstance(results, str):
        try:
            results = json.loads(results)
        except ValueError:
            results = None
    steps = results.values() if isinstance(results, dict) else results if isinstance(results, list) else []
    for step in steps:
        target = step.get("target") if isinstance(step, dict) else None
        if isinstance(target, dict) and target.get("type") == "SCENARIO_STEP" and target.get("scenarioId") \
                and target.get("projectKey"):
            return Caller(str(target["projectKey"]), str(target["scenarioId"]), source="stepResults")
    return None


@dataclass
class Discovery:
    scenarios: List[TestScenario]
    notes: List[str] = field(default_factory=list)


def discover(items: List[ScenarioItem], project_key: str, where: str, selection: Selection,
             caller: Optional[Caller], may_hold_caller: bool) -> Discovery:
    """Picks the test scenarios to run from a project's scenario list.

    `may_hold_caller` says whether the project is on the node running the step. When the caller is unknown and
    the project may hold it, every test scenario running right now is left out: one of them may be the caller,
    and triggering it would cancel or deadlock the run that is executing this step.
    """
    by_id = {item.id: item for item in items}
    notes: List[str] = []
    tests = {sid: item for sid, item in by_id.items() if item.marked_as_test}

    if selection.scenario_ids:
        for sid in selection.scenario_ids:
            if sid not in by_id:
                raise PluginError(
                    "Scenario %r does not exist in project %s on %s. Test scenarios there: %s. Fix the scenario ids "
                    "setting." % (sid, project_key, where, ", ".join(sorted(tests)) or "none")
                )
            if sid not in tests:
                raise PluginError(
                    "Scenario %r of project %s on %s is not marked as a test scenario. Tick 'Test scenario' in its "
                    "settings, or remove it from the scenario ids setting." % (sid, project_key, where)
                )
        chosen = [tests[sid] for sid in selection.scenario_ids]
    else:
        chosen = [tests[sid] for sid in sorted(tests)]

    selected = []
    for item in chosen:
        sid, tags = item.id, item.tags
        if selection.include_tags and not set(selection.include_tags) & set(tags):
            continue
        if set(selection.exclude_tags) & set(tags):
            continue
        if may_hold_caller and caller is not None and caller.project_key == project_key and caller.scenario_id == sid:
            notes.append("Skipped %s: it is the scenario running this step." % sid)
            continue
        if caller is None and may_hold_caller and item.running:
            notes.append(
                "Skipped %s: it is running now and might be the scenario running this step (set the DSS URL in "
                "Administration > Settings so that DSS tells the step which scenario runs it)." % sid
            )
            continue
        selected.append(TestScenario(id=sid, name=item.name, tags=tags))
    return Discovery(scenarios=selected, notes=notes)
