"""Dynamic dropdown choices for the steps' forms (called from resource/choices.py)."""

import logging
from typing import Any, Dict, List

from ..dss.deployments import list_deployments
from ..dss.transport import TransportPolicy, adopt_policy, connect_node
from ..settings import read_node_preset
from .fields import F_DEPLOYER

log = logging.getLogger(__name__)

# A form must answer fast: fail quickly rather than retry for a minute.
FORM_POLICY = TransportPolicy(connect_timeout=5.0, read_timeout=15.0, budget=2.0)


def deployment_choices(config: Dict[str, Any], local_client_factory) -> List[Dict[str, str]]:
    """Every deployment the user can see on the chosen Deployer, labelled with its infrastructure and bundle."""
    try:
        node = read_node_preset(config.get(F_DEPLOYER.name), F_DEPLOYER)
        client = connect_node(node, FORM_POLICY) if node else adopt_policy(local_client_factory(), FORM_POLICY)
        deployments = list_deployments(client)
    except Exception as error:  # noqa: BLE001 - a form shows the problem instead of breaking
        where = "the Deployer preset" if config.get(F_DEPLOYER.name) else "this node's Deployer"
        return [{"value": "", "label": "Cannot list the deployments of %s (%s): check the Deployer setting, or type "
                                      "the deployment id in the text field." % (where, type(error).__name__)}]
    choices = [{"value": d.deployment_id, "label": "%s (infrastructure %s, bundle %s)" % (
        d.deployment_id, d.infra_id, d.bundle_id)} for d in deployments]
    return sorted(choices, key=lambda c: c["value"])
