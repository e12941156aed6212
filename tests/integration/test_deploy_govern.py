"""The Deployer's own Govern check, read by "Deploy bundle" before it changes anything, through the real client."""

import pytest
from stepkit import run_plugin_step
from worlds import PROJECT, promotion_estate, run_tests_on

PROD = "SHOP-on-prod"
STATUS = "/deployments/%s/governance-status" % PROD


@pytest.fixture
def estate(sim):
    estate = promotion_estate(sim)
    run_tests_on(estate.qa, ["test_1", "test_2"])
    return estate


def govern(estate, policy, signoff=None):
    deployer = estate.design.deployer
    deployer.infra("prod-infra").govern_check_policy = policy
    if signoff:
        deployer.set_signoff(PROJECT, "v2", signoff)


def deploy(estate, **config):
    base = {"deployment_id": PROD, "bundle_id": "v2", "gate_deployment_id": "SHOP-on-qa"}
    base.update(config)
    return run_plugin_step(estate.design, "deploy-bundle", PROJECT, base, presets=estate.presets())


def production(estate):
    dep = estate.design.deployer.deployment(PROD)
    saves = estate.design.request_count(path_contains="/deployments/%s/settings" % PROD, method="PUT")
    return dep.settings_bundle_id, dep.bundle_id, dep.started_updates, saves


def test_prevent_refuses_an_unapproved_bundle_before_any_change(estate):
    govern(estate, "PREVENT", "WAITING_FOR_APPROVAL")
    out = deploy(estate)
    assert not out.ok
    message = out.log.strip().splitlines()[-1]
    assert "Refused to deploy bundle v2 to deployment SHOP-on-prod, which was left unchanged" in message
    assert "policy PREVENT on infrastructure prod-infra" in message
    assert "The sign-off of bundle v2 in Govern is WAITING_FOR_APPROVAL" in message
    assert "signed off in Govern" in message
    assert out.variables["deploy_outcome"] == "refused"
    assert production(estate) == ("v1", "v1", [], 0)
    # Refused before the gate: QA was not even asked.
    assert not estate.design.request_count(path_contains="SHOP-on-qa")


def test_prevent_lets_an_approved_bundle_through(estate):
    govern(estate, "PREVENT", "APPROVED")
    out = deploy(estate)
    assert out.ok, out.log
    assert estate.design.deployer.deployment(PROD).bundle_id == "v2"


def test_warn_refuses_unless_told_to_deploy_despite_the_warnings(estate):
    govern(estate, "WARN")
    refused = deploy(estate)
    assert not refused.ok
    message = refused.log.strip().splitlines()[-1]
    assert "(policy WARN on infrastructure prod-infra) warns: Bundle not approved" in message
    assert "tick 'Deploy despite Govern warnings'" in message
    assert production(estate) == ("v1", "v1", [], 0)
    out = deploy(estate, ignore_govern_warnings=True)
    assert out.ok, out.log
    assert "warns about bundle v2 on deployment SHOP-on-prod: Bundle not approved" in out.log
    assert "despite the Govern warnings" in out.log
    assert estate.design.deployer.deployment(PROD).bundle_id == "v2"


def test_without_a_policy_the_check_is_not_asked(estate):
    out = deploy(estate)
    assert out.ok, out.log
    assert estate.design.request_count(path_contains=STATUS) == 0


def test_putting_the_settings_back_is_not_stopped_by_a_govern_warning(estate):
    # Under WARN the earlier bundle is no more approved than the new one: putting it back after an aborted update
    # must not be refused for that.
    govern(estate, "WARN")
    estate.design.deployer.set_update_behaviour(PROD, duration=30.0)
    out = deploy(estate, ignore_govern_warnings=True, update_timeout_s=1, rollback=False)
    assert not out.ok
    assert "point at bundle v1 again" in out.log.strip().splitlines()[-1]
    dep = estate.design.deployer.deployment(PROD)
    assert (dep.settings_bundle_id, dep.bundle_id, dep.in_progress) == ("v1", "v1", False)
