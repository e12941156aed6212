"""The deployment dropdown of the steps' forms (resource/choices.py), filled from the Deployer."""

import dataikuapi
from test_gated_deployment.components.choices import deployment_choices
from worlds import build_estate, make_tests


def test_lists_the_deployments_of_this_node_or_of_a_preset(sim):
    estate = build_estate(sim, make_tests(1))
    local = deployment_choices({}, lambda: dataikuapi.DSSClient(estate.design.url, estate.design.admin_key))
    assert [c["value"] for c in local] == ["SHOP-on-prod", "SHOP-on-qa"]
    assert "infrastructure qa-infra, bundle v1" in local[1]["label"]
    remote = deployment_choices({"deployer": {"url": estate.design.url, "api_key": estate.design.admin_key}},
                                lambda: None)
    assert remote == local


def test_a_deployer_that_refuses_says_so_in_the_list(sim):
    estate = build_estate(sim, make_tests(1))
    choices = deployment_choices({"deployer": {"url": estate.design.url, "api_key": "wrong-key"}}, lambda: None)
    assert choices[0]["value"] == "" and "Cannot list the deployments of the Deployer preset" in choices[0]["label"]
    assert "wrong-key" not in choices[0]["label"]
