"""Collecting the evidence the gate engine judges: testing status per Automation node for one bundle, and,
where a node connection exists, per-scenario results from DSS's last-test-runs JUnit report."""

import logging
import time
import xml.etree.ElementTree as ET  # noqa: S405 - only for its ParseError
from typing import Dict, List, Optional

from ..dss.answers import ClientError, DSSCallError, describe_call_error, dss_call
from ..dss.deployments import DeploymentInfo, last_update_end_ms, published_bundles
from ..dss.scenarios import read_scenarios
from ..dss.testing_status import deployment_testing_status, last_test_runs_report, project_testing_status
from ..dss.transport import DSSClient
from ..errors import PluginError
from .junit import parse_report
from .verdict import GateEvidence, NodeEvidence

log = logging.getLogger(__name__)

# How many other published bundles to look at when the gated bundle has no results, to say which one has.
OTHER_BUNDLES_TO_CHECK = 3


def node_details(client: DSSClient, project_key: str, bundle_id: Optional[str], evidence: NodeEvidence):
    """Adds per-scenario results and the list of test scenarios, read on the node itself."""
    try:
        evidence.cases = parse_report(last_test_runs_report(client, project_key, bundle_id))
    except DSSCallError as error:
        permanent = describe_call_error(error, "Reading the test report of project %s" % project_key, evidence.node)
        if error.is_permission_denied:
            # The preset was given to get this evidence: a key it refuses is a setting to fix, not a detail.
            raise PluginError(permanent) from error
        evidence.notes.append("No per-scenario report from %s (%s): failing scenarios cannot be named."
                              % (evidence.node, error.detail))
        return
    except (ClientError, ET.ParseError) as error:
        evidence.notes.append("No readable per-scenario report from %s (%s): failing scenarios cannot be named."
                              % (evidence.node, getattr(error, "detail", error)))
        return
    items = read_scenarios(client, project_key, evidence.node)
    evidence.expected_tests = sorted(i.id for i in items if i.marked_as_test and i.active)


def gather_for_deployment(deployer: DSSClient, info: DeploymentInfo, bundle_id: str,
                          node_clients: Optional[Dict[Optional[str], DSSClient]] = None,
                          where: str = "the Deployer") -> GateEvidence:
    nodes: List[NodeEvidence] = []
    others: Optional[List[str]] = None
    for node in info.nodes:
        label = node.label(info.infra_id)
        what = "Reading the testing status of %s for bundle %s on %s" % (info.subject, bundle_id, label)
        counts = dss_call(what, where, deployment_testing_status, deployer, info.deployment_id, bundle_id,
                          node.node_id)
        evidence = NodeEvidence(node=label, total=counts.total, per_outcome=counts.per_outcome)
        if evidence.total == 0:
            if others is None:
                others = _other_bundles(deployer, info, bundle_id, where)
            evidence.other_bundle_with_results = next(
                (b for b in others if dss_call(what, where, deployment_testing_status, deployer, info.deployment_id,
                                               b, node.node_id).total), None)
        client = (node_clients or {}).get(node.node_id)
        if client is not None:
            node_details(client, info.deployed_project_key, bundle_id, evidence)
        nodes.append(evidence)
    return GateEvidence(subject=info.subject, bundle_id=bundle_id, nodes=nodes,
                        last_update_ms=last_update_end_ms(deployer, info.deployment_id),
                        now_ms=int(time.time() * 1000))


def _other_bundles(deployer, info: DeploymentInfo, bundle_id: str, where: str) -> List[str]:
    candidates = [info.bundle_id] if info.bundle_id != bundle_id else []
    for published in reversed(published_bundles(deployer, info.published_project_key, where)):
        if published != bundle_id and published not in candidates:
            candidates.append(published)
    return candidates[:OTHER_BUNDLES_TO_CHECK]


def gather_for_project(client: DSSClient, project_key: str, bundle_id: Optional[str],
                       where: str) -> GateEvidence:
    """Evidence for a project on a node the step can reach directly (this node or a preset)."""
    counts = dss_call("Reading the testing status of project %s" % project_key, where,
                      project_testing_status, client, project_key, bundle_id)
    evidence = NodeEvidence(node=where, total=counts.total, per_outcome=counts.per_outcome)
    node_details(client, project_key, bundle_id, evidence)
    return GateEvidence(subject="project %s on %s" % (project_key, where), bundle_id=bundle_id, nodes=[evidence],
                        now_ms=int(time.time() * 1000))
