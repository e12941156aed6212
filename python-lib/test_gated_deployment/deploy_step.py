"""The "Deploy bundle" step: gated promotion of a bundle to a deployment, with a deadline, health and rollback."""

import logging
from dataclasses import dataclass
from typing import Optional, Tuple

from .assert_step import read_policy
from .deploy import UpdateOptions, is_in_place, update_to
from .deployment_settings import DeploymentRef, connect_deployer, read_deployment_ref, read_node_presets
from .deployments import published_bundles, read_deployment
from .errors import PluginError
from .gate import GatePolicy
from .gatekeeper import check_deployment_gate, log_verdict
from .nodes import connect_deployment_nodes
from .settings import ConfigReader, Field, NodeSettings, read_variable_prefix

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
F_TIMEOUT = Field("update_timeout_s", "Update deadline (s)")
F_IF_UPDATING = Field("if_update_running", "If an update is already running")
F_FORCE = Field("force_update", "Update even if already deployed")
F_REACHABLE = Field("reachable_window_s", "Wait for restarting nodes (s)")
F_ROLLBACK = Field("rollback", "Roll back on failure")
F_VARIABLE_PREFIX = Field("variable_prefix", "Scenario variables prefix")


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

    @classmethod
    def read(cls, reader: ConfigReader, redactor=None) -> "DeploySettings":
        source = reader.choice(F_BUNDLE_SOURCE, [SOURCE_EXPLICIT, SOURCE_DEPLOYMENT, SOURCE_LATEST], SOURCE_EXPLICIT)
        gate = reader.identifier(F_GATE_DEPLOYMENT_TEXT, required=False) or reader.identifier(
            F_GATE_DEPLOYMENT, required=False)
        return cls(
            target=read_deployment_ref(reader, F_DEPLOYMENT, F_DEPLOYMENT_TEXT, redactor),
            bundle_source=source,
            bundle_id=reader.identifier(F_BUNDLE_ID) if source == SOURCE_EXPLICIT else None,
            source_deployment_id=reader.identifier(F_SOURCE_DEPLOYMENT) if source == SOURCE_DEPLOYMENT else None,
            gate_deployment_id=gate,
            gate_nodes=read_node_presets(reader, F_GATE_NODES, redactor),
            gate_policy=read_policy(reader),
            update=UpdateOptions(
                timeout=float(reader.integer(F_TIMEOUT, default=1800, minimum=1, maximum=7 * 24 * 3600)),
                wait_if_running=reader.choice(F_IF_UPDATING, ["wait", "fail"], "wait") == "wait",
                reachable_window=float(reader.integer(F_REACHABLE, default=0, minimum=0, maximum=3600)),
            ),
            force=reader.boolean(F_FORCE, default=False),
            rollback=reader.boolean(F_ROLLBACK, default=True),
            variable_prefix=read_variable_prefix(reader, F_VARIABLE_PREFIX, "deploy"),
        )


def resolve_bundle(settings: DeploySettings, deployer, info, where: str) -> str:
    """The bundle to deploy; refused before anything changes when it is not published for the project."""
    available = published_bundles(deployer, info.published_project_key, where)
    if settings.bundle_source == SOURCE_LATEST:
        if not available:
            raise PluginError("No bundle is published for project %s on %s: publish one first (Create bundle step "
                              "with 'Publish on Deployer')." % (info.published_project_key, where))
        return available[-1]
    if settings.bundle_source == SOURCE_DEPLOYMENT:
        bundle_id = read_deployment(deployer, settings.source_deployment_id, where).bundle_id
    else:
        bundle_id = settings.bundle_id
    if bundle_id not in available:
        raise PluginError("Bundle %s is not published for project %s on %s, so it cannot be deployed to %s. "
                          "Published bundles: %s." % (bundle_id, info.published_project_key, where, info.subject,
                                                      ", ".join(available) or "none"))
    return bundle_id


def deploy_step(context):
    """Entry point of python-steps/deploy-bundle."""
    settings = DeploySettings.read(context.reader, context.redactor)
    deployer, where = connect_deployer(context, settings.target)
    info = read_deployment(deployer, settings.target.deployment_id, where)
    bundle_id = resolve_bundle(settings, deployer, info, where)
    previous = info.bundle_id
    values = {"previous_bundle": previous, "bundle": bundle_id, "deployment": info.deployment_id,
              "gate_verdict": "", "health": "", "rolled_back": False, "outcome": ""}
    prefix = settings.variable_prefix
    try:
        if settings.gate_deployment_id:
            values["gate_verdict"] = _gate(context, settings, deployer, where, bundle_id, info)
        in_place = None if settings.force else is_in_place(deployer, info, bundle_id, where)
        if in_place:
            log.info("%s already runs bundle %s and is %s: nothing to do (tick '%s' to update anyway).",
                     info.subject, bundle_id, in_place, F_FORCE.label)
            values.update(health=in_place, outcome="unchanged")
            return values
        outcome = update_to(deployer, info, bundle_id, settings.update, where)
        values["health"] = outcome.health
        if outcome.ok:
            log.info(outcome.story)
            values["outcome"] = "updated"
            return values
        values["outcome"] = "failed"
        if not settings.rollback or previous == bundle_id:
            raise PluginError(outcome.story + (" Rollback is off: fix the deployment by hand." if not
                                               settings.rollback else " There is no other bundle to roll back to."))
        log.warning("%s Rolling back %s to bundle %s.", outcome.story, info.subject, previous)
        back = update_to(deployer, info, previous, settings.update, where)
        values.update(rolled_back=True, health=back.health, outcome="rolled_back")
        raise PluginError("%s It was rolled back to bundle %s: %s" % (
            outcome.story, previous, back.story if back.ok else "the rollback failed too. " + back.story +
            " Fix the deployment by hand."))
    finally:
        context.set_variables({"%s_%s" % (prefix, k): v for k, v in values.items()})


def _gate(context, settings: DeploySettings, deployer, where: str, bundle_id: str, target_info) -> str:
    gate_info = read_deployment(deployer, settings.gate_deployment_id, where)
    node_clients = None
    if settings.gate_nodes:
        connected = connect_deployment_nodes(gate_info, list(settings.gate_nodes), context.node_client)
        node_clients = {c.node.node_id: c.client for c in connected}
    verdict = check_deployment_gate(deployer, gate_info, bundle_id, settings.gate_policy,
                                    node_clients=node_clients, where=where)
    log_verdict(verdict, settings.gate_policy)
    if verdict.blocks(settings.gate_policy):
        raise PluginError("Refused to deploy bundle %s to %s, which was left unchanged: %s" % (
            bundle_id, target_info.subject, verdict.message()))
    return verdict.status
