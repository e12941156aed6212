"""The "Run test scenarios now" macro: this project's test scenarios, run with the step's engine, as an HTML report.

The settings are the "Run test scenarios" step's own fields (the macro shows a subset), read by the same code.
A failing test is a result to report, not a macro failure.
"""

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Callable, List, Optional

from ..dss.scenarios import read_scenarios
from ..reports.pages import render, ui_path
from ..testing.discovery import Target, discover
from ..testing.results import RunSummary
from ..testing.runner import TestRunner
from .run_history import last_durations
from .run_settings import RunTestsSettings, describe_selection

log = logging.getLogger(__name__)

WHERE = "this node"


@dataclass
class TestPlan:
    settings: RunTestsSettings
    target: Target
    notes: List[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.target.scenarios)


def plan_tests(context) -> TestPlan:
    """Reads the settings (refusing bad ones before any DSS call), then finds the test scenarios to run."""
    settings = RunTestsSettings.read(context.reader, context)
    project_key = context.project_key
    client = context.local_client()
    items = read_scenarios(client, project_key, WHERE)
    listed_at = time.monotonic()
    # A macro is not run by a scenario, so no test scenario can be the caller: running ones are waited for.
    found = discover(items, project_key, WHERE, settings.selection, caller=None, may_hold_caller=False)
    notes = list(found.notes)
    if not found.scenarios:
        notes.append("No test scenario to run in project %s (selection: %s). Mark scenarios as tests (scenario "
                     "settings > 'Test scenario'), or widen the tag and id filters."
                     % (project_key, describe_selection(settings.selection)))
    log.info("Running %d test scenario(s) of project %s, %d at a time.", len(found.scenarios), project_key,
             settings.options.parallelism)
    target = Target(client=client, project_key=project_key, node=WHERE, scenarios=found.scenarios,
                    listed_running={i.id: i.running for i in items}, listed_at=listed_at)
    target.expected = last_durations(target, WHERE)
    return TestPlan(settings=settings, notes=notes, target=target)


def run_tests_now(context, plan: TestPlan, progress_callback: Callable[[int], None]) -> str:
    """Runs the planned scenarios, reporting each finished one to DSS, and returns the HTML report."""
    reported = [0]

    def on_progress(done: int, total: int):
        # The runner reports every tick; DSS only needs to hear when a scenario has finished.
        if done > reported[0]:
            reported[0] = done
            progress_callback(done)

    if plan.target.scenarios:
        options = replace(plan.settings.options, poll_budget=context.policy.budget)
        summary = TestRunner([plan.target], options, on_progress=on_progress, stop=context.stop).run()
    else:
        summary = RunSummary([], fail_on_warning=plan.settings.options.fail_on_warning)
    log.info(summary.headline())
    return render_report(summary, plan.target.project_key, plan.notes)


def render_report(summary: RunSummary, project_key: str, notes: Optional[List[str]] = None) -> str:
    rows = [{"result": r, "url": ui_path("projects", r.project_key, "scenarios", r.scenario_id, "runs", "list",
                                         *([r.run_id] if r.run_id else []))}
            for r in summary.results]
    return render("macro_run_tests.html", summary=summary, where="project %s" % project_key, rows=rows,
                  notes=notes or [], generated=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
