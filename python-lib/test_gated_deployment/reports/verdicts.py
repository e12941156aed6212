"""The record of a gate verdict, as a change board keeps it for a promotion: a page and the same data as JSON.

It says what was decided (verdict, bundle, subject), on which rules (the policy), on which evidence (per node, each
scenario's outcome and time, with links to the node), why (reasons, notes), and when and by which scenario run.
"""

import json
import time
from typing import Any, Dict, List, Optional, Tuple

from ..gate.verdict import Verdict
from ..testing.discovery import find_caller
from .pages import render, run_url, slug


def _iso(ms: Optional[int]) -> Optional[str]:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000.0)) if ms else None


def deciding_run(variables: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The scenario run that decided, from its variables, with a link to it when the DSS URL is known."""
    caller = find_caller(variables)
    if caller is None:
        return None
    return {"what": "%sscenario %s of project %s" % ("run %s of " % caller.run_id if caller.run_id else "",
                                                     caller.scenario_id, caller.project_key),
            "url": run_url(variables.get("dssURL"), caller.project_key, caller.scenario_id, caller.run_id or None)}


def verdict_record(verdict: Verdict, decided_by: Optional[Dict[str, str]] = None,
                   promotion: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Plain data: what `verdict.json` holds and what the page shows; `promotion` says what a gated promotion
    did after the verdict."""
    evidence = verdict.evidence
    policy = verdict.policy
    nodes: List[Dict[str, Any]] = []
    for node in evidence.nodes if evidence is not None else []:
        cases = [{"scenario": c.scenario_id, "outcome": c.outcome, "ran_at": _iso(c.timestamp_ms),
                  "url": run_url(node.url, node.project_key, c.scenario_id, None) if node.project_key else None}
                 for c in node.cases or []]
        scenarios_url = "%s/projects/%s/scenarios/" % (node.url.rstrip("/"), node.project_key) \
            if node.url and node.project_key else None
        nodes.append({"node": node.node, "project": node.project_key, "url": node.url,
                      "scenarios_url": scenarios_url, "results": node.total,
                      "per_outcome": dict(node.per_outcome), "scenarios": cases,
                      "expected_scenarios": node.expected_tests})
    return {
        "verdict": verdict.status,
        "bundle": verdict.bundle_id,
        "subject": verdict.subject,
        "message": verdict.message(),
        "policy": {"min_results_per_node": policy.min_results, "fail_on_warning": policy.fail_on_warning,
                   "allow_inconclusive": policy.allow_inconclusive, "max_age_s": policy.max_age_s},
        "counts": dict(verdict.counts),
        "reasons": list(verdict.reasons),
        "notes": list(verdict.notes),
        "nodes": nodes,
        "last_update_of_subject": _iso(evidence.last_update_ms) if evidence is not None else None,
        "decided_at": _iso(evidence.now_ms) if evidence is not None and evidence.now_ms else None,
        "decided_by": decided_by,
        "promotion": promotion,
    }


def verdict_files(verdict: Verdict, decided_by: Optional[Dict[str, str]] = None,
                  promotion: Optional[Dict[str, Any]] = None) -> List[Tuple[str, bytes]]:
    """The verdict's page and `verdict.json`, named alike: the record, as files."""
    record = verdict_record(verdict, decided_by, promotion)
    base = "%s-%s-%s" % (time.strftime("%Y%m%d-%H%M%S", time.gmtime()), slug(verdict.subject),
                         slug(verdict.bundle_id or "bundle"))
    return [(base + ".html", render("verdict.html", record=record).encode("utf-8")),
            (base + ".json", json.dumps(record, indent=2, sort_keys=True).encode("utf-8"))]


def evidence_reports(verdict: Verdict) -> List[Tuple[str, bytes]]:
    """DSS's own JUnit report of each node whose report the verdict was judged on, named after the node."""
    evidence = verdict.evidence
    return [("junit-%s-%s.xml" % (slug(node.node), slug(verdict.bundle_id or "bundle")), node.report)
            for node in (evidence.nodes if evidence is not None else []) if node.report]


def save_verdict(folder, verdict: Verdict, decided_by: Optional[Dict[str, str]] = None,
                 promotion: Optional[Dict[str, Any]] = None) -> List[str]:
    """Writes the page and `verdict.json` side by side into a managed folder; returns their paths."""
    paths = []
    for name, data in verdict_files(verdict, decided_by, promotion):
        folder.upload_data("gate-reports/" + name, data)
        paths.append("gate-reports/" + name)
    return paths
