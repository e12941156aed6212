"""The "Deploy bundle" step: gated promotion of a bundle to a deployment, with a deadline, health and rollback."""

import logging
from dataclasses import dataclass
from typing import Optional, Tuple

from ..dss.deployments import published_bundles, read_deployment, running_bundle
from ..errors import PluginError
from ..gate.signoff import SignoffSpec
from ..gate.verdict import GatePolicy
from ..release.promotion import (
    UNCHANGED,
    GateSpec,
    Promotion,
    PromotionOptions,
    SignoffCheck,
    promote,
    raise_unless_ok,
)
from ..release.update import UpdateOptions
from ..release.windows import DeploymentWindows, WindowPolicy
from ..settings import ConfigReader, Field, NodeSettings, read_variable_prefix
from .fields import (
    F_ROLLBACK,
    F_VERDICT_FOLDER,
    MAX_SECONDS,
    DeploymentRef,
    connect_deployer,
    read_deployment_ref,
    read_gate_policy,
    read_node_presets,
    read_update_options,
)
from .govern_options import read_govern_preset, read_signoff_spec, signoff_check

log = logging.getLogger(__name__)

SOURCE_EXPLICIT = "explicit"
SOURCE_DEPLOYMENT = "from_deployment"
SOURCE_LATEST = "latest"

F_DEPLOYMENT = Field("deployment_id", "Deployment to update")
F_DEPLOYMENT_TEXT = Field("deployment_id_text", "Deployment id (text or variable)")
F_BUNDLE_SOURCE = Field("bundle_source", "Bundle to deploy")
F_BUNDLE_ID = Field("bundle_id", "Bundle id")
F_SOURCE_DEPLOYMENT = Field("source_deployment_id", "Deployment whose bundle to deploy")
F_GATE_DEPLOYMENT = Field("gate_deployment_id", "Require clean tests on deployment")
F_GATE_DEPLOYMENT_TEXT = Field("gate_deployment_id_text", "Gate deployment id (text or variable)")
F_GATE_NODES = Field("gate_automation_nodes", "Gate Automation node presets")
F_FORCE = Field("force_update", "Update even if already deployed")
F_VARIABLE_PREFIX = Field("variable_prefix", "Scenario variables prefix")
F_WINDOW_DAYS = Field("window_days", "Allowed days")
F_WINDOW_HOURS = Field("window_hours", "Allowed hours")
F_WINDOW_ZONE = Field("window_timezone", "Time zone of the windows")
F_FREEZES = Field("freeze_periods", "Freeze periods")
F_WINDOW_WAIT = Field("window_wait_s", "Wait for the next window up to (s)")
F_REQUIRE_SIGNOFF = Field("require_signoff", "Require Govern sign-off")


def read_window_policy(reader: ConfigReader) -> Optional[WindowPolicy]:
    """The deployment windows, or None when the step may deploy at any time."""
    windows = DeploymentWindows.parse(
        reader.strings(F_WINDOW_DAYS), reader.text(F_WINDOW_HOURS), reader.text(F_WINDOW_ZONE),
        reader.strings(F_FREEZES), (F_WINDOW_DAYS.label, F_WINDOW_HOURS.label, F_WINDOW_ZONE.label, F_FREEZES.label))
    wait = float(reader.integer(F_WINDOW_WAIT, default=0, minimum=0, maximum=MAX_SECONDS))
    return WindowPolicy(windows, wait) if windows.restricted else None


@dataclass(frozen=True)
class DeploySettings:
    target: DeploymentRef
    bundle_source: str
    bundle_id: Optional[str]
    source_deployment_id: Optional[str]
    gate_deployment_id: Optional[str]
    gate_nodes: Tuple[NodeSettings, ...]
    gate_policy: GatePolicy
    update: UpdateOptions
    force: bool
    rollback: bool
    variable_prefix: str
    report_folder: Optional[str] = None
    windows: Optional[WindowPolicy] = None
    govern: Optional[NodeSettings] = None    # set when the Govern sign-off is required
    signoff: Optional[SignoffSpec] = None

    @classmethod
    def read(cls, reader: ConfigReader, redactor=None) -> "DeploySettings":
        source = reader.choice(F_BUNDLE_SOURCE, [SOURCE_EXPLICIT, SOURCE_DEPLOYMENT, SOURCE_LATEST], SOURCE_EXPLICIT)
        gate = reader.identifier(F_GATE_DEPLOYMENT_TEXT, required=False) or reader.identifier(
            F_GATE_DEPLOYMENT, required=False)
        signoff = reader.boolean(F_REQUIRE_SIGNOFF, default=False)
        return cls(
            target=read_deployment_ref(reader, F_DEPLOYMENT, F_DEPLOYMENT_TEXT, redactor),
            bundle_source=source,
            bundle_id=reader.identifier(F_BUNDLE_ID) if source == SOURCE_EXPLICIT else None,
            source_deployment_id=reader.identifier(F_SOURCE_DEPLOYMENT) if source == SOURCE_DEPLOYMENT else None,
            gate_deployment_id=gate,
            gate_nodes=read_node_presets(reader, F_GATE_NODES, redactor),
            gate_policy=read_gate_policy(reader),
            update=read_update_options(reader),
            force=reader.boolean(F_FORCE, default=False),
            rollback=reader.boolean(F_ROLLBACK, default=True),
            variable_prefix=read_variable_prefix(reader, F_VARIABLE_PREFIX, "deploy"),
            report_folder=reader.identifier(F_VERDICT_FOLDER, required=False),
            windows=read_window_policy(reader),
            govern=(read_govern_preset(reader, redactor, "when '%s' is ticked" % F_REQUIRE_SIGNOFF.label)
                    if signoff else None),
            signoff=read_signoff_spec(reader) if signoff else None,
        )

    def promotion_options(self, signoff: Optional[SignoffCheck] = None) -> PromotionOptions:
        gate = (GateSpec(self.gate_deployment_id, self.gate_policy, self.gate_nodes)
                if self.gate_deployment_id else None)
        return PromotionOptions(gate=gate, update=self.update, force=self.force, rollback=self.rollback,
                                windows=self.windows, signoff=signoff)


def resolve_bundle(settings: DeploySettings, deployer, info, where: str) -> str:
    """The bundle to deploy; refused before anything changes when it is not published for the project."""
    available = published_bundles(deployer, info.published_project_key, where)
    if settings.bundle_source == SOURCE_LATEST:
        if not available:
            raise PluginError("No bundle is published for project %s on %s: publish one first (Create bundle step "
                              "with 'Publish on Deployer')." % (info.published_project_key, where))
        return available[-1]
    if settings.bundle_source == SOURCE_DEPLOYMENT:
        bundle_id = running_bundle(read_deployment(deployer, settings.source_deployment_id, where))
    else:
        bundle_id = settings.bundle_id
    if bundle_id not in available:
        raise PluginError("Bundle %s is not published for project %s on %s, so it cannot be deployed to %s. "
                          "Published bundles: %s." % (bundle_id, info.published_project_key, where, info.subject,
                                                      ", ".join(available) or "none"))
    return bundle_id


def deploy_bundle(context):
    """Entry point of python-steps/deploy-bundle."""
    settings = DeploySettings.read(context.reader, context.redactor)
    if settings.report_folder:
        context.check_folder(F_VERDICT_FOLDER, settings.report_folder)
    deployer, where = connect_deployer(context, settings.target)
    info = read_deployment(deployer, settings.target.deployment_id, where)
    bundle_id = resolve_bundle(settings, deployer, info, where)
    record = Promotion.start(info, bundle_id)
    try:
        signoff = signoff_check(context, settings.govern, settings.signoff) if settings.signoff else None
        promote(deployer, info, record, settings.promotion_options(signoff), where, context.node_client,
                context.stop)
    finally:
        # Even when a DSS error interrupts the promotion: the record and later steps see how far it got.
        if settings.report_folder and record.verdict is not None:
            _save_record(context, settings.report_folder, record)
        context.set_variables(record.variables(settings.variable_prefix))
    if record.outcome == UNCHANGED:
        log.info("Tick '%s' to update anyway.", F_FORCE.label)
    raise_unless_ok(record)


def _save_record(context, folder_id: str, record: Promotion):
    """The gate's verdict with what the promotion did: the record a change board keeps. A folder that cannot take
    it is a warning; the promotion's outcome stands."""
    # Imported here: the report code and Jinja2 cost a step that writes no report about 30 ms of start-up.
    from ..reports.verdicts import deciding_run, save_verdict
    promotion = {"deployment": record.deployment_id, "bundle": record.bundle_id,
                 "previous_bundle": record.previous_bundle, "outcome": record.outcome or "interrupted",
                 "health": record.health, "rolled_back": record.rolled_back, "message": record.message,
                 "govern_signoff": record.signoff.message() if record.signoff is not None else None}
    try:
        paths = save_verdict(context.open_folder(folder_id), record.verdict, deciding_run(context.variables), promotion)
    except Exception as error:  # noqa: BLE001 - whatever the folder does, the promotion's outcome stands
        log.warning("The promotion's record was not fully saved: %s", error)
        return
    log.info("Saved the gate's verdict and the promotion's outcome to %s in managed folder %s.", " and ".join(paths),
             folder_id)
