"""The "Run test scenarios" step: settings, target resolution, the run, and what the step reports."""

import logging
from dataclasses import dataclass
from typing import Optional

from .connection import describe_call_error
from .discovery import Selection, discover, find_caller
from .errors import DSSCallError, PluginError, SettingsError
from .results import RunSummary
from .runner import IF_RUNNING_POLICIES, IF_RUNNING_WAIT, RunOptions, Target, TestRunner
from .settings import ConfigReader, Field

log = logging.getLogger(__name__)

TARGET_THIS_PROJECT = "this_project"
TARGET_OTHER_PROJECT = "other_project"
TARGETS = [TARGET_THIS_PROJECT, TARGET_OTHER_PROJECT]

F_TARGET = Field("target", "Run tests of")
F_PROJECT_KEY = Field("project_key", "Project key")
F_SCENARIO_IDS = Field("scenario_ids", "Only these scenarios")
F_INCLUDE_TAGS = Field("include_tags", "Only scenarios tagged")
F_EXCLUDE_TAGS = Field("exclude_tags", "Skip scenarios tagged")
F_PARALLELISM = Field("parallelism", "Parallel runs")
F_SCENARIO_TIMEOUT = Field("scenario_timeout_s", "Timeout per scenario (s)")
F_DEADLINE = Field("deadline_s", "Deadline for the whole step (s)")
F_RETRIES = Field("retries", "Retries of a failed scenario")
F_FAIL_FAST = Field("fail_fast", "Fail fast")
F_FAIL_ON_WARNING = Field("fail_on_warning", "Fail on WARNING")
F_ALLOW_NO_TESTS = Field("allow_no_tests", "Pass when no test scenario is found")
F_IF_RUNNING = Field("if_running", "If a scenario is already running")
F_VARIABLE_PREFIX = Field("variable_prefix", "Scenario variables prefix")

MAX_PARALLELISM = 64
MAX_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class RunTestsSettings:
    target: str
    project_key: Optional[str]
    selection: Selection
    options: RunOptions
    allow_no_tests: bool
    variable_prefix: str

    @classmethod
    def read(cls, reader: ConfigReader) -> "RunTestsSettings":
        target = reader.choice(F_TARGET, TARGETS, TARGET_THIS_PROJECT)
        project_key = reader.identifier(F_PROJECT_KEY) if target == TARGET_OTHER_PROJECT else None
        deadline = reader.integer(F_DEADLINE, default=0, minimum=0, maximum=MAX_SECONDS)
        options = RunOptions(
            parallelism=reader.integer(F_PARALLELISM, default=1, minimum=1, maximum=MAX_PARALLELISM),
            scenario_timeout=float(reader.integer(F_SCENARIO_TIMEOUT, default=3600, minimum=1, maximum=MAX_SECONDS)),
            deadline=float(deadline) if deadline else None,
            retries=reader.integer(F_RETRIES, default=0, minimum=0, maximum=10),
            fail_fast=reader.boolean(F_FAIL_FAST, default=False),
            fail_on_warning=reader.boolean(F_FAIL_ON_WARNING, default=False),
            if_running=reader.choice(F_IF_RUNNING, IF_RUNNING_POLICIES, IF_RUNNING_WAIT),
        )
        prefix = reader.text(F_VARIABLE_PREFIX, default="tests")
        if not prefix.replace("_", "").isalnum() or not prefix.isascii():
            raise SettingsError("Setting %s must contain only letters, digits and '_', got %r."
                              % (F_VARIABLE_PREFIX.describe(), prefix))
        return cls(
            target=target,
            project_key=project_key,
            selection=Selection(
                include_tags=tuple(reader.strings(F_INCLUDE_TAGS)),
                exclude_tags=tuple(reader.strings(F_EXCLUDE_TAGS)),
                scenario_ids=tuple(reader.strings(F_SCENARIO_IDS)),
            ),
            options=options,
            allow_no_tests=reader.boolean(F_ALLOW_NO_TESTS, default=False),
            variable_prefix=prefix,
        )


def list_scenario_items(client, project_key: str, where: str):
    try:
        return list(client.get_project(project_key).list_scenarios(as_type="listitems"))
    except DSSCallError as error:
        message = describe_call_error(error, "Listing the scenarios of project %s" % project_key, where)
        raise PluginError(message or "Listing the scenarios of project %s on %s failed: %s"
                          % (project_key, where, error)) from error


def run_tests_step(context) -> RunSummary:
    """Entry point of python-steps/run-test-scenarios."""
    settings = RunTestsSettings.read(context.reader)
    client = context.local_client()
    project_key = settings.project_key or context.project_key
    where = "this node"
    caller = find_caller(context.variables)
    if caller is None:
        log.info("DSS did not say which scenario runs this step (no scenarioRunURL variable): test scenarios "
                 "running right now in this node's projects are left out, in case one of them is this scenario.")
    items = list_scenario_items(client, project_key, where)
    found = discover(items, project_key, where, settings.selection, caller, may_hold_caller=True)
    for note in found.notes:
        log.info(note)
    if not found.scenarios:
        message = ("No test scenario to run in project %s on %s (selection: %s). Mark scenarios as tests "
                   "(scenario settings > 'Test scenario'), or widen the tag and id filters."
                   % (project_key, where, _describe_selection(settings.selection)))
        if not settings.allow_no_tests:
            raise PluginError(message + " To let the step pass anyway, tick '%s'." % F_ALLOW_NO_TESTS.label)
        log.warning(message + " Passing, as '%s' is ticked.", F_ALLOW_NO_TESTS.label)
    targets = [Target(client=client, project_key=project_key, node=where, scenarios=found.scenarios)]
    log.info("Running %d test scenario(s) of project %s on %s, %d at a time: %s", len(found.scenarios), project_key,
             where, settings.options.parallelism, ", ".join(s.id for s in found.scenarios) or "none")
    summary = TestRunner(targets, settings.options).run()
    report(context, summary, settings.variable_prefix, "project %s on %s" % (project_key, where))
    return summary


def report(context, summary: RunSummary, prefix: str, where: str):
    log.info("Test scenario results:\n%s", summary.table())
    log.info(summary.headline())
    context.set_variables(summary.variables(prefix))
    if summary.flaky:
        log.warning("Flaky test scenario(s), passed only on retry: %s",
                    ", ".join(r.label for r in summary.flaky))
    if summary.outcome == "FAILED":
        raise PluginError(summary.failure_message(where))


def _describe_selection(selection: Selection) -> str:
    parts = []
    if selection.scenario_ids:
        parts.append("ids " + ", ".join(selection.scenario_ids))
    if selection.include_tags:
        parts.append("tagged " + " or ".join(selection.include_tags))
    if selection.exclude_tags:
        parts.append("not tagged " + " or ".join(selection.exclude_tags))
    return "; ".join(parts) or "all test scenarios"
