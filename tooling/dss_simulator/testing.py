"""Project testing: which runs count as "the last test run" of each test scenario, and the testing status."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from . import shapes
from .project import SimProject, SimScenario
from .runs import Run


def target_bundle(project: SimProject, automation: bool, bundle_id: Optional[str]) -> Optional[str]:
    """The bundle the runs must belong to: on an Automation node the given one, else the active one."""
    if not automation:
        return None  # [I] a Design node has no bundles: bundleId is ignored there
    return bundle_id or project.active_bundle


def last_test_runs(project: SimProject, automation: bool, bundle_id: Optional[str],
                   now: float) -> List[Tuple[SimScenario, Run]]:
    """The last finished run of each test scenario; on Automation, among runs made while the bundle was active."""
    bundle = target_bundle(project, automation, bundle_id)
    found = []
    for sc in project.scenarios.values():
        if not sc.marked_as_test:
            continue
        for run in reversed(project.all_runs(sc.id)):
            if not run.marked_as_test or not run.finished(now):
                continue
            if automation and run.bundle_id != bundle:
                continue
            found.append((sc, run))
            break
    return found


def testing_status(project: SimProject, automation: bool, bundle_id: Optional[str], now: float) -> Dict:
    counts: Dict[str, int] = {}
    for _sc, run in last_test_runs(project, automation, bundle_id, now):
        outcome = run.outcome_at(now) or "UNKNOWN"
        counts[outcome] = counts.get(outcome, 0) + 1
    return shapes.testing_status(counts)


def sum_statuses(statuses: List[Dict]) -> Dict:
    """[U] run-test-scenarios on every node of a multi-node deployment: the per-node statuses, added up."""
    counts: Dict[str, int] = {}
    for status in statuses:
        for outcome, n in status["nbScenariosPerOutcome"].items():
            counts[outcome] = counts.get(outcome, 0) + n
    return shapes.testing_status(counts)
