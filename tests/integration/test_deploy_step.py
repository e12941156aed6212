"""Deploy bundle against the simulator: each case checks the Production deployment's bundle and health after."""

import json

import pytest
from dss_simulator import ScenarioSpec
from macrokit import check_html
from stepkit import run_plugin_step
from worlds import PROJECT, promotion_estate, report_folders, run_tests_on

STEP = "deploy-bundle"
TESTS = ["test_1", "test_2"]


@pytest.fixture
def estate(sim):
    return promotion_estate(sim)


def deploy(estate, **config):
    base = {"deployment_id": "SHOP-on-prod", "bundle_id": "v2", "gate_deployment_id": "SHOP-on-qa"}
    base.update(config)
    return run_plugin_step(estate.design, STEP, PROJECT, base, presets=estate.presets())


def prod(estate):
    return estate.design.deployer.deployment("SHOP-on-prod")


def test_clean_bundle_is_promoted(estate):
    run_tests_on(estate.qa, TESTS)
    out = deploy(estate)
    assert out.ok, out.log
    assert prod(estate).bundle_id == "v2" and prod(estate).health == "HEALTHY"
    assert estate.prod.active_bundle(PROJECT) == "v2"
    assert out.variables["deploy_previous_bundle"] == "v1"
    assert out.variables["deploy_gate_verdict"] == "PASS"
    assert out.variables["deploy_outcome"] == "updated"


def test_promote_what_qa_runs(estate):
    run_tests_on(estate.qa, TESTS)
    out = deploy(estate, bundle_source="from_deployment", source_deployment_id="SHOP-on-qa", bundle_id=None)
    assert out.ok, out.log
    assert prod(estate).bundle_id == "v2"


def test_refused_when_qa_is_dirty(estate):
    estate.qa.project(PROJECT).add_scenario(
        ScenarioSpec(id="test_2", name="T2", marked_as_test=True, duration=0.02, outcome="FAILED"))
    run_tests_on(estate.qa, TESTS)
    updates_before = len(prod(estate).updates)
    out = deploy(estate)
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "Refused" in message and "v2" in message and "SHOP-on-qa" in message and "SHOP-on-prod" in message
    assert prod(estate).bundle_id == "v1" and prod(estate).settings_bundle_id == "v1"
    assert len(prod(estate).updates) == updates_before
    assert out.variables["deploy_gate_verdict"] == ""


def test_refused_as_inconclusive_without_qa_results(estate):
    out = deploy(estate)
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "INCONCLUSIVE" in message and "v2" in message and "Results exist for bundle v1" not in message
    assert prod(estate).bundle_id == "v1" and prod(estate).settings_bundle_id == "v1"


def test_failed_update_is_rolled_back(estate):
    run_tests_on(estate.qa, TESTS)
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.05, health_by_bundle={"v2": "UNHEALTHY"})
    out = deploy(estate)
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "UNHEALTHY" in message and "rolled back to bundle v1" in message
    assert prod(estate).bundle_id == "v1" and prod(estate).health == "HEALTHY"
    assert out.variables["deploy_rolled_back"] is True
    assert out.variables["deploy_outcome"] == "rolled_back"


def test_failed_update_without_rollback(estate):
    run_tests_on(estate.qa, TESTS)
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.05, result="ERROR")
    out = deploy(estate, rollback=False)
    assert not out.ok
    assert "ERROR" in out.log.splitlines()[-1] and "Rollback is off" in out.log.splitlines()[-1]
    assert prod(estate).bundle_id == "v1" and prod(estate).health == "ERROR"


def test_update_past_its_deadline_is_aborted(estate):
    run_tests_on(estate.qa, TESTS)
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=30)
    out = deploy(estate, update_timeout_s=1, rollback=False)
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "did not end within 1s" in message and "aborted" in message
    assert "point at bundle v1 again" in message and "fix the deployment by hand" not in message
    assert not prod(estate).in_progress
    assert prod(estate).bundle_id == prod(estate).settings_bundle_id == "v1"


def test_no_op_when_already_deployed(estate):
    run_tests_on(estate.qa, TESTS)
    updates_before = len(estate.design.deployer.deployment("SHOP-on-qa").updates)
    out = run_plugin_step(estate.design, STEP, PROJECT, {"deployment_id": "SHOP-on-qa", "bundle_id": "v2"})
    assert out.ok, out.log
    assert "nothing to do" in out.log
    assert out.variables["deploy_outcome"] == "unchanged"
    assert len(estate.design.deployer.deployment("SHOP-on-qa").updates) == updates_before


def test_unknown_bundle_is_refused_listing_the_published_ones(estate):
    out = deploy(estate, bundle_id="v9", gate_deployment_id=None)
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "v9 is not published" in message and "v1, v2" in message
    assert prod(estate).settings_bundle_id == "v1"


@pytest.mark.parametrize("policy", ["wait", "fail"])
def test_update_already_in_progress(estate, policy):
    run_tests_on(estate.qa, TESTS)
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=2.5)
    estate.design.deployer.update("SHOP-on-prod", bundle_id="v1")
    out = deploy(estate, if_update_running=policy)
    if policy == "wait":
        assert out.ok, out.log
        assert "in progress" in out.log
        assert prod(estate).bundle_id == "v2"
    else:
        assert not out.ok
        assert "in progress" in out.log.splitlines()[-1]
        assert prod(estate).settings_bundle_id == "v1"


def test_rollback_goes_to_the_bundle_running_not_the_one_a_failed_update_left_in_the_settings(estate):
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.05, result="ERROR")
    assert not deploy(estate, gate_deployment_id=None, rollback=False).ok
    assert prod(estate).settings_bundle_id == "v2" and prod(estate).bundle_id == "v1"
    estate.design.export_bundle(PROJECT, "v3")
    estate.design.deployer.publish_bundle(PROJECT, "v3")
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.05, health_by_bundle={"v3": "UNHEALTHY"})
    out = deploy(estate, bundle_id="v3", gate_deployment_id=None)
    assert not out.ok
    assert out.variables["deploy_previous_bundle"] == "v1"
    assert "rolled back to bundle v1" in out.log.splitlines()[-1]
    assert prod(estate).bundle_id == "v1" and prod(estate).health == "HEALTHY"
    assert "out of sync" in out.log


def test_a_rollback_that_fails_too_is_not_reported_as_a_rollback(estate):
    run_tests_on(estate.qa, TESTS)
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.05,
                                                health_by_bundle={"v2": "UNHEALTHY", "v1": "UNHEALTHY"})
    out = deploy(estate)
    assert not out.ok
    assert "Rolling back to bundle v1 failed too" in out.log.splitlines()[-1]
    assert out.variables["deploy_rolled_back"] is False
    assert out.variables["deploy_outcome"] == "rollback_failed"


def test_a_gate_on_another_published_project_is_refused(estate):
    other = estate.design.add_project("OTHER")
    other.add_scenario(ScenarioSpec(id="t", name="T", marked_as_test=True, duration=0.02))
    estate.design.export_bundle("OTHER", "v2")
    estate.design.deployer.publish_bundle("OTHER", "v2")
    estate.design.deployer.add_deployment("OTHER-on-qa", published_project_key="OTHER", infra_id="qa-infra",
                                          bundle_id="v2")
    run_tests_on(estate.qa, ["t"], project_key="OTHER")
    out = deploy(estate, gate_deployment_id="OTHER-on-qa")
    assert not out.ok
    assert "another project's tests" in out.log.splitlines()[-1]
    assert prod(estate).settings_bundle_id == "v1"


@pytest.mark.parametrize("dirty", [False, True], ids=["promoted", "refused"])
def test_the_promotion_is_saved_as_an_audit_record(estate, tmp_path, dirty):
    if dirty:
        estate.qa.project(PROJECT).add_scenario(
            ScenarioSpec(id="test_2", name="T2", marked_as_test=True, duration=0.02, outcome="FAILED"))
    run_tests_on(estate.qa, TESTS)
    folders = report_folders(estate.design, tmp_path, "audit")
    out = deploy(estate, report_folder="audit")
    assert out.ok is not dirty, out.log
    [record_file] = list((folders / "audit").rglob("*.json"))
    record = json.loads(record_file.read_text())
    assert record["verdict"] == ("FAIL" if dirty else "PASS") and record["subject"] == "deployment SHOP-on-qa"
    promotion = record["promotion"]
    assert promotion["deployment"] == "SHOP-on-prod" and promotion["bundle"] == "v2"
    assert promotion["previous_bundle"] == "v1"
    assert promotion["outcome"] == ("refused" if dirty else "updated")
    assert record["decided_by"]["what"].endswith("scenario pipeline of project SHOP")
    page = check_html(record_file.with_suffix(".html").read_text())
    assert "Promotion of deployment SHOP-on-prod" in page and promotion["outcome"] in page
