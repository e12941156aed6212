"""Project Deployer and Automation nodes, through the real client: bundles, updates, health, testing status."""

from __future__ import annotations

import time

import pytest
import requests
from dataikuapi.utils import DataikuException
from dss_simulator import ScenarioSpec

from .helpers import client, wait_for


@pytest.fixture
def qa(sim):
    return sim.add_automation_node("qa")


@pytest.fixture
def deployed(design, qa):
    """PK v1 deployed on qa-infra; v2 published too. In v2 the test scenario fails."""
    project = design.add_project("PK", variables={"stage": "dev"})
    project.add_scenario(ScenarioSpec(id="t1", marked_as_test=True, duration=0.02,
                                      outcomes_by_bundle={"v2": "FAILED"}))
    project.add_scenario(ScenarioSpec(id="t2", marked_as_test=True, duration=0.02))
    project.add_scenario(ScenarioSpec(id="job", duration=0.0))
    design.deployer.add_infra("qa-infra", stage="QA", nodes=[qa])
    design.export_bundle("PK", "v1")
    design.deployer.publish_bundle("PK", "v1")
    design.deployer.add_deployment("PK-on-qa", published_project_key="PK", infra_id="qa-infra", bundle_id="v1")
    design.deployer.publish_bundle("PK", "v2")  # exported on the fly
    return client(design).get_projectdeployer().get_deployment("PK-on-qa")


def update_to(dep, bundle_id):
    settings = dep.get_settings()
    settings.bundle_id = bundle_id
    settings.save()
    return dep.start_update()


def wait_tests(node, project_key="PK", ids=("t1", "t2")):
    wait_for(lambda: all(node.runs(project_key, s) and node.runs(project_key, s)[-1].outcome for s in ids))


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_add_deployment_installs_the_bundle_on_the_automation_node(design, qa, deployed):
    assert qa.active_bundle("PK") == "v1"
    automation = client(qa).get_project("PK")
    assert sorted(s["id"] for s in automation.list_scenarios()) == ["job", "t1", "t2"]
    assert automation.get_variables()["standard"] == {"stage": "dev"}
    assert client(qa).get_instance_info().node_type == "AUTOMATION"
    light = deployed.get_status().get_light()
    assert light["deploymentBasicInfo"] == {"id": "PK-on-qa", "bundleId": "v1", "publishedProjectKey": "PK",
                                            "deployedProjectKey": "PK", "infraId": "qa-infra"}
    assert deployed.get_status().get_health() == "HEALTHY"
    assert [u.status for u in deployed.list_updates()] == ["SUCCESS"]


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_update_changes_the_active_bundle_and_the_outcomes(design, qa, deployed):
    deployed.run_test_scenarios()
    wait_tests(qa)
    assert deployed.get_testing_status().nb_scenarios_per_outcome == {"SUCCESS": 2}

    design.deployer.set_update_behaviour("PK-on-qa", duration=0.1)
    future = update_to(deployed, "v2")
    assert design.deployer.deployment("PK-on-qa").in_progress
    assert qa.active_bundle("PK") == "v1"
    assert future.wait_for_result() == {"status": "SUCCESS", "messages": []}
    assert qa.active_bundle("PK") == "v2"
    dep = design.deployer.deployment("PK-on-qa")
    assert (dep.bundle_id, dep.health, dep.in_progress) == ("v2", "HEALTHY", False)

    # no test ran for v2 yet; v1's results are still there, filtered by bundle
    assert deployed.get_testing_status().nb_total_ran_scenarios == 0
    assert deployed.get_testing_status(bundle_id="v1").nb_scenarios_per_outcome == {"SUCCESS": 2}
    status_at_launch = deployed.run_test_scenarios()
    assert status_at_launch.nb_total_ran_scenarios == 0
    wait_tests(qa)
    assert deployed.get_testing_status().nb_scenarios_per_outcome == {"SUCCESS": 1, "FAILED": 1}
    assert [r.bundle_id for r in qa.runs("PK", "t1")] == ["v1", "v2"]

    update = deployed.get_update()
    assert update.status == "SUCCESS" and update.requester == "admin" and update.end_time >= update.start_time
    assert any("v2" in line for line in update.logs)
    items = deployed.list_updates()
    assert [i.status for i in items] == ["SUCCESS", "SUCCESS"]
    assert items[0].get_full_update().get_raw()["bundleId"] == "v2"


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_settings_ask_for_a_bundle_before_the_update(design, qa, deployed):
    settings = deployed.get_settings()
    assert settings.get_raw()["infraId"] == "qa-infra" and settings.published_project_key == "PK"
    settings.bundle_id = "v2"
    settings.save()
    assert deployed.get_status().get_health() == "OUT_OF_SYNC"
    assert deployed.get_status().get_heavy()["nodesStatus"] == [{"nodeId": "qa", "health": "OUT_OF_SYNC",
                                                                 "bundleId": "v1"}]
    settings.bundle_id = "v9"
    with pytest.raises(DataikuException, match="not published"):
        settings.save()


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_a_failed_update_keeps_the_old_bundle(design, qa, deployed):
    design.deployer.set_update_behaviour("PK-on-qa", duration=0.0, result="ERROR")
    report = update_to(deployed, "v2").wait_for_result()
    assert report["status"] == "ERROR" and report["messages"][0]["severity"] == "ERROR"
    assert qa.active_bundle("PK") == "v1"
    status = deployed.get_status()
    assert status.get_health() == "ERROR" and status.get_health_messages()["messages"]
    assert deployed.get_update().status == "ERROR"


def test_failure_modes_of_the_update_future(design, qa, deployed):
    design.deployer.set_update_behaviour("PK-on-qa", duration=0.0, result="ERROR", failure_mode="http_error")
    with pytest.raises(DataikuException, match="failed"):
        update_to(deployed, "v2").wait_for_result()
    design.deployer.set_update_behaviour("PK-on-qa", duration=0.0, result="ERROR", failure_mode="dead")
    future = deployed.start_update()
    state = wait_for(lambda: (lambda s: not s["alive"] and s)(future.get_state()))
    assert state["hasResult"] is False


def test_unhealthy_bundle_then_rollback(design, qa, deployed):
    design.deployer.set_update_behaviour("PK-on-qa", duration=0.0, health_by_bundle={"v2": "UNHEALTHY"})
    update_to(deployed, "v2").wait_for_result()
    assert deployed.get_status().get_health() == "UNHEALTHY"
    assert qa.active_bundle("PK") == "v2"
    update_to(deployed, "v1").wait_for_result()
    assert deployed.get_status().get_health() == "HEALTHY" and qa.active_bundle("PK") == "v1"


def test_node_down_after_update(design, qa, deployed):
    design.deployer.set_update_behaviour("PK-on-qa", duration=0.0, node_down_for=0.6)
    update_to(deployed, "v2").wait_for_result()
    url = qa.url + "/dip/publicapi/projects/PK/scenarios/"
    resp = requests.get(url, auth=(qa.admin_key, ""), timeout=5)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "1"
    with pytest.raises(DataikuException, match="not reachable"):
        deployed.get_testing_status()
    wait_for(lambda: requests.get(url, auth=(qa.admin_key, ""), timeout=5).status_code == 200, timeout=2)
    assert deployed.get_testing_status().nb_total_ran_scenarios == 0


def test_aborting_the_update_future_cancels_the_update(design, qa, deployed):
    design.deployer.set_update_behaviour("PK-on-qa", duration=0.3)
    future = update_to(deployed, "v2")
    assert [f["jobId"] for f in client(design).list_futures()] == [future.job_id]
    future.abort()
    time.sleep(0.35)
    assert qa.active_bundle("PK") == "v1"
    assert not design.deployer.deployment("PK-on-qa").in_progress
    assert future.get_state()["aborted"] is True


def test_a_second_update_while_one_runs_is_refused(design, qa, deployed):
    design.deployer.set_update_behaviour("PK-on-qa", duration=0.3)
    future = update_to(deployed, "v2")
    with pytest.raises(DataikuException, match="already being updated"):
        deployed.start_update()
    future.wait_for_result()


def test_public_bundle_publish_and_deployment_creation(design, qa, deployed):
    api = client(design)
    project = api.get_project("PK")
    project.export_bundle("v3", release_notes="third")
    assert project.publish_bundle("v3")["publishedProjectKey"] == "PK"
    assert [b["bundleId"] for b in project.list_exported_bundles()["bundles"]] == ["v1", "v2", "v3"]
    pd = api.get_projectdeployer()
    assert [b["id"] for b in pd.get_project("PK").get_status().get_bundles()] == ["v1", "v2", "v3"]
    prod = pd.create_deployment("PK-on-prod", "PK", "qa-infra", "v3", deployed_project_key="PK_PROD")
    assert prod.get_status().get_health() == "OUT_OF_SYNC"
    prod.start_update().wait_for_result()
    assert qa.active_bundle("PK_PROD") == "v3"
    assert sorted(d.id for d in pd.list_deployments()) == ["PK-on-prod", "PK-on-qa"]
    assert sorted(d.id for d in pd.get_project("PK").get_status().get_deployments("qa-infra")) == [
        "PK-on-prod", "PK-on-qa"]
    assert "QA" in [s["id"] for s in pd.list_stages()]
    assert [i.id for i in pd.list_infras()] == ["qa-infra"]
    assert [d.id for d in pd.get_infra("qa-infra").get_status().get_deployments()] == ["PK-on-qa", "PK-on-prod"]


def test_infra_settings_never_carry_a_key(design, qa, deployed):
    raw = client(design).get_projectdeployer().get_infra("qa-infra").get_settings().get_raw()
    assert raw["type"] == "SINGLE_NODE" and raw["automationNodeUrl"] == qa.url and raw["adminApiKey"] == ""
    assert qa.admin_key not in str(raw)


def test_deployer_rights(design, qa, deployed):
    design.add_project("OTHER")
    design.add_api_key("limited", user="u1", projects={"OTHER"})
    pd = client(design, "limited").get_projectdeployer()
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        pd.get_deployment("PK-on-qa").get_settings()
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        pd.get_infra("qa-infra").get_settings()
    assert pd.list_deployments() == []
    with pytest.raises(DataikuException, match="NotFoundException"):
        client(design).get_projectdeployer().get_deployment("nope").get_settings()


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_old_dss_has_no_update_history_nor_run_tests(sim):
    design = sim.add_design_node("old", dss_version="13.4.0")
    qa = sim.add_automation_node("oldqa", dss_version="13.4.0")
    design.add_project("PK").add_scenario(ScenarioSpec(id="t1", marked_as_test=True))
    design.deployer.add_infra("i", "QA", [qa])
    design.deployer.publish_bundle("PK", "v1")
    design.deployer.add_deployment("d", "PK", "i", "v1")
    dep = client(design).get_projectdeployer().get_deployment("d")
    assert dep.get_testing_status().nb_total_ran_scenarios == 0
    for call in (dep.run_test_scenarios, dep.list_updates, dep.get_update):
        with pytest.raises(DataikuException, match="404 Not Found"):
            call()
