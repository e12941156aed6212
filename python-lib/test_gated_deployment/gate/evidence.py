"""Collecting the evidence the gate engine judges: testing status per Automation node for one bundle, and,
where a node connection exists, per-scenario results from DSS's last-test-runs JUnit report.

Every time in the evidence is on the clock of the server that judges freshness (the Deployer, or the project's
node): a node's report times are moved by how far its clock is from that one (their Date headers), and report
times without a zone by the node's UTC offset.
"""

import logging
import xml.etree.ElementTree as ET  # noqa: S405 - only for its ParseError
from collections import Counter
from dataclasses import replace
from typing import Dict, List, Optional

from ..dss.answers import ClientError, DSSCallError, Kind, classify, dss_call
from ..dss.deployments import DeploymentInfo, last_update_end_ms, published_bundles
from ..dss.nodes import ConnectedNode
from ..dss.scenarios import Scenario, read_scenarios
from ..dss.testing_status import deployment_testing_status, last_test_runs_report, project_testing_status
from ..dss.transport import DSSClient, clock_shift_ms, server_now_ms
from ..errors import PluginError
from .junit import CaseResult, parse_report
from .verdict import GateEvidence, NodeEvidence

log = logging.getLogger(__name__)

# How many other published bundles to look at when the gated bundle has no results, to say which one has.
OTHER_BUNDLES_TO_CHECK = 3
# Time zones are whole quarters of an hour, within 14 hours of UTC; run starts and report times agree to a second.
_QUARTER_HOUR_MS = 15 * 60 * 1000
_MAX_ZONE_MS = 14 * 3600 * 1000
_ZONE_MATCH_MS = 2000
_RUNS_FOR_ZONE = 5


def node_details(client: DSSClient, project_key: str, bundle_id: Optional[str], evidence: NodeEvidence,
                 reference: DSSClient):
    """Adds per-scenario results and the list of test scenarios, read on the node itself; their times go on the
    clock of `reference`."""
    what = "Reading the test report of project %s" % project_key
    try:
        report = dss_call(what, evidence.node, last_test_runs_report, client, project_key, bundle_id)
        cases = parse_report(report)
    except PluginError as error:
        cause = error.__cause__
        if not isinstance(cause, DSSCallError) or classify(cause) is not Kind.REFUSED or cause.is_permission_denied:
            # The preset was given to get this evidence: a key it refuses, or a node that does not answer, is a
            # failure to report, not a detail to note.
            raise
        evidence.notes.append("No per-scenario report from %s (%s): failing scenarios cannot be named."
                              % (evidence.node, cause.detail))
        return
    except (ClientError, ET.ParseError) as error:
        evidence.notes.append("No readable per-scenario report from %s (%s): failing scenarios cannot be named."
                              % (evidence.node, getattr(error, "detail", error)))
        return
    evidence.cases = _on_reference_clock(client, project_key, cases, evidence, reference)
    evidence.report = report
    items = read_scenarios(client, project_key, evidence.node)
    evidence.expected_tests = sorted(i.id for i in items if i.marked_as_test and i.active)


def gather_for_deployment(deployer: DSSClient, info: DeploymentInfo, bundle_id: str,
                          connected: Optional[Dict[Optional[str], ConnectedNode]] = None,
                          where: str = "the Deployer") -> GateEvidence:
    """Evidence per Automation node; `connected` (by node id) adds what each node's own report says."""
    nodes: List[NodeEvidence] = []
    others: Optional[List[str]] = None
    for node in info.nodes:
        label = node.label(info.infra_id)
        what = "Reading the testing status of %s for bundle %s on %s" % (info.subject, bundle_id, label)
        counts = dss_call(what, where, deployment_testing_status, deployer, info.deployment_id, bundle_id,
                          node.node_id)
        evidence = NodeEvidence(node=label, total=counts.total, per_outcome=counts.per_outcome,
                                project_key=info.deployed_project_key, url=node.url)
        if evidence.total == 0:
            if others is None:
                others = _other_bundles(deployer, info, bundle_id, where)
            evidence.other_bundle_with_results = next(
                (b for b in others if dss_call(what, where, deployment_testing_status, deployer, info.deployment_id,
                                               b, node.node_id).total), None)
        reached = (connected or {}).get(node.node_id)
        if reached is not None:
            evidence.url = reached.url
            node_details(reached.client, info.deployed_project_key, bundle_id, evidence, deployer)
        nodes.append(evidence)
    return GateEvidence(subject=info.subject, bundle_id=bundle_id, nodes=nodes,
                        last_update_ms=dss_call("Reading the update history of %s" % info.subject, where,
                                                last_update_end_ms, deployer, info.deployment_id),
                        now_ms=server_now_ms(deployer))


def _other_bundles(deployer, info: DeploymentInfo, bundle_id: str, where: str) -> List[str]:
    candidates = [info.bundle_id] if info.bundle_id != bundle_id else []
    for published in reversed(published_bundles(deployer, info.published_project_key, where)):
        if published != bundle_id and published not in candidates:
            candidates.append(published)
    return candidates[:OTHER_BUNDLES_TO_CHECK]


def gather_for_project(client: DSSClient, project_key: str, bundle_id: Optional[str],
                       where: str, url: Optional[str] = None) -> GateEvidence:
    """Evidence for a project on a node the step can reach directly (this node or a preset), at `url` if known."""
    counts = dss_call("Reading the testing status of project %s" % project_key, where,
                      project_testing_status, client, project_key, bundle_id)
    evidence = NodeEvidence(node=where, total=counts.total, per_outcome=counts.per_outcome, project_key=project_key,
                            url=url)
    node_details(client, project_key, bundle_id, evidence, client)
    return GateEvidence(subject="project %s on %s" % (project_key, where), bundle_id=bundle_id, nodes=[evidence],
                        now_ms=server_now_ms(client))


def _on_reference_clock(client: DSSClient, project_key: str, cases: List[CaseResult], evidence: NodeEvidence,
                        reference: DSSClient) -> List[CaseResult]:
    """The cases with their times on the reference clock; zone-less times need the node's UTC offset, else they
    are dropped (and their age is not judged)."""
    zone_ms = 0
    if any(c.zone_less and c.timestamp_ms for c in cases):
        zone_ms = _server_zone_ms(client, project_key, cases)
        if zone_ms is None:
            evidence.notes.append("The test report of %s gives times without a time zone, and the server's zone "
                                  "could not be found from its runs: the age of those results is not judged."
                                  % evidence.node)
    shift = clock_shift_ms(client, reference)
    moved = []
    for case in cases:
        stamp = case.timestamp_ms
        if stamp and case.zone_less:
            stamp = None if zone_ms is None else stamp - zone_ms
        moved.append(replace(case, timestamp_ms=stamp + shift if stamp else stamp, zone_less=False))
    return moved


def _server_zone_ms(client: DSSClient, project_key: str, cases: List[CaseResult]) -> Optional[int]:
    """The server's UTC offset, from a case whose zone-less time is its run's start (epoch ms).

    [U] DSS's report times are undocumented: the offset is taken only when it is a whole quarter of an hour
    within a second, for most of the scenario's recent runs that match.
    """
    case = next(c for c in cases if c.zone_less and c.timestamp_ms)
    try:
        starts = [run.state.start_ms for run in Scenario(client, project_key, case.scenario_id).last_runs(
            limit=_RUNS_FOR_ZONE)]
    except Exception as error:  # noqa: BLE001 - without the runs, the zone stays unknown
        if classify(error) is None:
            raise
        return None
    offsets = Counter()
    for start in starts:
        if not start:
            continue
        gap = case.timestamp_ms - start
        quarter = round(gap / _QUARTER_HOUR_MS) * _QUARTER_HOUR_MS
        if abs(gap - quarter) <= _ZONE_MATCH_MS and abs(quarter) <= _MAX_ZONE_MS:
            offsets[quarter] += 1
    if not offsets:
        return None
    return offsets.most_common(1)[0][0]
