"""The "Run test scenarios" step: settings, target resolution, the run, and what the step reports."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Optional, Tuple

from .deployer_tests import run_through_deployer
from .deployment_settings import DeploymentRef, connect_deployer, read_deployment_ref, read_node_presets
from .deployments import dss_call, read_deployment
from .discovery import Selection, discover, find_caller
from .errors import PluginError, SettingsError
from .nodes import connect_deployment_nodes
from .reports import save_reports
from .results import RunSummary
from .runner import IF_RUNNING_POLICIES, IF_RUNNING_WAIT, RunOptions, Target, TestRunner
from .settings import ConfigReader, Field, NodeSettings

log = logging.getLogger(__name__)

TARGET_THIS_PROJECT = "this_project"
TARGET_OTHER_PROJECT = "other_project"
TARGET_DEPLOYMENT = "deployment"
TARGETS = [TARGET_THIS_PROJECT, TARGET_OTHER_PROJECT, TARGET_DEPLOYMENT]

ACCESS_AUTO = "auto"
ACCESS_PRESETS = "presets"
ACCESS_DEPLOYER = "deployer"
ACCESSES = [ACCESS_AUTO, ACCESS_PRESETS, ACCESS_DEPLOYER]

F_TARGET = Field("target", "Run tests of")
F_PROJECT_KEY = Field("project_key", "Project key")
F_DEPLOYMENT = Field("deployment_id", "Deployment")
F_DEPLOYMENT_TEXT = Field("deployment_id_text", "Deployment id (text or variable)")
F_NODE_ACCESS = Field("node_access", "Reach the Automation node(s)")
F_AUTOMATION_NODES = Field("automation_nodes", "Automation node presets")
F_QUIET_PERIOD = Field("deployer_quiet_period_s", "Quiet period through the Deployer (s)")
F_REPORT_FOLDER = Field("report_folder", "Save reports to folder")
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
F_ON_TEST_FAILURE = Field("on_test_failure", "When a test scenario fails")
ON_FAILURE_FAIL = "fail"
ON_FAILURE_CONTINUE = "continue"

MAX_PARALLELISM = 64
MAX_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class DeploymentTarget:
    ref: DeploymentRef
    node_access: str
    automation_nodes: Tuple[NodeSettings, ...]
    quiet_period: float


@dataclass(frozen=True)
class RunTestsSettings:
    target: str
    project_key: Optional[str]
    deployment: Optional[DeploymentTarget]
    selection: Selection
    options: RunOptions
    allow_no_tests: bool
    variable_prefix: str
    report_folder: Optional[str]
    fail_step_on_test_failure: bool = True

    @classmethod
    def read(cls, reader: ConfigReader, context=None) -> "RunTestsSettings":
        target = reader.choice(F_TARGET, TARGETS, TARGET_THIS_PROJECT)
        project_key = reader.identifier(F_PROJECT_KEY) if target == TARGET_OTHER_PROJECT else None
        deployment = read_deployment_target(reader, context) if target == TARGET_DEPLOYMENT else None
        deadline = reader.integer(F_DEADLINE, default=0, minimum=0, maximum=MAX_SECONDS)
        options = RunOptions(
            parallelism=reader.integer(F_PARALLELISM, default=1, minimum=1, maximum=MAX_PARALLELISM),
            scenario_timeout=float(reader.integer(F_SCENARIO_TIMEOUT, default=3600, minimum=1, maximum=MAX_SECONDS)),
            deadline=float(deadline) if deadline else None,
            retries=reader.integer(F_RETRIES, default=0, minimum=0, maximum=10),
            fail_fast=reader.boolean(F_FAIL_FAST, default=False),
            fail_on_warning=reader.boolean(F_FAIL_ON_WARNING, default=False),
            if_running=reader.choice(F_IF_RUNNING, IF_RUNNING_POLICIES, IF_RUNNING_WAIT),
            collect_junit=bool(reader.text(F_REPORT_FOLDER)),
        )
        prefix = reader.text(F_VARIABLE_PREFIX, default="tests")
        if not prefix.replace("_", "").isalnum() or not prefix.isascii():
            raise SettingsError("Setting %s must contain only letters, digits and '_', got %r."
                              % (F_VARIABLE_PREFIX.describe(), prefix))
        return cls(
            target=target,
            project_key=project_key,
            deployment=deployment,
            report_folder=reader.identifier(F_REPORT_FOLDER, required=False),
            selection=Selection(
                include_tags=tuple(reader.strings(F_INCLUDE_TAGS)),
                exclude_tags=tuple(reader.strings(F_EXCLUDE_TAGS)),
                scenario_ids=tuple(reader.strings(F_SCENARIO_IDS)),
            ),
            options=options,
            allow_no_tests=reader.boolean(F_ALLOW_NO_TESTS, default=False),
            variable_prefix=prefix,
            fail_step_on_test_failure=reader.choice(
                F_ON_TEST_FAILURE, [ON_FAILURE_FAIL, ON_FAILURE_CONTINUE], ON_FAILURE_FAIL) == ON_FAILURE_FAIL,
        )


def read_deployment_target(reader: ConfigReader, context) -> DeploymentTarget:
    """The deployment settings: which Deployer, which deployment, and how to reach its Automation nodes."""
    redactor = context.redactor if context is not None else None
    ref = read_deployment_ref(reader, F_DEPLOYMENT, F_DEPLOYMENT_TEXT, redactor)
    nodes = read_node_presets(reader, F_AUTOMATION_NODES, redactor)
    access = reader.choice(F_NODE_ACCESS, ACCESSES, ACCESS_AUTO)
    if access == ACCESS_PRESETS and not nodes:
        raise SettingsError("Setting %s is 'through presets' but %s is empty: add the preset of each Automation "
                            "node." % (F_NODE_ACCESS.describe(), F_AUTOMATION_NODES.describe()))
    return DeploymentTarget(
        ref=ref,
        node_access=(ACCESS_PRESETS if nodes else ACCESS_DEPLOYER) if access == ACCESS_AUTO else access,
        automation_nodes=nodes,
        quiet_period=float(reader.integer(F_QUIET_PERIOD, default=30, minimum=1, maximum=3600)),
    )


def list_scenario_items(client, project_key: str, where: str):
    return list(dss_call("Listing the scenarios of project %s" % project_key, where,
                         client.get_project(project_key).list_scenarios, as_type="listitems"))


def run_tests_step(context) -> RunSummary:
    """Entry point of python-steps/run-test-scenarios."""
    settings = RunTestsSettings.read(context.reader, context)
    caller = find_caller(context.variables)
    targets, node_counts, where = [], [], "this node"
    if settings.deployment is None:
        project_key = settings.project_key or context.project_key
        if caller is None:
            log.info("DSS did not say which scenario runs this step (no scenarioRunURL variable): test scenarios "
                     "running right now are left out, in case one of them is this scenario.")
        targets.append(_project_target(context.local_client(), project_key, where, settings, caller, True))
        where = "project %s on this node" % project_key
    else:
        targets, node_counts, where = _deployment_targets(context, settings, caller)
    summary = TestRunner(targets, settings.options).run() if any(t.scenarios for t in targets) else RunSummary([])
    summary.fail_on_warning = settings.options.fail_on_warning
    summary.node_counts = node_counts
    context.set_variables(summary.variables(settings.variable_prefix))
    if settings.report_folder:
        _save_reports(context, settings.report_folder, summary, where)
    report(summary, where, settings.fail_step_on_test_failure)
    return summary


def _project_target(client, project_key: str, where: str, settings: RunTestsSettings, caller,
                    may_hold_caller: bool) -> Target:
    items = list_scenario_items(client, project_key, where)
    found = discover(items, project_key, where, settings.selection, caller, may_hold_caller=may_hold_caller)
    for note in found.notes:
        log.info(note)
    if not found.scenarios:
        message = ("No test scenario to run in project %s on %s (selection: %s). Mark scenarios as tests "
                   "(scenario settings > 'Test scenario'), or widen the tag and id filters."
                   % (project_key, where, describe_selection(settings.selection)))
        if not settings.allow_no_tests:
            raise PluginError(message + " To let the step pass anyway, tick '%s'." % F_ALLOW_NO_TESTS.label)
        log.warning(message + " Passing, as '%s' is ticked.", F_ALLOW_NO_TESTS.label)
    log.info("Running %d test scenario(s) of project %s on %s, %d at a time: %s", len(found.scenarios), project_key,
             where, settings.options.parallelism, ", ".join(s.id for s in found.scenarios) or "none")
    return Target(client=client, project_key=project_key, node=where, scenarios=found.scenarios)


def _deployment_targets(context, settings: RunTestsSettings, caller):
    target = settings.deployment
    deployer, deployer_where = connect_deployer(context, target.ref)
    info = read_deployment(deployer, target.ref.deployment_id, deployer_where)
    where = "%s (bundle %s, project %s)" % (info.subject, info.bundle_id, info.deployed_project_key)
    log.info("Testing %s on %d Automation node(s) of infrastructure %s.", where, len(info.nodes), info.infra_id)
    if target.node_access == ACCESS_DEPLOYER:
        if settings.selection != Selection():
            log.warning("Through the Deployer, DSS runs every test scenario: the selection settings are ignored.")
        stop = threading.Event()
        try:
            counts = _run_nodes_in_parallel(
                [lambda n=n: run_through_deployer(deployer, info, n, target.quiet_period,
                                                  settings.options.deadline or settings.options.scenario_timeout,
                                                  stop)
                 for n in info.nodes])
        finally:
            # On an abort, the threads still polling the Deployer stop at their next poll.
            stop.set()
        return [], counts, where
    connected = connect_deployment_nodes(info, list(target.automation_nodes), context.node_client)
    targets = [_project_target(c.client, info.deployed_project_key, c.label, settings, caller, False)
               for c in connected]
    return targets, [], where


def _run_nodes_in_parallel(calls):
    """Runs one blocking call per node at the same time; results in node order."""
    if len(calls) == 1:
        return [calls[0]()]
    pool = ThreadPoolExecutor(max_workers=len(calls))
    try:
        return [f.result() for f in [pool.submit(call) for call in calls]]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _save_reports(context, folder_id: str, summary: RunSummary, where: str):
    """Saves the reports; a folder that cannot take them is a warning, not a reason to lose the test results."""
    try:
        paths = save_reports(context.open_folder(folder_id), summary, where, context.variables.get("dssURL"))
    except Exception as error:  # noqa: BLE001 - whatever the folder does, the verdict must still be reported
        log.warning("Could not save the test reports to managed folder %s (%s: %s). Check that the folder exists "
                    "in this project and that the scenario's user may write to it.", folder_id,
                    type(error).__name__, error)
        return
    for path in paths:
        log.info("Saved report %s to managed folder %s.", path, folder_id)


def report(summary: RunSummary, where: str, fail_on_test_failure: bool = True):
    """Logs the results and fails the step when a test failed, unless the step leaves that to a later gate."""
    log.info("Test scenario results:\n%s", summary.table())
    log.info(summary.headline())
    if summary.flaky:
        log.warning("Flaky test scenario(s), passed only on retry: %s",
                    ", ".join(r.label for r in summary.flaky))
    if summary.outcome != "FAILED":
        return
    if fail_on_test_failure:
        raise PluginError(summary.failure_message(where))
    log.warning("%s The step passes anyway ('%s' is set to continue): a later gate, such as 'Assert test status "
                "clean', decides.", summary.failure_message(where), F_ON_TEST_FAILURE.label)


def describe_selection(selection: Selection) -> str:
    parts = []
    if selection.scenario_ids:
        parts.append("ids " + ", ".join(selection.scenario_ids))
    if selection.include_tags:
        parts.append("tagged " + " or ".join(selection.include_tags))
    if selection.exclude_tags:
        parts.append("not tagged " + " or ".join(selection.exclude_tags))
    return "; ".join(parts) or "all test scenarios"
