"""Settings shared by the steps that work on Project Deployer deployments, and the connections they imply."""

from dataclasses import dataclass
from typing import Optional, Tuple

from .errors import SettingsError
from .settings import ConfigReader, Field, NodeSettings, read_node_preset

F_DEPLOYER = Field("deployer", "Deployer")


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


def connect_deployer(context, ref: DeploymentRef):
    """A client on the Deployer, and how to name it in messages."""
    if ref.deployer is not None:
        return context.node_client(ref.deployer), "the Deployer at %s" % ref.deployer.url
    return context.local_client(), "the Deployer of this node"
