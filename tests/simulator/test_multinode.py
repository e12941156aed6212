"""Multi-node infrastructures: one deployment, several automation nodes."""

from __future__ import annotations

import pytest
from dataikuapi.utils import DataikuException
from dss_simulator import ScenarioSpec

from .helpers import client, wait_for


@pytest.fixture
def nodes(sim):
    return sim.add_automation_node("qa1"), sim.add_automation_node("qa2")


@pytest.fixture
def dep(design, nodes):
    design.add_project("PK").add_scenario(ScenarioSpec(id="t1", marked_as_test=True, duration=0.02))
    design.deployer.add_infra("qa-multi", stage="QA", nodes=list(nodes))
    design.deployer.publish_bundle("PK", "v1")
    design.deployer.add_deployment("PK-on-qa", "PK", "qa-multi", "v1")
    return client(design).get_projectdeployer().get_deployment("PK-on-qa")


def test_every_node_gets_the_bundle(design, nodes, dep):
    assert [n.active_bundle("PK") for n in nodes] == ["v1", "v1"]
    heavy = dep.get_status().get_heavy()
    assert [n["nodeId"] for n in heavy["nodesStatus"]] == ["qa1", "qa2"]
    design.deployer.publish_bundle("PK", "v2")
    design.deployer.update("PK-on-qa", "v2")
    wait_for(lambda: all(n.active_bundle("PK") == "v2" for n in nodes))


def test_testing_status_needs_a_node_id(design, nodes, dep):
    with pytest.raises(DataikuException, match="automationNodeId is required.*qa1, qa2"):
        dep.get_testing_status()
    assert dep.get_testing_status(automation_node_id="qa2").nb_total_ran_scenarios == 0
    with pytest.raises(DataikuException, match="not part of"):
        dep.get_testing_status(automation_node_id="nope")


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_run_tests_on_one_node_or_all(design, nodes, dep):
    qa1, qa2 = nodes
    dep.run_test_scenarios(automation_node_id="qa1")
    wait_for(lambda: qa1.runs("PK", "t1") and qa1.runs("PK", "t1")[-1].outcome)
    assert qa2.runs("PK", "t1") == []
    assert dep.get_testing_status(automation_node_id="qa1").nb_scenarios_per_outcome == {"SUCCESS": 1}
    status = dep.run_test_scenarios()  # every node; the statuses at launch, added up
    assert status.nb_total_ran_scenarios == 1
    wait_for(lambda: qa2.runs("PK", "t1") and qa2.runs("PK", "t1")[-1].outcome)
    assert len(qa1.runs("PK", "t1")) == 2


def test_multi_node_infra_settings(design, nodes, dep):
    raw = client(design).get_projectdeployer().get_infra("qa-multi").get_settings().get_raw()
    assert raw["type"] == "MULTI_NODE"
    assert [(n["nodeId"], n["url"], n["adminApiKey"]) for n in raw["automationNodes"]] == [
        ("qa1", nodes[0].url, ""), ("qa2", nodes[1].url, "")]
