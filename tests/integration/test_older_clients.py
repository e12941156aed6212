"""Steps run with the `dataikuapi` of DSS 13.3, as they do inside a DSS 13.3 node (DSS puts its own client on the
path of plugin processes), against a simulated 13.4 node: no update history, no run-test-scenarios call."""

import subprocess
import sys

import pytest
from stepkit import ROOT, run_plugin_step
from worlds import PROJECT, build_estate, make_tests, preset_ref, run_tests_on

# The client release of the oldest DSS line the plugin supports.
OLDEST_CLIENT = "dataiku-api-client==13.3.3"


@pytest.fixture(scope="session")
def oldest_client(tmp_path_factory):
    target = tmp_path_factory.mktemp("oldest-dataikuapi")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    OLDEST_CLIENT], check=True, timeout=300, capture_output=True)
    return {"PYTHONPATH": ":".join([str(target), str(ROOT / "python-lib"), str(ROOT / "tooling" / "standin")])}


@pytest.fixture
def estate(sim):
    estate = build_estate(sim, make_tests(2, duration=0.05), dss_version="13.4.0")
    estate.design.export_bundle(PROJECT, "v2")
    estate.design.deployer.publish_bundle(PROJECT, "v2")
    return estate


@pytest.mark.parametrize("fault", [None, dict(drop_after=True)], ids=["clean", "answer lost after the update began"])
def test_deploy_with_the_oldest_client(estate, oldest_client, fault):
    if fault:
        estate.design.faults.add(path_contains="/SHOP-on-prod/actions/update", method="POST", **fault)
    out = run_plugin_step(estate.design, "deploy-bundle", PROJECT, {"deployment_id": "SHOP-on-prod", "bundle_id": "v2"},
                          presets=estate.presets(), extra_env=oldest_client)
    estate.design.deployer.settle()
    prod = estate.design.deployer.deployment("SHOP-on-prod")
    assert out.ok, out.log
    assert prod.started_updates == ["v2"] and prod.bundle_id == prod.settings_bundle_id == "v2"


def test_the_gate_with_the_oldest_client(estate, oldest_client):
    run_tests_on(estate.qa, ["test_1", "test_2"])
    out = run_plugin_step(estate.design, "assert-test-status", PROJECT,
                          {"deployment_id": "SHOP-on-qa", "automation_nodes": [preset_ref("qa")]},
                          presets=estate.presets(), extra_env=oldest_client)
    assert out.ok, out.log
    assert out.variables["gate_verdict"] == "PASS"


def test_running_tests_through_the_deployer_says_what_it_needs(estate, oldest_client):
    out = run_plugin_step(estate.design, "run-test-scenarios", PROJECT,
                          {"target": "deployment", "deployment_id": "SHOP-on-qa", "node_access": "deployer"},
                          presets=estate.presets(), extra_env=oldest_client)
    assert not out.ok
    message = out.log.splitlines()[-1]
    assert "through the Deployer of deployment SHOP-on-qa" in message and "needs DSS 14.1 or later" in message
    assert "preset" in message
