"""The "Assert test status clean" step: a gate that passes only on evidence."""

import logging
from dataclasses import dataclass
from typing import Optional, Tuple

from ..dss.deployments import read_deployment, running_bundle
from ..dss.nodes import connect_deployment_nodes
from ..errors import PluginError, SettingsError
from ..gate.check import Recheck, check_deployment_gate, check_project_gate, log_verdict
from ..gate.signoff import FeedbackSpec, SignoffSpec
from ..gate.verdict import FAIL, INCONCLUSIVE, GatePolicy, Verdict
from ..settings import ConfigReader, Field, NodeSettings, read_variable_prefix
from .fields import (
    F_VERDICT_FOLDER,
    MAX_SECONDS,
    DeploymentRef,
    connect_deployer,
    read_deployment_ref,
    read_gate_policy,
    read_node_presets,
)
from .govern_options import F_POST_FEEDBACK, post_verdict, read_feedback_spec, read_govern_preset, read_signoff_spec

log = logging.getLogger(__name__)

SOURCE_DEPLOYMENT = "deployment"
SOURCE_PROJECT = "project"
BUNDLE_DEPLOYED = "deployed"
BUNDLE_EXPLICIT = "explicit"
BUNDLE_FROM_DEPLOYMENT = "from_deployment"

F_SOURCE = Field("source", "Check the test status of")
F_DEPLOYMENT = Field("deployment_id", "Deployment")
F_DEPLOYMENT_TEXT = Field("deployment_id_text", "Deployment id (text or variable)")
F_PROJECT_KEY = Field("project_key", "Project key")
F_BUNDLE_MODE = Field("bundle_mode", "Bundle")
F_BUNDLE_ID = Field("bundle_id", "Bundle id")
F_BUNDLE_DEPLOYMENT = Field("bundle_deployment_id", "Deployment whose bundle to check")
F_AUTOMATION_NODES = Field("automation_nodes", "Automation node presets")
F_RECHECK_UNTIL = Field("recheck_until_s", "Re-check an inconclusive verdict for (s)")
F_RECHECK_INTERVAL = Field("recheck_interval_s", "Re-check interval (s)")
F_VARIABLE_PREFIX = Field("variable_prefix", "Scenario variables prefix")



def read_recheck(reader: ConfigReader) -> Recheck:
    return Recheck(
        until=float(reader.integer(F_RECHECK_UNTIL, default=0, minimum=0, maximum=MAX_SECONDS)),
        interval=float(reader.integer(F_RECHECK_INTERVAL, default=30, minimum=1, maximum=3600)),
    )


@dataclass(frozen=True)
class AssertSettings:
    source: str
    deployment: Optional[DeploymentRef]
    project_key: Optional[str]
    bundle_mode: str
    bundle_id: Optional[str]
    bundle_deployment_id: Optional[str]
    automation_nodes: Tuple[NodeSettings, ...]
    policy: GatePolicy
    recheck: Recheck
    variable_prefix: str
    report_folder: Optional[str]
    feedback: Optional[FeedbackSpec] = None   # post the verdict to the bundle's Govern sign-off
    govern: Optional[NodeSettings] = None
    signoff: SignoffSpec = SignoffSpec()

    @classmethod
    def read(cls, reader: ConfigReader, redactor=None) -> "AssertSettings":
        source = reader.choice(F_SOURCE, [SOURCE_DEPLOYMENT, SOURCE_PROJECT], SOURCE_DEPLOYMENT)
        deployment = (read_deployment_ref(reader, F_DEPLOYMENT, F_DEPLOYMENT_TEXT, redactor)
                      if source == SOURCE_DEPLOYMENT else None)
        bundle_mode = reader.choice(F_BUNDLE_MODE, [BUNDLE_DEPLOYED, BUNDLE_EXPLICIT, BUNDLE_FROM_DEPLOYMENT],
                                    BUNDLE_DEPLOYED)
        signoff = read_signoff_spec(reader)
        feedback = read_feedback_spec(reader, signoff)
        if feedback is not None and source == SOURCE_PROJECT and bundle_mode != BUNDLE_EXPLICIT:
            raise SettingsError("Setting %s needs a bundle: with a project as the source, set %s to a bundle id."
                                % (F_POST_FEEDBACK.describe(), F_BUNDLE_MODE.describe()))
        return cls(
            source=source,
            deployment=deployment,
            project_key=reader.identifier(F_PROJECT_KEY, required=False) if source == SOURCE_PROJECT else None,
            bundle_mode=bundle_mode,
            bundle_id=reader.identifier(F_BUNDLE_ID) if bundle_mode == BUNDLE_EXPLICIT else None,
            bundle_deployment_id=(reader.identifier(F_BUNDLE_DEPLOYMENT)
                                  if bundle_mode == BUNDLE_FROM_DEPLOYMENT else None),
            automation_nodes=read_node_presets(reader, F_AUTOMATION_NODES, redactor),
            policy=read_gate_policy(reader),
            recheck=read_recheck(reader),
            variable_prefix=read_variable_prefix(reader, F_VARIABLE_PREFIX, "gate"),
            report_folder=reader.identifier(F_VERDICT_FOLDER, required=False),
            feedback=feedback,
            govern=(read_govern_preset(reader, redactor, "when '%s' is ticked" % F_POST_FEEDBACK.label)
                    if feedback else None),
            signoff=signoff,
        )


def assert_test_status(context) -> Verdict:
    """Entry point of python-steps/assert-test-status."""
    settings = AssertSettings.read(context.reader, context.redactor)
    if settings.report_folder:
        context.check_folder(F_VERDICT_FOLDER, settings.report_folder)
    if settings.source == SOURCE_DEPLOYMENT:
        verdict, project_key = _deployment_verdict(context, settings)
    else:
        verdict, project_key = _project_verdict(context, settings)
    log_verdict(verdict, settings.policy)
    # The verdict reaches the log and the folder first: a variable that cannot be set then loses nothing.
    if settings.report_folder:
        _save_verdict(context, settings.report_folder, verdict)
    context.set_variables(verdict.variables(settings.variable_prefix))
    problem = _post(context, settings, verdict, project_key) if settings.feedback is not None else None
    enforce(verdict, settings.policy)
    if problem:
        raise PluginError(problem)
    return verdict


def _post(context, settings: AssertSettings, verdict: Verdict, project_key: str) -> Optional[str]:
    """Posts the verdict to the bundle's Govern sign-off; what went wrong, if anything (the verdict stands)."""
    try:
        published = post_verdict(context, settings.govern, settings.feedback, settings.signoff, verdict, project_key)
    except PluginError as error:
        log.error("The test verdict was not posted to Govern: %s", error)
        return ("The test gate's verdict is %s (in the scenario variables), but it was not posted to Govern, where "
                "the bundle's reviewers expect it: %s" % (verdict.status, error))
    context.set_variables({"%s_govern_feedback" % settings.variable_prefix: published.status,
                           "%s_govern_bundle" % settings.variable_prefix: published.govern_bundle})
    if not published.unattached:
        return None
    log.error("The verdict's record was not attached in Govern: %s", published.unattached)
    return ("The test gate's verdict is %s, posted to Govern as feedback %s on the sign-off of Govern bundle %s, but "
            "its record was not attached: %s" % (verdict.status, published.status, published.govern_bundle,
                                                 published.unattached))


def _save_verdict(context, folder_id: str, verdict: Verdict):
    """Saves the verdict's record; a folder that cannot take it is a warning, not a reason to lose the verdict."""
    # Imported here: the report code and Jinja2 cost a step that writes no report about 30 ms of start-up.
    from ..reports.verdicts import deciding_run, save_verdict
    try:
        paths = save_verdict(context.open_folder(folder_id), verdict, deciding_run(context.variables))
    except Exception as error:  # noqa: BLE001 - whatever the folder does, the verdict must still be enforced
        log.warning("The verdict stands, but its record was not fully saved: %s", error)
        return
    log.info("Saved the verdict to %s in managed folder %s.", " and ".join(paths), folder_id)


def enforce(verdict: Verdict, policy: GatePolicy):
    """Fails on FAIL, and on INCONCLUSIVE unless it is allowed, with the reasons and the next action."""
    if verdict.status == FAIL:
        raise PluginError(verdict.message() + " Fix the failing tests, build a new bundle and test it again.")
    if verdict.status == INCONCLUSIVE and not policy.allow_inconclusive:
        raise PluginError(verdict.message() + " The gate needs evidence: run the test scenarios for this bundle "
                          "(for example with the 'Run test scenarios' step), or tick 'Allow inconclusive' to "
                          "waive it.")


def _deployment_verdict(context, settings: AssertSettings) -> Tuple[Verdict, str]:
    deployer, where = connect_deployer(context, settings.deployment)
    info = read_deployment(deployer, settings.deployment.deployment_id, where)
    bundle_id = _bundle_to_check(settings, info, deployer, where)
    connected = None
    if settings.automation_nodes:
        connected = {c.node.node_id: c for c in connect_deployment_nodes(info, list(settings.automation_nodes),
                                                                         context.node_client)}
    return check_deployment_gate(deployer, info, bundle_id, settings.policy, settings.recheck, connected, where,
                                 context.stop), info.published_project_key


def _bundle_to_check(settings: AssertSettings, info, deployer, where: str) -> str:
    if settings.bundle_mode == BUNDLE_EXPLICIT:
        return settings.bundle_id
    if settings.bundle_mode == BUNDLE_FROM_DEPLOYMENT:
        return running_bundle(read_deployment(deployer, settings.bundle_deployment_id, where))
    return running_bundle(info)


def _project_verdict(context, settings: AssertSettings) -> Tuple[Verdict, str]:
    if settings.bundle_mode == BUNDLE_FROM_DEPLOYMENT:
        raise SettingsError("Setting %s cannot be 'the bundle another deployment runs' when checking a project: "
                            "pick a deployment as the source, or give the bundle id." % F_BUNDLE_MODE.describe())
    project_key = settings.project_key or context.project_key
    return check_project_gate(context.local_client(), project_key, settings.bundle_id, settings.policy,
                              settings.recheck, stop=context.stop, url=context.variables.get("dssURL")), project_key
