"""Descriptor fields that several components share, and their readers.

A field here has the same name, label and meaning in every step.json / runnable.json that declares it, so a
component reads it with the same code as the others, without importing another component.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

from ..dss.transport import TransportPolicy
from ..errors import SettingsError
from ..gate.verdict import GatePolicy
from ..release.update import UpdateOptions
from ..settings import ConfigReader, Field, NodeSettings, read_node_preset

MAX_SECONDS = 7 * 24 * 3600

# -- connections ----------------------------------------------------------------------------------------------------
F_DEPLOYER = Field("deployer", "Deployer")
F_HTTP_TIMEOUT = Field("http_timeout_s", "DSS answer timeout (s)")
F_RETRY_BUDGET = Field("retry_budget_s", "Retry budget per call (s)")

# -- deployments ----------------------------------------------------------------------------------------------------
F_QA_DEPLOYMENT = Field("qa_deployment_id", "QA deployment")
F_PROD_DEPLOYMENT = Field("prod_deployment_id", "Production deployment")
F_QA_NODES = Field("qa_automation_nodes", "QA Automation node presets")

# -- the gate -------------------------------------------------------------------------------------------------------
F_MIN_RESULTS = Field("min_results", "Minimum number of results")
F_FAIL_ON_WARNING = Field("fail_on_warning", "Fail on WARNING")
F_MAX_AGE = Field("max_age_s", "Maximum age of the results (s)")
F_ALLOW_INCONCLUSIVE = Field("allow_inconclusive", "Allow inconclusive")
F_VERDICT_FOLDER = Field("report_folder", "Save the verdict to folder")

# -- updates --------------------------------------------------------------------------------------------------------
F_UPDATE_TIMEOUT = Field("update_timeout_s", "Update deadline (s)")
F_IF_UPDATING = Field("if_update_running", "If an update is already running")
F_REACHABLE = Field("reachable_window_s", "Wait for restarting nodes (s)")
F_ROLLBACK = Field("rollback", "Roll back on failure")
F_IGNORE_GOVERN_WARNINGS = Field("ignore_govern_warnings", "Deploy despite Govern warnings")


def read_transport_policy(reader: ConfigReader) -> TransportPolicy:
    """The transport policy set in a component's advanced settings (the same two fields on every component)."""
    return TransportPolicy(
        read_timeout=float(reader.integer(F_HTTP_TIMEOUT, default=60, minimum=1, maximum=3600)),
        budget=float(reader.integer(F_RETRY_BUDGET, default=60, minimum=0, maximum=3600)),
    )


@dataclass(frozen=True)
class DeploymentRef:
    deployer: Optional[NodeSettings]   # None: the Deployer of this node
    deployment_id: str


def read_deployment_ref(reader: ConfigReader, id_field: Field, text_field: Field, redactor=None,
                        required: bool = True) -> Optional[DeploymentRef]:
    """A deployment picked in a dropdown, or typed (variables allowed) in the text field, which wins."""
    deployment_id = reader.identifier(text_field, required=False) or reader.identifier(id_field, required=False)
    if not deployment_id:
        if not required:
            return None
        raise SettingsError("Setting %s is required: pick a deployment, or type its id (variables allowed) in %s."
                            % (id_field.describe(), text_field.describe()))
    deployer = read_node_preset(reader.raw(F_DEPLOYER), F_DEPLOYER)
    if deployer is not None and redactor is not None:
        redactor.add(deployer.api_key)
    return DeploymentRef(deployer=deployer, deployment_id=deployment_id)


def read_node_presets(reader: ConfigReader, field: Field, redactor=None) -> Tuple[NodeSettings, ...]:
    """A PRESETS parameter: a list of resolved `dss-node` presets."""
    presets = reader.raw(field) or []
    if isinstance(presets, dict):
        presets = [presets]
    if not isinstance(presets, list):
        raise SettingsError("Setting %s must be a list of DSS node presets." % field.describe())
    nodes = tuple(n for n in (read_node_preset(p, field) for p in presets) if n is not None)
    if redactor is not None:
        for node in nodes:
            redactor.add(node.api_key)
    return nodes


@dataclass(frozen=True)
class QaAndProduction:
    """The two deployments of a promotion, on one Deployer, with the presets of QA's Automation nodes."""

    deployer: Optional[NodeSettings]   # None: the Deployer of this node
    qa_deployment_id: str
    prod_deployment_id: str
    qa_nodes: Tuple[NodeSettings, ...]

    @classmethod
    def read(cls, context) -> "QaAndProduction":
        reader = context.reader
        qa = reader.identifier(F_QA_DEPLOYMENT)
        prod = reader.identifier(F_PROD_DEPLOYMENT)
        if qa == prod:
            raise SettingsError("Settings %s and %s are both %r: a bundle goes from QA to another deployment. Pick "
                                "the Production deployment."
                                % (F_QA_DEPLOYMENT.describe(), F_PROD_DEPLOYMENT.describe(), qa))
        return cls(deployer=context.node_preset(F_DEPLOYER), qa_deployment_id=qa, prod_deployment_id=prod,
                   qa_nodes=read_node_presets(reader, F_QA_NODES, context.redactor))


def connect_deployer(context, ref: DeploymentRef):
    """A client on the Deployer, and how to name it in messages."""
    if ref.deployer is not None:
        return context.node_client(ref.deployer), "the Deployer at %s" % ref.deployer.url
    return context.local_client(), "the Deployer of this node"


def read_gate_policy(reader: ConfigReader) -> GatePolicy:
    max_age = reader.integer(F_MAX_AGE, default=0, minimum=0, maximum=365 * 24 * 3600)
    return GatePolicy(
        min_results=reader.integer(F_MIN_RESULTS, default=1, minimum=1, maximum=100000),
        fail_on_warning=reader.boolean(F_FAIL_ON_WARNING, default=False),
        allow_inconclusive=reader.boolean(F_ALLOW_INCONCLUSIVE, default=False),
        max_age_s=float(max_age) if max_age else None,
    )


def read_update_options(reader: ConfigReader) -> UpdateOptions:
    """The update settings; a component without some of these fields gets their defaults."""
    return UpdateOptions(
        timeout=float(reader.integer(F_UPDATE_TIMEOUT, default=1800, minimum=1, maximum=MAX_SECONDS)),
        wait_if_running=reader.choice(F_IF_UPDATING, ["wait", "fail"], "wait") == "wait",
        reachable_window=float(reader.integer(F_REACHABLE, default=0, minimum=0, maximum=3600)),
        retry_budget=read_transport_policy(reader).budget,
        ignore_govern_warnings=reader.boolean(F_IGNORE_GOVERN_WARNINGS, default=False),
    )

