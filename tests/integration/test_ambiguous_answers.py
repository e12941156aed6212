"""Answers lost or garbled after DSS did the work, and the other cases where a step used to end in a state it did
not report. Each test is judged on the simulator's state: runs, updates, settings and the bundle the nodes run."""

import time

import pytest
from dss_simulator import ScenarioSpec, clock
from dss_simulator.step_runner import start_step
from stepkit import PIPELINE, ROOT, run_plugin_step
from worlds import PROJECT, build_estate, make_tests, preset_ref, promotion_estate, run_tests_on, update_deployment

TESTS = ["test_1", "test_2", "test_3"]
RUN_STEP = "run-test-scenarios"
DEPLOY_STEP = "deploy-bundle"

# A 5xx answered after the work, a cut-off body, and a connection dropped after the work: DSS did it, the step
# cannot know.
AFTER_THE_WORK = {
    "502 after": dict(status=502, after=True),
    "503 after": dict(status=503, after=True),
    "504 after": dict(status=504, after=True),
    "cut-off body": dict(cut=True),
    "dropped after": dict(drop_after=True),
}


def qa_config(**extra):
    config = {"target": "deployment", "deployment_id": "SHOP-on-qa", "parallelism": 3,
              "automation_nodes": [preset_ref("qa")], "retry_budget_s": 10}
    config.update(extra)
    return config


def runs_of(node, sid):
    return node.runs(PROJECT, sid)


def prod(estate):
    estate.design.deployer.settle()
    return estate.design.deployer.deployment("SHOP-on-prod")


def deploy(estate, **config):
    base = {"deployment_id": "SHOP-on-prod", "bundle_id": "v2", "retry_budget_s": 10}
    base.update(config)
    return run_plugin_step(estate.design, DEPLOY_STEP, PROJECT, base, presets=estate.presets())


@pytest.fixture
def qa_estate(sim):
    return build_estate(sim, make_tests(3, duration=0.05), with_prod=False)


@pytest.fixture
def estate(sim):
    return promotion_estate(sim)


# -- 1. A run started, its answer lost -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(AFTER_THE_WORK), ids=list(AFTER_THE_WORK))
def test_a_run_started_under_a_lost_answer_is_followed_and_the_others_run(qa_estate, kind):
    qa_estate.qa.faults.add(path_contains="/test_2/run", method="POST", **AFTER_THE_WORK[kind])
    out = run_plugin_step(qa_estate.design, RUN_STEP, PROJECT, qa_config(), presets=qa_estate.presets())
    assert out.ok, out.log
    assert qa_estate.qa.active_runs() == []
    assert [len(runs_of(qa_estate.qa, sid)) for sid in TESTS] == [1, 1, 1]
    assert out.variables["tests_passed"] == 3


# -- 2. An update started, its answer lost -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(AFTER_THE_WORK), ids=list(AFTER_THE_WORK))
def test_an_update_started_under_a_lost_answer_is_followed(estate, kind):
    estate.design.faults.add(path_contains="/SHOP-on-prod/actions/update", method="POST", **AFTER_THE_WORK[kind])
    out = deploy(estate)
    dep = prod(estate)
    assert out.ok, out.log
    assert dep.started_updates == ["v2"]
    assert dep.settings_bundle_id == dep.bundle_id == "v2"
    assert out.variables["deploy_outcome"] == "updated"


# -- 3. and 11. Requests that did not reach DSS are sent again -------------------------------------------------------

# Without the update history (before 14.1) a lost request cannot be told from one that started: not sent again.
HISTORY = pytest.mark.client("14.1")


@pytest.mark.parametrize("kind", [pytest.param(dict(drop=True), marks=HISTORY),
                                  pytest.param(dict(status=503), marks=HISTORY),
                                  pytest.param(dict(status=502), marks=HISTORY), dict(status=429, retry_after=1)],
                         ids=["dropped before", "503 before", "502 before", "429"])
def test_an_update_request_that_did_not_reach_dss_is_sent_again(estate, kind):
    estate.design.faults.add(path_contains="/SHOP-on-prod/actions/update", method="POST", **kind)
    out = deploy(estate)
    dep = prod(estate)
    assert out.ok, out.log
    assert dep.started_updates == ["v2"] and dep.settings_bundle_id == dep.bundle_id == "v2"


@pytest.mark.parametrize("kind", [dict(status=503), dict(status=502), dict(status=429, retry_after=1),
                                  dict(drop=True)], ids=["503 before", "502 before", "429", "dropped before"])
def test_a_run_request_that_did_not_reach_dss_is_sent_again(qa_estate, kind):
    qa_estate.qa.faults.add(path_contains="/test_2/run", method="POST", **kind)
    out = run_plugin_step(qa_estate.design, RUN_STEP, PROJECT, qa_config(), presets=qa_estate.presets())
    assert out.ok, out.log
    assert [len(runs_of(qa_estate.qa, sid)) for sid in TESTS] == [1, 1, 1]


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_settings_are_put_back_when_no_update_could_start(estate):
    # Every update request is refused before it reaches DSS, beyond the budget: nothing started, so the
    # deployment's settings must not be left on the new bundle.
    estate.design.faults.add(path_contains="/SHOP-on-prod/actions/update", method="POST", status=503, times=1000)
    out = deploy(estate, retry_budget_s=2)
    dep = prod(estate)
    assert not out.ok
    assert dep.started_updates == [] and dep.settings_bundle_id == dep.bundle_id == "v1"
    message = out.log.splitlines()[-1]
    assert "SHOP-on-prod" in message and "v2" in message


# -- 4. The update's future ----------------------------------------------------------------------------------------

def test_a_failed_future_answering_a_dss_error_ends_the_wait_at_once(estate):
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.05, result="ERROR",
                                                failure_mode="http_error")
    started = time.monotonic()
    out = deploy(estate, rollback=False)
    assert not out.ok
    assert time.monotonic() - started < 20
    message = out.log.splitlines()[-1]
    assert "SHOP-on-prod" in message and "v2" in message and "did not end" not in message


def test_a_future_dss_lost_track_of_is_read_from_the_update_history(estate):
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.05, failure_mode="lost")
    started = time.monotonic()
    out = deploy(estate)
    dep = prod(estate)
    assert out.ok, out.log
    assert time.monotonic() - started < 20
    assert dep.started_updates == ["v2"] and dep.bundle_id == "v2"


def test_an_update_report_with_max_severity_error_is_a_failure(estate):
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.05, result="ERROR",
                                                report_key="maxSeverity")
    out = deploy(estate, rollback=False)
    assert not out.ok
    assert "the update ended in ERROR" in out.log.splitlines()[-1]


# -- 5. A real time budget -----------------------------------------------------------------------------------------

def test_retry_after_is_capped_by_the_retry_budget(qa_estate):
    qa_estate.qa.faults.add(path_equals="/dip/publicapi/projects/SHOP/scenarios/", method="GET", status=429,
                            retry_after=25, times=1)
    started = time.monotonic()
    out = run_plugin_step(qa_estate.design, RUN_STEP, PROJECT, qa_config(retry_budget_s=2),
                          presets=qa_estate.presets())
    assert out.ok, out.log
    assert time.monotonic() - started < 15


def test_polling_gives_up_after_the_retry_budget(sim):
    estate = build_estate(sim, make_tests(2, duration=30.0), with_prod=False)
    # The list answers at first, then fails for good while the runs go on.
    estate.qa.faults.add(path_equals="/dip/publicapi/projects/SHOP/scenarios/", method="GET", status=503,
                         skip=2, times=100000)
    started = time.monotonic()
    out = run_plugin_step(estate.design, RUN_STEP, PROJECT, qa_config(retry_budget_s=3), presets=estate.presets())
    assert not out.ok
    assert time.monotonic() - started < 40
    assert estate.qa.active_runs() == []
    assert "SHOP" in out.log.splitlines()[-1]


# -- 6. and 15. SIGTERM ----------------------------------------------------------------------------------------------

def _start(estate, step, config):
    ctx = estate.design.start_step_context(PROJECT, PIPELINE)
    process = start_step(ROOT / "python-steps" / step, raw_config=config, presets=estate.presets(),
                         backend_url=estate.design.url, ticket=ctx.ticket, project_key=PROJECT)
    return ctx, process


def _wait_for(condition, process, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, process.current_log()
        time.sleep(0.02)


def test_a_second_sigterm_does_not_stop_the_aborts(sim):
    estate = build_estate(sim, make_tests(3, duration=60.0), with_prod=False)
    # Each abort takes a while to answer, so the second SIGTERM lands in the middle of the cleanup.
    estate.qa.faults.add(path_contains="/abort", method="POST", status=0, delay=0.5, times=100)
    ctx, process = _start(estate, RUN_STEP, qa_config())
    _wait_for(lambda: len(estate.qa.active_runs()) == 3, process)
    process.terminate()
    _wait_for(lambda: estate.qa.request_count("/abort") >= 1, process)
    process.terminate()
    result = process.wait(timeout=40)
    ctx.finish("ABORTED")
    assert estate.qa.active_runs() == [], result.log
    assert result.exit_code != 0


def test_sigterm_during_a_run_request_is_not_held_for_the_retry_budget(sim):
    estate = build_estate(sim, make_tests(1, duration=60.0), with_prod=False)
    # The run request is refused (429) again and again: the step must stop trying as soon as it is aborted.
    estate.qa.faults.add(path_contains="/test_1/run", method="POST", status=429, retry_after=1, times=1000)
    ctx, process = _start(estate, RUN_STEP, qa_config(retry_budget_s=120))
    _wait_for(lambda: estate.qa.request_count("/test_1/run") >= 1, process)
    terminated = time.monotonic()
    process.terminate()
    result = process.wait(timeout=40)
    ctx.finish("ABORTED")
    assert time.monotonic() - terminated < 5, result.log
    assert estate.qa.active_runs() == []


def test_a_run_request_in_flight_at_sigterm_is_seen_through(sim):
    estate = build_estate(sim, make_tests(1, duration=60.0), with_prod=False)
    # DSS starts the run, then takes 2 s to answer: the step must learn of that run and abort it before it exits.
    estate.qa.faults.add(path_contains="/test_1/run", method="POST", status=0, delay_after=2.0)
    ctx, process = _start(estate, RUN_STEP, qa_config())
    _wait_for(lambda: len(estate.qa.active_runs()) == 1, process)
    process.terminate()
    result = process.wait(timeout=40)
    ctx.finish("ABORTED")
    assert estate.qa.active_runs() == [], result.log
    assert [r.outcome for r in runs_of(estate.qa, "test_1")] == ["ABORTED"]


def test_an_update_request_in_flight_at_sigterm_is_seen_through(estate):
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=60)
    # DSS starts the update, then takes 2 s to answer: the step must learn of it and abort it before it exits.
    estate.design.faults.add(path_contains="/SHOP-on-prod/actions/update", method="POST", status=0, delay_after=2.0)
    ctx, process = _start(estate, DEPLOY_STEP, {"deployment_id": "SHOP-on-prod", "bundle_id": "v2"})
    _wait_for(lambda: prod(estate).in_progress, process)
    process.terminate()
    result = process.wait(timeout=40)
    ctx.finish("ABORTED")
    dep = prod(estate)
    assert not dep.in_progress, result.log
    assert dep.started_updates == ["v2"] and dep.bundle_id == "v1"
    assert dep.settings_bundle_id == "v1", "no update runs any more, so the settings say what the nodes run"


# -- 8. The bundle a deployment runs -------------------------------------------------------------------------------

def test_the_bundle_that_a_deployment_runs_is_the_one_on_its_nodes(estate):
    # QA's settings ask for v3, but its update failed: its nodes still run v2. "What QA runs" is v2.
    estate.design.export_bundle(PROJECT, "v3")
    estate.design.deployer.publish_bundle(PROJECT, "v3")
    estate.design.deployer.set_update_behaviour("SHOP-on-qa", duration=0.02, result="ERROR")
    update_deployment(estate.design, "SHOP-on-qa", "v3")
    qa = estate.design.deployer.deployment("SHOP-on-qa")
    assert (qa.settings_bundle_id, qa.bundle_id) == ("v3", "v2")
    out = deploy(estate, bundle_source="from_deployment", source_deployment_id="SHOP-on-qa", bundle_id=None)
    dep = prod(estate)
    assert "v3" not in dep.started_updates
    assert dep.bundle_id != "v3", out.log


def test_the_gate_checks_the_bundle_another_deployment_runs(estate):
    estate.design.export_bundle(PROJECT, "v3")
    estate.design.deployer.publish_bundle(PROJECT, "v3")
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.02, result="ERROR")
    update_deployment(estate.design, "SHOP-on-prod", "v3")
    out = run_plugin_step(estate.design, "assert-test-status", PROJECT,
                          {"deployment_id": "SHOP-on-qa", "bundle_mode": "from_deployment",
                           "bundle_deployment_id": "SHOP-on-prod"}, presets=estate.presets())
    assert out.variables["gate_bundle"] == "v1", out.log


# -- 9. A retry is not blocked by an old scenario list ---------------------------------------------------------------

def test_a_flaky_retry_starts_under_the_fail_policy(qa_estate):
    qa_estate.qa.project(PROJECT).add_scenario(
        ScenarioSpec(id="test_2", name="T2", marked_as_test=True, duration=0.05, fail_first=1))
    out = run_plugin_step(qa_estate.design, RUN_STEP, PROJECT, qa_config(retries=1, if_running="fail"),
                          presets=qa_estate.presets())
    assert out.ok, out.log
    assert out.variables["tests_flaky_ids"] == ["test_2"]
    assert [r.outcome for r in runs_of(qa_estate.qa, "test_2")] == ["FAILED", "SUCCESS"]


# -- 10. Times on the server's clock ---------------------------------------------------------------------------------

@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_zone_less_junit_times_are_not_read_as_utc(sim):
    # Tests ran on QA, then QA was updated: their results are stale. The node writes its local time (UTC+5) with no
    # zone; read as UTC they would look five hours newer, fresher than the update.
    estate = build_estate(sim, make_tests(2, duration=0.02), with_prod=False)
    estate.qa.junit_utc_offset = 5.0
    run_tests_on(estate.qa, ["test_1", "test_2"])
    update_deployment(estate.design, "SHOP-on-qa", "v1")
    out = run_plugin_step(estate.design, "assert-test-status", PROJECT,
                          {"deployment_id": "SHOP-on-qa", "automation_nodes": [preset_ref("qa")]},
                          presets=estate.presets())
    assert out.variables["gate_verdict"] != "PASS", out.log


def test_maximum_age_is_measured_on_the_servers_clock(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02), with_prod=False)
    with clock.skewed(3600):
        run_tests_on(estate.qa, ["test_1", "test_2"])
        time.sleep(3.2)  # past the maximum age of 2 s by more than the Date header's half-second of doubt
        out = run_plugin_step(estate.design, "assert-test-status", PROJECT,
                              {"deployment_id": "SHOP-on-qa", "automation_nodes": [preset_ref("qa")],
                               "max_age_s": 2}, presets=estate.presets())
    assert out.variables["gate_verdict"] == "INCONCLUSIVE", out.log
    assert "maximum age" in out.log


# -- 12. Garbled answers to reads ------------------------------------------------------------------------------------

def test_a_cut_off_body_on_a_read_is_retried(qa_estate):
    qa_estate.qa.faults.add(path_equals="/dip/publicapi/projects/SHOP/scenarios/", method="GET", cut=True, times=2)
    out = run_plugin_step(qa_estate.design, RUN_STEP, PROJECT, qa_config(), presets=qa_estate.presets())
    assert out.ok, out.log
    assert qa_estate.qa.faults.injected == 2


def test_a_page_that_is_not_json_is_reported_as_such(qa_estate):
    qa_estate.qa.faults.add(path_equals="/dip/publicapi/projects/SHOP/scenarios/", method="GET", status=200,
                            body="<html><body>Maintenance</body></html>", times=100000)
    out = run_plugin_step(qa_estate.design, RUN_STEP, PROJECT, qa_config(retry_budget_s=2),
                          presets=qa_estate.presets())
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "could not be reached" not in message
    assert "not JSON" in message or "unreadable" in message, message


# -- 13. A transient error on the health read -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", [dict(status=502), dict(cut=True), dict(drop=True)], ids=["502", "cut", "dropped"])
def test_a_transient_error_on_the_health_read_does_not_roll_back(estate, kind):
    estate.design.faults.add(path_equals="/dip/publicapi/project-deployer/deployments/SHOP-on-prod/status",
                             method="GET", skip=1, times=2, **kind)
    out = deploy(estate)
    dep = prod(estate)
    assert out.ok, out.log
    assert dep.started_updates == ["v2"] and dep.bundle_id == "v2"
    assert out.variables["deploy_rolled_back"] is False


# -- 14. The rollback's own update request ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [dict(status=502, after=True), dict(drop_after=True),
                                  pytest.param(dict(drop=True), marks=HISTORY),
                                  pytest.param(dict(status=503), marks=HISTORY)],
                         ids=["502 after", "dropped after", "dropped before", "503"])
def test_a_rollback_whose_request_got_no_answer_is_seen_through(estate, kind):
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.02, health_by_bundle={"v2": "UNHEALTHY"})
    estate.design.faults.add(path_contains="/SHOP-on-prod/actions/update", method="POST", skip=1, **kind)
    out = deploy(estate)
    dep = prod(estate)
    assert not out.ok
    assert dep.started_updates == ["v2", "v1"], out.log
    assert dep.settings_bundle_id == dep.bundle_id == "v1"
    assert out.variables["deploy_outcome"] == "rolled_back"


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_a_rollback_that_cannot_start_says_the_deployment_is_out_of_sync(estate):
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.02, health_by_bundle={"v2": "UNHEALTHY"})
    estate.design.faults.add(path_contains="/SHOP-on-prod/actions/update", method="POST", skip=1, status=503,
                             times=100000)
    out = deploy(estate, retry_budget_s=2)
    dep = prod(estate)
    message = out.log.splitlines()[-1]
    assert not out.ok
    assert dep.started_updates == ["v2"]
    assert dep.settings_bundle_id == dep.bundle_id == "v2", "the settings must say what the nodes run"
    assert "v1" in message and "v2" in message and "SHOP-on-prod" in message


def test_sigterm_while_an_update_runs_aborts_it_and_puts_the_settings_back(estate):
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=60)
    ctx, process = _start(estate, DEPLOY_STEP, {"deployment_id": "SHOP-on-prod", "bundle_id": "v2"})
    _wait_for(lambda: prod(estate).in_progress, process)
    process.terminate()
    time.sleep(0.2)
    process.terminate()  # a second SIGTERM changes nothing
    result = process.wait(timeout=30)
    ctx.finish("ABORTED")
    dep = prod(estate)
    assert not dep.in_progress and dep.bundle_id == "v1", result.log
    assert dep.started_updates == ["v2"]
    assert dep.settings_bundle_id == "v1", "no update runs any more, so the settings say what the nodes run"
