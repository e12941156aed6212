"""Reads of the plugin's DSS layer against the simulator, through the real client."""

import time

import dataikuapi
import pytest
from stepkit import run_plugin_step
from test_gated_deployment.dss.deployments import running_update
from worlds import PROJECT, build_estate, make_tests, preset_ref, promotion_estate


def test_a_running_update_is_matched_on_the_whole_deployment_id(sim):
    estate = promotion_estate(sim)
    deployer = estate.design.deployer
    deployer.add_deployment("SHOP-on-prod-2", published_project_key=PROJECT, infra_id="prod-infra", bundle_id="v1")
    deployer.set_update_behaviour("SHOP-on-prod-2", duration=60)
    deployer.update("SHOP-on-prod-2", "v2")
    client = dataikuapi.DSSClient(estate.design.url, estate.design.admin_key)
    since = int(time.time() * 1000) - 60_000
    assert running_update(client, "SHOP-on-prod", since) is None
    assert running_update(client, "SHOP-on-prod-2", since) is not None


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_the_deployer_path_reports_the_failure_not_the_stop_it_caused(sim):
    estate = build_estate(sim, make_tests(2, duration=0.05), qa_nodes=2, with_prod=False)
    estate.design.faults.add(path_contains="/run-test-scenarios", method="POST", status=403, times=1)
    out = run_plugin_step(estate.design, "run-test-scenarios", PROJECT,
                          {"target": "deployment", "deployment_id": "SHOP-on-qa", "node_access": "deployer",
                           "deployer_quiet_period_s": 1, "automation_nodes": [preset_ref("qa1")]},
                          presets=estate.presets())
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "403" in message and "SHOP-on-qa" in message and "was aborted" not in message
