"""Simulated DSS estates for the integration tests: a Design node with its Deployer, QA and Production."""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from dss_simulator import ScenarioSpec
from stepkit import ROOT
from test_gated_deployment.dss.scenario_steps import PLUGIN_ID

PROJECT = "SHOP"
PIPELINE = "pipeline"
# The key of the "govern" preset: a reviewer of the sign-offs for feedback group FEEDBACK_GROUP.
GOVERN_KEY = "govern-qa-bot-key-5e1f"
FEEDBACK_GROUP = "qa-evidence"
FILE_FIELD = "qa_reports"


@dataclass
class Estate:
    design: object
    qa_nodes: List[object]
    prod: Optional[object]
    govern: Optional[object] = None   # a Govern node (`with_govern`), with preset "govern"

    @property
    def qa(self):
        return self.qa_nodes[0]

    def presets(self) -> Dict[str, dict]:
        presets = {"deployer": {"url": self.design.url, "api_key": self.design.admin_key}}
        for node in self.qa_nodes + ([self.prod] if self.prod else []):
            presets[node.node_id] = {"url": node.url, "api_key": node.admin_key}
        if self.govern is not None:
            presets["govern"] = {"url": self.govern.url, "api_key": GOVERN_KEY}
        return presets


def report_folders(node, root: Path, *folder_ids: str) -> Path:
    """Managed folders of SHOP on `node`, their files kept under `root`/SHOP/<folder id>/; returns that SHOP dir."""
    node.folders_root = root
    for folder_id in folder_ids:
        node.project(PROJECT).add_folder(folder_id)
    return root / PROJECT


def preset_ref(name):
    return {"mode": "PRESET", "name": name}


def make_tests(count, duration=0.05, **overrides):
    specs = []
    for i in range(1, count + 1):
        sid = "test_%d" % i
        fields = {"name": "Test %d" % i, "marked_as_test": True, "duration": duration}
        fields.update(overrides.get(sid, {}))
        specs.append(ScenarioSpec(id=sid, **fields))
    return specs


def build_estate(sim, scenarios, qa_nodes=1, with_prod=True, bundle="v1", dss_version="14.2.0") -> Estate:
    """SHOP on the Design node (and Deployer) of `dss_version` with the given scenarios, exported as `bundle`,
    published and deployed to QA (deployment SHOP-on-qa) and, when asked, to Production (SHOP-on-prod)."""
    design = sim.add_design_node("design", dss_version=dss_version)
    project = design.add_project(PROJECT)
    project.add_scenario(ScenarioSpec(id=PIPELINE, name="Automate Deployment"))
    project.add_folder("reports")
    for spec in scenarios:
        project.add_scenario(spec)
    qas = [sim.add_automation_node("qa%d" % (i + 1) if qa_nodes > 1 else "qa") for i in range(qa_nodes)]
    design.deployer.add_infra("qa-infra", stage="QA", nodes=qas)
    design.export_bundle(PROJECT, bundle)
    design.deployer.publish_bundle(PROJECT, bundle)
    design.deployer.add_deployment("SHOP-on-qa", published_project_key=PROJECT, infra_id="qa-infra", bundle_id=bundle)
    prod = None
    if with_prod:
        prod = sim.add_automation_node("prod")
        design.deployer.add_infra("prod-infra", stage="Production", nodes=[prod])
        design.deployer.add_deployment("SHOP-on-prod", published_project_key=PROJECT, infra_id="prod-infra",
                                       bundle_id=bundle)
    estate = Estate(design=design, qa_nodes=qas, prod=prod)
    # The plugin is installed on the Design node, with a "DSS node" preset per node, as a DSS admin would set it up.
    design.install_plugin(ROOT, PLUGIN_ID)
    design.plugin_presets = estate.presets()
    return estate


def run_tests_on(node, scenario_ids, project_key=PROJECT, timeout=10.0):
    """Runs test scenarios directly on a simulated node and waits, on the simulator's state, for them to end."""
    for sid in scenario_ids:
        node.run_scenario(project_key, sid)
    deadline = time.monotonic() + timeout
    while any(r.running for sid in scenario_ids for r in node.runs(project_key, sid)):
        if time.monotonic() > deadline:
            raise AssertionError("test runs did not end within %.0fs" % timeout)
        time.sleep(0.01)


def update_deployment(design, deployment_id, bundle_id, timeout=10.0):
    """Points a deployment at a bundle and waits for the simulated update to end."""
    design.deployer.update(deployment_id, bundle_id=bundle_id)
    deadline = time.monotonic() + timeout
    while design.deployer.deployment(deployment_id).in_progress:
        if time.monotonic() > deadline:
            raise AssertionError("update of %s did not end within %.0fs" % (deployment_id, timeout))
        time.sleep(0.01)


def promotion_estate(sim) -> Estate:
    """v1 everywhere; v2 published and deployed to QA, ready to be promoted."""
    estate = build_estate(sim, make_tests(2, duration=0.02))
    estate.design.export_bundle(PROJECT, "v2")
    estate.design.deployer.publish_bundle(PROJECT, "v2")
    update_deployment(estate.design, "SHOP-on-qa", "v2")
    return estate


def with_govern(sim, estate: Estate, bundles=("v1", "v2"), approved=()) -> Estate:
    """A Govern node for `estate`: SHOP governed (its Govern bundles with a File field), `bundles` synced, those in
    `approved` signed off, and the key of preset "govern" a reviewer for feedback group FEEDBACK_GROUP."""
    gov = sim.add_govern_node("govern")
    gov.add_api_key(GOVERN_KEY, user="qa-bot")
    gov.govern.add_feedback_group(FEEDBACK_GROUP, keys=[GOVERN_KEY])
    gov.govern.govern_project(estate.design.node_id, PROJECT, file_field=FILE_FIELD)
    for bundle in bundles:
        gov.govern.add_bundle(estate.design.node_id, PROJECT, bundle)
    for bundle in approved:
        gov.govern.bundle(PROJECT, bundle).signoff("review").approve(user="release-manager")
    estate.govern = gov
    estate.design.plugin_presets = estate.presets()
    return estate
