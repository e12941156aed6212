"""The "Automate Deployment" pipeline as the five steps of a step-based scenario, built from UI steps only.

Create bundle -> Deploy bundle to QA -> Run test scenarios on QA -> Assert QA tests clean -> Deploy bundle to
Production (gated on QA for the same bundle, so it refuses even if the assert step is removed).
Pure: nothing here calls DSS.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ..dss.scenario_steps import (
    ASSERT_STEP,
    DEPLOY_STEP,
    RUN_TESTS_STEP,
    create_bundle_step,
    plugin_step,
    preset_reference,
)

# The scenario variable the Create bundle step sets and the later steps read.
BUNDLE_VARIABLE = "bundle_id"

@dataclass(frozen=True)
class Pipeline:
    """What the pipeline's steps are set to; deployment ids and the bundle pattern may hold `${variables}`."""

    qa_deployment: str
    prod_deployment: str
    bundle_pattern: str
    qa_node_presets: Tuple[str, ...]
    deployer_preset: Optional[str]
    parallelism: int
    scenario_timeout: int
    retries: int
    rollback: bool
    report_folder: Optional[str]

    def steps(self, published_project_key: Optional[str] = None) -> List[Dict[str, Any]]:
        """The five steps, in order. Presets are stored as references by name: no key goes into the scenario."""
        deployer = {"deployer": preset_reference(self.deployer_preset)} if self.deployer_preset else {}
        nodes = [preset_reference(name) for name in self.qa_node_presets]
        bundle = "${%s}" % BUNDLE_VARIABLE
        reports = {"report_folder": self.report_folder} if self.report_folder else {}
        qa, prod = self.qa_deployment, self.prod_deployment
        return [
            create_bundle_step("create_bundle", "Create bundle", self.bundle_pattern, BUNDLE_VARIABLE,
                               published_project_key),
            plugin_step("deploy_qa", "Deploy bundle to QA", DEPLOY_STEP, dict(
                deployer, deployment_id_text=qa, bundle_source="explicit", bundle_id=bundle,
                rollback=self.rollback, variable_prefix="deploy_qa")),
            plugin_step("run_tests_qa", "Run test scenarios on QA", RUN_TESTS_STEP, dict(
                deployer, **reports, target="deployment", deployment_id_text=qa,
                # Without node presets the Deployer runs the tests (DSS 14.1+), with counts only.
                node_access="presets" if nodes else "deployer", automation_nodes=nodes,
                parallelism=self.parallelism, scenario_timeout_s=self.scenario_timeout,
                retries=self.retries, fail_fast=False, if_running="wait", variable_prefix="tests_qa",
                # As the tutorial's QA hook: failing tests are recorded, and the gate below stops the bundle.
                on_test_failure="continue")),
            plugin_step("assert_qa_clean", "Assert QA tests clean", ASSERT_STEP, dict(
                deployer, **reports, source="deployment", deployment_id_text=qa, bundle_mode="explicit",
                bundle_id=bundle, automation_nodes=nodes, variable_prefix="gate_qa")),
            plugin_step("deploy_prod", "Deploy bundle to Production", DEPLOY_STEP, dict(
                deployer, deployment_id_text=prod, bundle_source="explicit", bundle_id=bundle,
                gate_deployment_id_text=qa, gate_automation_nodes=nodes, rollback=self.rollback,
                variable_prefix="deploy_prod")),
        ]
