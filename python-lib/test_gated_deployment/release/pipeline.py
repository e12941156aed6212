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
class StepOutline:
    """One step as a person reads it: what it does, and with what."""

    name: str
    does: str
    settings: Tuple[Tuple[str, str], ...]


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
    # A `govern-node` preset: QA's verdict goes to the bundle's Govern sign-off (as feedback for `feedback_group`,
    # when given), and Production waits for that sign-off.
    govern_preset: Optional[str] = None
    feedback_group: Optional[str] = None
    signoff_wait: int = 0

    def steps(self, published_project_key: Optional[str] = None) -> List[Dict[str, Any]]:
        """The five steps, in order. Presets are stored as references by name: no key goes into the scenario."""
        deployer = {"deployer": preset_reference(self.deployer_preset)} if self.deployer_preset else {}
        nodes = [preset_reference(name) for name in self.qa_node_presets]
        bundle = "${%s}" % BUNDLE_VARIABLE
        reports = {"report_folder": self.report_folder} if self.report_folder else {}
        qa, prod = self.qa_deployment, self.prod_deployment
        govern = {"govern": preset_reference(self.govern_preset)} if self.govern_preset else {}
        feedback = dict(govern, post_feedback=True, feedback_group=self.feedback_group) \
            if govern and self.feedback_group else {}
        signoff = dict(govern, require_signoff=True, signoff_wait_s=self.signoff_wait,
                       signoff_interval_s=min(60, max(1, self.signoff_wait // 10 or 1))) if govern else {}
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
                deployer, **reports, **feedback, source="deployment", deployment_id_text=qa,
                bundle_mode="explicit", bundle_id=bundle, automation_nodes=nodes, variable_prefix="gate_qa")),
            plugin_step("deploy_prod", "Deploy bundle to Production", DEPLOY_STEP, dict(
                deployer, **reports, **signoff, deployment_id_text=prod, bundle_source="explicit",
                bundle_id=bundle, gate_deployment_id_text=qa, gate_automation_nodes=nodes, rollback=self.rollback,
                variable_prefix="deploy_prod")),
        ]

    def outline(self) -> List[StepOutline]:
        """The five steps of `steps()`, in the same order, in words."""
        deployer = ("Deployer", "preset '%s'" % self.deployer_preset if self.deployer_preset else "this node's")
        nodes = ", ".join("'%s'" % name for name in self.qa_node_presets)
        rollback = ("Roll back on failure", "yes" if self.rollback else "no")
        bundle = "${%s}" % BUNDLE_VARIABLE
        feedback_posted = bool(self.govern_preset and self.feedback_group)
        return [
            StepOutline("Create bundle", "Exports a bundle of this project, publishes it on the Deployer and keeps "
                        "its id in the scenario variable %s for the next steps." % bundle,
                        (("Bundle id", "%s (DSS adds a number when it is taken)" % self.bundle_pattern),)),
            StepOutline("Deploy bundle to QA", "Points the QA deployment at the new bundle, updates it and waits "
                        "until it is healthy.", (("Deployment", self.qa_deployment), deployer, ("Bundle", bundle),
                                                 rollback)),
            StepOutline("Run test scenarios on QA", "Runs the test scenarios of the deployed project on QA and "
                        "records their results. A failing test does not stop this step: the next one decides.",
                        (("Deployment", self.qa_deployment), deployer,
                         ("Automation nodes", "presets %s (per-scenario results)" % nodes if nodes else
                          "through the Deployer (DSS 14.1+, counts only)"),
                         ("Parallel runs", str(self.parallelism)),
                         ("Timeout per scenario", "%d s" % self.scenario_timeout),
                         ("Retries of a failed scenario", str(self.retries)),
                         ("Reports saved to folder", self.report_folder or "none"))),
            StepOutline("Assert QA tests clean", "The gate: fails unless the QA tests ran for exactly this bundle, "
                        "after its deployment, with none FAILED or ABORTED.",
                        (("Deployment", self.qa_deployment), deployer, ("Bundle", bundle),
                         ("Per-scenario evidence from", "presets %s" % nodes if nodes else "the Deployer's counts"),
                         ("Verdict saved to folder", self.report_folder or "none"),
                         ("Verdict posted to Govern", "as feedback of group '%s', through preset '%s'" % (
                             self.feedback_group, self.govern_preset) if feedback_posted else "no"))),
            StepOutline("Deploy bundle to Production", "Checks the same gate on QA again, then points the "
                        "Production deployment at the bundle and updates it.",
                        (("Deployment", self.prod_deployment), deployer, ("Bundle", bundle),
                         ("Gated on QA deployment", self.qa_deployment), rollback,
                         ("Govern sign-off required", "yes, waiting up to %d s while pending, through preset '%s'"
                          % (self.signoff_wait, self.govern_preset) if self.govern_preset else "no"),
                         ("Verdict and promotion saved to folder", self.report_folder or "none"))),
        ]
