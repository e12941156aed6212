"""Collecting the evidence the gate engine judges: testing status per Automation node for one bundle, and,
where a node connection exists, per-scenario results from DSS's last-test-runs JUnit report."""

import logging
import time
import xml.etree.ElementTree as ET  # noqa: S405 - only for its ParseError
from typing import Dict, List, Optional

import dataikuapi
from dataikuapi.utils import DataikuException

from .connection import describe_call_error
from .deployments import DeploymentInfo, dss_call, published_bundles, testing_counts
from .errors import DSSCallError, PluginError
from .gate import GateEvidence, NodeEvidence
from .junit import parse_report

log = logging.getLogger(__name__)

# How many other published bundles to look at when the gated bundle has no results, to say which one has.
OTHER_BUNDLES_TO_CHECK = 3


def last_update_end_ms(deployer: dataikuapi.DSSClient, deployment_id: str) -> Optional[int]:
    """When the deployment's last update ended (DSS 14.1+), or None when DSS cannot say."""
    handle = deployer.get_projectdeployer().get_deployment(deployment_id)
    try:
        update = handle.get_update().get_raw()
    except DSSCallError as error:
        if error.is_not_found or error.is_permission_denied:
            log.info("The update history of deployment %s cannot be read (%s; it needs DSS 14.1+ and the right to "
                     "see the deployment): results are not checked against the last update.", deployment_id,
                     error.detail)
            return None
        raise
    end = update.get("endTimestamp") or update.get("startTimestamp")
    return int(end) if end else None


def node_details(client: dataikuapi.DSSClient, project_key: str, bundle_id: Optional[str], evidence: NodeEvidence):
    """Adds per-scenario results and the list of test scenarios, read on the node itself."""
    project = client.get_project(project_key)
    try:
        evidence.cases = parse_report(project.get_last_test_scenario_runs_report(bundle_id).content)
    except DSSCallError as error:
        permanent = describe_call_error(error, "Reading the test report of project %s" % project_key, evidence.node)
        if error.is_permission_denied:
            # The preset was given to get this evidence: a key it refuses is a setting to fix, not a detail.
            raise PluginError(permanent) from error
        evidence.notes.append("No per-scenario report from %s (%s): failing scenarios cannot be named."
                              % (evidence.node, error.detail))
        return
    except (DataikuException, ET.ParseError) as error:
        evidence.notes.append("No readable per-scenario report from %s (%s): failing scenarios cannot be named."
                              % (evidence.node, getattr(error, "detail", error)))
        return
    items = dss_call("Listing the test scenarios of project %s" % project_key, evidence.node,
                          project.list_scenarios, as_type="listitems")
    evidence.expected_tests = sorted(str(i["id"]) for i in items if i.get("markedAsTest") and i.get("active", True))


def gather_for_deployment(deployer: dataikuapi.DSSClient, info: DeploymentInfo, bundle_id: str,
                          node_clients: Optional[Dict[Optional[str], dataikuapi.DSSClient]] = None,
                          where: str = "the Deployer") -> GateEvidence:
    handle = deployer.get_projectdeployer().get_deployment(info.deployment_id)
    nodes: List[NodeEvidence] = []
    others: Optional[List[str]] = None
    for node in info.nodes:
        label = node.label(info.infra_id)
        what = "Reading the testing status of %s for bundle %s on %s" % (info.subject, bundle_id, label)
        status = dss_call(what, where, handle.get_testing_status, bundle_id, node.node_id)
        total, per_outcome = testing_counts(status)
        evidence = NodeEvidence(node=label, total=total, per_outcome=per_outcome)
        if evidence.total == 0:
            if others is None:
                others = _other_bundles(deployer, info, bundle_id, where)
            evidence.other_bundle_with_results = next(
                (b for b in others if testing_counts(dss_call(what, where, handle.get_testing_status, b,
                                                                   node.node_id))[0]), None)
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


def gather_for_project(client: dataikuapi.DSSClient, project_key: str, bundle_id: Optional[str],
                       where: str) -> GateEvidence:
    """Evidence for a project on a node the step can reach directly (this node or a preset)."""
    status = dss_call("Reading the testing status of project %s" % project_key, where,
                           client.get_project(project_key).get_testing_status, bundle_id)
    total, per_outcome = testing_counts(status)
    evidence = NodeEvidence(node=where, total=total, per_outcome=per_outcome)
    node_details(client, project_key, bundle_id, evidence)
    return GateEvidence(subject="project %s on %s" % (project_key, where), bundle_id=bundle_id, nodes=[evidence],
                        now_ms=int(time.time() * 1000))
