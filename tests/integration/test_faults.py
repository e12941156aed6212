"""Fault injection against the simulator: transient faults are ridden out, permanent ones fail at once, no run
is started twice and none is left running. Every test records what it saw in the ledger printed at the end."""

import time

import dataikuapi
import pytest
from dss_simulator import ScenarioSpec
from dss_simulator.step_runner import start_step
from faultkit import LEDGER
from stepkit import PIPELINE, ROOT, run_plugin_step
from worlds import PROJECT, build_estate, make_tests, preset_ref, promotion_estate, run_tests_on, update_deployment

STEP = "run-test-scenarios"
TESTS = ["test_1", "test_2", "test_3"]


def qa_config(estate, **extra):
    config = {"target": "deployment", "deployment_id": "SHOP-on-qa", "parallelism": 3,
              "automation_nodes": [preset_ref("qa")], "retry_budget_s": 30}
    config.update(extra)
    return config


def duplicates(node, scenario_ids, expected_runs=1):
    return sum(max(0, len(node.runs(PROJECT, sid)) - expected_runs) for sid in scenario_ids)


def check(name, estate, out, expect_ok, faults, node=None):
    node = node or estate.qa
    dup = duplicates(node, TESTS)
    left = len(node.active_runs())
    correct = out.ok == expect_ok and dup == 0 and left == 0
    LEDGER.record(name, correct, faults=faults, duplicates=dup, left_active=left)
    assert out.ok == expect_ok, out.log
    assert dup == 0 and left == 0


@pytest.fixture
def estate(sim):
    return build_estate(sim, make_tests(3, duration=0.05), with_prod=False)


def test_bursts_of_502_and_503(estate):
    estate.qa.faults.add(path_contains="/scenarios/", method="GET", status=502, times=4)
    estate.qa.faults.add(path_contains="/get-run-for-trigger", status=503, times=3)
    out = run_plugin_step(estate.design, STEP, PROJECT, qa_config(estate), presets=estate.presets())
    check("5xx bursts", estate, out, True, estate.qa.faults.injected)
    assert estate.qa.faults.injected == 7


def test_429_with_retry_after_is_honoured(estate):
    estate.qa.faults.add(path_contains="/scenarios/", method="GET", status=429, times=1, retry_after=1)
    out = run_plugin_step(estate.design, STEP, PROJECT, qa_config(estate), presets=estate.presets())
    check("429", estate, out, True, estate.qa.faults.injected)
    hits = [r for r in estate.qa.requests if r.path.endswith("/scenarios/") and r.method == "GET"]
    assert hits[0].status == 429 and hits[1].time - hits[0].time >= 0.9


def test_dropped_connections_on_reads(estate):
    estate.qa.faults.add(path_contains="/scenarios/", method="GET", drop=True, times=2)
    out = run_plugin_step(estate.design, STEP, PROJECT, qa_config(estate), presets=estate.presets())
    check("dropped reads", estate, out, True, estate.qa.faults.injected)


def test_run_request_dropped_after_dss_started_the_run(estate):
    # The POST reached DSS and started the run, then the answer was lost: the step must follow that run, not
    # start a second one.
    estate.qa.faults.add(path_contains="/test_2/run", method="POST", drop_after=True, times=1)
    out = run_plugin_step(estate.design, STEP, PROJECT, qa_config(estate), presets=estate.presets())
    check("POST dropped after the work", estate, out, True, estate.qa.faults.injected)
    assert len(estate.qa.runs(PROJECT, "test_2")) == 1
    assert "checking whether DSS started it anyway" in out.log


def test_run_request_dropped_before_dss_saw_it(estate):
    estate.qa.faults.add(path_contains="/test_2/run", method="POST", drop=True, times=1)
    out = run_plugin_step(estate.design, STEP, PROJECT, qa_config(estate), presets=estate.presets())
    check("POST dropped before the work", estate, out, True, estate.qa.faults.injected)
    assert len(estate.qa.runs(PROJECT, "test_2")) == 1


def test_slow_answers_beyond_the_read_timeout_are_retried(estate):
    estate.qa.faults.add(path_contains="/scenarios/", method="GET", status=0, delay=2.5, times=1)
    out = run_plugin_step(estate.design, STEP, PROJECT, qa_config(estate, http_timeout_s=1),
                          presets=estate.presets())
    check("slow answer", estate, out, True, estate.qa.faults.injected)


def test_node_down_for_ten_seconds_after_an_update(sim):
    estate = build_estate(sim, make_tests(3, duration=0.05), with_prod=False)
    estate.design.export_bundle(PROJECT, "v2")
    estate.design.deployer.publish_bundle(PROJECT, "v2")
    estate.design.deployer.set_update_behaviour("SHOP-on-qa", duration=0.05, node_down_for=10.0)
    update_deployment(estate.design, "SHOP-on-qa", "v2")
    started = time.monotonic()
    out = run_plugin_step(estate.design, STEP, PROJECT, qa_config(estate), presets=estate.presets())
    refused = sum(1 for r in estate.qa.requests if r.status == 503)
    check("node restarting for 10 s", estate, out, True, refused)
    assert refused >= 1 and time.monotonic() - started >= 9


def test_403_on_one_project_fails_at_once(sim):
    estate = build_estate(sim, make_tests(3), with_prod=False)
    estate.qa.add_api_key("limited-key", user="tester", projects={"OTHER"})
    presets = estate.presets()
    presets["qa"] = {"url": estate.qa.url, "api_key": "limited-key"}
    started = time.monotonic()
    out = run_plugin_step(estate.design, STEP, PROJECT, qa_config(estate), presets=presets)
    check("403", estate, out, False, 1)
    message = out.log.splitlines()[-1]
    assert "403" in message and "SHOP" in message and "rights" in message
    assert time.monotonic() - started < 5
    assert sum(1 for r in estate.qa.requests if r.status == 403) == 1  # not retried


def test_sigterm_aborts_the_runs_the_step_started(sim):
    estate = build_estate(sim, make_tests(3, duration=30.0), with_prod=False)
    ctx = estate.design.start_step_context(PROJECT, PIPELINE)
    process = start_step(ROOT / "python-steps" / STEP, raw_config=qa_config(estate), presets=estate.presets(),
                         backend_url=estate.design.url, ticket=ctx.ticket, project_key=PROJECT)
    deadline = time.monotonic() + 20
    while len(estate.qa.active_runs()) < 3:
        assert time.monotonic() < deadline, process.current_log()
        time.sleep(0.05)
    process.terminate()
    result = process.wait(timeout=30)
    ctx.finish("ABORTED")
    left = len(estate.qa.active_runs())
    aborted = [r.outcome for sid in TESTS for r in estate.qa.runs(PROJECT, sid)]
    LEDGER.record("SIGTERM", result.exit_code != 0 and left == 0, faults=1, left_active=left)
    assert result.exit_code != 0, result.log
    assert left == 0 and aborted == ["ABORTED"] * 3, (aborted, result.log)
    assert "Aborted test_1" in result.log and "The step was aborted" in result.log, result.log


def test_step_deadline_aborts_the_runs_in_flight(estate):
    estate.qa.project(PROJECT).add_scenario(
        ScenarioSpec(id="test_3", name="T3", marked_as_test=True, hangs=True))
    out = run_plugin_step(estate.design, STEP, PROJECT, qa_config(estate, deadline_s=1), presets=estate.presets())
    check("step deadline", estate, out, False, 0)
    assert "deadline" in out.log.splitlines()[-1]
    assert [r.outcome for r in estate.qa.runs(PROJECT, "test_3")] == ["ABORTED"]


def test_results_survive_faults_in_the_gate(sim):
    estate = build_estate(sim, make_tests(3, duration=0.02), with_prod=False)
    run_tests_on(estate.qa, TESTS)
    estate.design.faults.add(path_contains="/testing-status", status=502, times=2)
    out = run_plugin_step(estate.design, "assert-test-status", PROJECT, {"deployment_id": "SHOP-on-qa"},
                          presets=estate.presets())
    LEDGER.record("gate under 502", out.ok, faults=estate.design.faults.injected)
    assert out.ok, out.log
    assert out.variables["gate_verdict"] == "PASS"


def test_deploy_rides_out_deployer_5xx(sim):
    estate = promotion_estate(sim)
    run_tests_on(estate.qa, ["test_1", "test_2"])
    estate.design.faults.add(path_contains="/project-deployer/", method="GET", status=502, times=4)
    before = len(estate.design.deployer.deployment("SHOP-on-prod").updates)
    out = run_plugin_step(estate.design, "deploy-bundle", PROJECT,
                          {"deployment_id": "SHOP-on-prod", "bundle_id": "v2", "gate_deployment_id": "SHOP-on-qa"},
                          presets=estate.presets())
    prod = estate.design.deployer.deployment("SHOP-on-prod")
    LEDGER.record("deploy under 502", out.ok and prod.bundle_id == "v2", faults=estate.design.faults.injected,
                  duplicates=max(0, len(prod.updates) - before - 1))
    assert out.ok, out.log
    assert prod.bundle_id == "v2" and len(prod.updates) == before + 1


def test_lost_update_request_is_followed_not_sent_twice(sim):
    estate = promotion_estate(sim)
    estate.design.faults.add(path_contains="/actions/update", method="POST", drop_after=True, times=1)
    out = run_plugin_step(estate.design, "deploy-bundle", PROJECT, {"deployment_id": "SHOP-on-prod",
                                                                    "bundle_id": "v2"}, presets=estate.presets())
    estate.design.deployer.settle()
    prod = estate.design.deployer.deployment("SHOP-on-prod")
    started = len(prod.started_updates)
    LEDGER.record("lost update request", out.ok and started == 1, faults=1, duplicates=max(0, started - 1))
    assert out.ok, out.log
    assert "checking whether it started" in out.log and "DSS had started the update" in out.log
    assert started == 1 and prod.bundle_id == prod.settings_bundle_id == "v2"


def test_sigterm_aborts_the_update_the_deploy_step_started(sim):
    estate = promotion_estate(sim)
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=60)
    ctx = estate.design.start_step_context(PROJECT, PIPELINE)
    process = start_step(ROOT / "python-steps" / "deploy-bundle",
                         raw_config={"deployment_id": "SHOP-on-prod", "bundle_id": "v2"}, presets=estate.presets(),
                         backend_url=estate.design.url, ticket=ctx.ticket, project_key=PROJECT)
    deadline = time.monotonic() + 20
    while not estate.design.deployer.deployment("SHOP-on-prod").in_progress:
        assert time.monotonic() < deadline, process.current_log()
        time.sleep(0.05)
    process.terminate()
    result = process.wait(timeout=30)
    ctx.finish("ABORTED")
    estate.design.deployer.settle()
    prod = estate.design.deployer.deployment("SHOP-on-prod")
    LEDGER.record("SIGTERM during an update", not prod.in_progress, faults=1, left_active=int(prod.in_progress))
    assert result.exit_code != 0 and "aborting the update" in result.log
    assert not prod.in_progress and prod.bundle_id == "v1"


def test_aborting_the_pipeline_scenario_aborts_the_test_runs_it_started(sim, tmp_path):
    import demo

    world = demo.build_world(sim, tmp_path)
    assert demo.create_pipeline(world).ok
    for sid, name in demo.TESTS.items():
        world.design.project(PROJECT).add_scenario(ScenarioSpec(id=sid, name=name, marked_as_test=True, duration=60))
    client = dataikuapi.DSSClient(world.design.url, world.design.admin_key)
    scenario = client.get_project(PROJECT).get_scenario(demo.pipeline_id(client))
    run = scenario.run().wait_for_scenario_run()
    deadline = time.monotonic() + 30
    while len(world.qa.active_runs()) < len(demo.TESTS):
        assert time.monotonic() < deadline, run.get_log()
        time.sleep(0.05)
    scenario.abort()
    world.design.wait_for_run(PROJECT, scenario.id, run.id, timeout=30)
    left = len(world.qa.active_runs())
    LEDGER.record("pipeline aborted during its tests", left == 0, faults=1, left_active=left)
    assert left == 0
    assert {r.outcome for sid in demo.TESTS for r in world.qa.runs(PROJECT, sid)} == {"ABORTED"}
    run.refresh()
    assert run.outcome == "ABORTED"
