"""The "Run test scenarios" step: target resolution, the run, and what the step reports."""

import logging
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import replace

from ..dss.deployments import read_deployment
from ..dss.interrupts import StopSignal
from ..dss.nodes import connect_deployment_nodes
from ..dss.scenarios import read_scenarios
from ..errors import PluginError, StepInterrupted
from ..testing.discovery import Selection, Target, discover, find_caller
from ..testing.results import RunSummary
from ..testing.runner import TestRunner
from ..testing.through_deployer import run_through_deployer
from .fields import connect_deployer
from .run_history import last_durations
from .run_settings import (
    ACCESS_DEPLOYER,
    F_ALLOW_NO_TESTS,
    F_ON_TEST_FAILURE,
    F_REPORT_FOLDER,
    RunTestsSettings,
    describe_selection,
)

log = logging.getLogger(__name__)


def run_test_scenarios(context) -> RunSummary:
    """Entry point of python-steps/run-test-scenarios."""
    settings = RunTestsSettings.read(context.reader, context)
    if settings.report_folder:
        context.check_folder(F_REPORT_FOLDER, settings.report_folder)
    caller = find_caller(context.variables)
    targets, node_counts, where = [], [], "this node"
    if settings.deployment is None:
        project_key = settings.project_key or context.project_key
        if caller is None:
            log.info("DSS did not say which scenario runs this step (no scenarioRunURL variable, and no earlier step "
                     "result): test scenarios running right now are left out, in case one of them is this scenario.")
        else:
            log.info("This step runs in scenario %s of project %s (from the %s variable).", caller.scenario_id,
                     caller.project_key, caller.source)
        targets.append(_project_target(context.local_client(), project_key, where, settings, caller, True,
                                       "this-node", context.variables.get("dssURL")))
        where = "project %s on this node" % project_key
    else:
        targets, node_counts, where = _deployment_targets(context, settings, caller)
    options = replace(settings.options, poll_budget=context.policy.budget)
    summary = TestRunner(targets, options, stop=context.stop).run() if any(t.scenarios for t in targets) \
        else RunSummary([])
    summary.fail_on_warning = settings.options.fail_on_warning
    summary.node_counts = node_counts
    # The results reach the log and the folder first: a variable that cannot be set then loses nothing.
    log_results(summary)
    if settings.report_folder:
        _save_reports(context, settings.report_folder, summary, where)
    context.set_variables(summary.variables(settings.variable_prefix))
    judge(summary, where, settings.fail_step_on_test_failure)
    return summary


def _project_target(client, project_key: str, where: str, settings: RunTestsSettings, caller,
                    may_hold_caller: bool, node_key: str, node_url) -> Target:
    items = read_scenarios(client, project_key, where)
    listed_at = time.monotonic()
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
    target = Target(client=client, project_key=project_key, node=where, scenarios=found.scenarios,
                    node_key=node_key, node_url=node_url, listed_running={i.id: i.running for i in items},
                    listed_at=listed_at)
    target.expected = last_durations(target, where)
    return target


def _deployment_targets(context, settings: RunTestsSettings, caller):
    target = settings.deployment
    deployer, deployer_where = connect_deployer(context, target.ref)
    info = read_deployment(deployer, target.ref.deployment_id, deployer_where)
    where = "%s (bundle %s, project %s)" % (info.subject, info.bundle_id, info.deployed_project_key)
    log.info("Testing %s on %d Automation node(s) of infrastructure %s.", where, len(info.nodes), info.infra_id)
    if target.node_access == ACCESS_DEPLOYER:
        if settings.selection != Selection():
            log.warning("Through the Deployer, DSS runs every test scenario: the selection settings are ignored.")
        try:
            counts = _run_nodes_in_parallel(
                [lambda stop, n=n: run_through_deployer(deployer, info, n, target.quiet_period,
                                                        settings.options.deadline or settings.options.scenario_timeout,
                                                        stop)
                 for n in info.nodes], context.stop)
        except StepInterrupted:
            log.warning("The Deployer gives no run ids, so the step cannot abort the test runs it asked for: abort the "
                        "test scenarios of project %s on the Automation node(s) of %s by hand if they still run.",
                        info.deployed_project_key, info.subject)
            raise
        return [], counts, where
    connected = connect_deployment_nodes(info, list(target.automation_nodes), context.node_client)
    targets = [_project_target(c.client, info.deployed_project_key, c.label, settings, caller, False, c.key, c.url)
               for c in connected]
    return targets, [], where


def _run_nodes_in_parallel(calls, step_stop: StopSignal):
    """Runs one blocking call per node at the same time; results in node order.

    Each call gets a stop flag, set when the step is aborted or another call fails; the step goes on only once
    every call has returned, so no request it sent is left in flight.
    """
    stop = StopSignal()
    pool = ThreadPoolExecutor(max_workers=len(calls))
    try:
        futures = [pool.submit(call, stop) for call in calls]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            if step_stop.requested or any(f.exception() is not None for f in done):
                stop.request()
        # The failure that stopped the others is the one to report, not the stops it caused.
        failures = [f.exception() for f in futures if f.exception() is not None]
        first = next((e for e in failures if not isinstance(e, StepInterrupted)), None)
        if first is not None:
            raise first
        step_stop.check()
        return [f.result() for f in futures]
    finally:
        stop.request()
        pool.shutdown(wait=True)


def _save_reports(context, folder_id: str, summary: RunSummary, where: str):
    """Saves the reports; a folder that cannot take them is a warning, not a reason to lose the test results."""
    # Imported here: the report code and Jinja2 cost a step that writes no report about 30 ms of start-up.
    from ..reports.pages import save_reports
    try:
        paths = save_reports(context.open_folder(folder_id), summary, where)
    except Exception as error:  # noqa: BLE001 - whatever the folder does, the results must still be reported
        log.warning("The test results stand, but the reports were not all saved: %s", error)
        return
    for path in paths:
        log.info("Saved report %s to managed folder %s.", path, folder_id)


def log_results(summary: RunSummary):
    log.info("Test scenario results:\n%s", summary.table())
    log.info(summary.headline())
    if summary.flaky:
        log.warning("Flaky test scenario(s), passed only on retry: %s",
                    ", ".join(r.label for r in summary.flaky))


def judge(summary: RunSummary, where: str, fail_on_test_failure: bool = True):
    """Fails the step when a test failed, unless the step leaves that to a later gate."""
    if summary.outcome != "FAILED":
        return
    if fail_on_test_failure:
        raise PluginError(summary.failure_message(where))
    log.warning("%s The step passes anyway ('%s' is set to continue): a later gate, such as 'Assert test status "
                "clean', decides.", summary.failure_message(where), F_ON_TEST_FAILURE.label)
