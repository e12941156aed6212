"""The QA verdict as feedback on the bundle's Govern sign-off, with its record attached: the evidence a human
reviewer signs off on.

Feedback only: the plugin never gives the final approval and never acts as a person. Govern records the feedback
as given by the preset's API key [V] (govern.md F19).
"""

import logging
from dataclasses import dataclass
from typing import Callable, List, Sequence

from ..dss.govern import (
    Attachment,
    BundleRef,
    GovernClient,
    add_feedback,
    attach_files,
    feedback_ids_with,
    find_govern_bundle,
)
from ..errors import PluginError
from ..gate.signoff import FeedbackSpec
from ..gate.verdict import INCONCLUSIVE, PASS, Verdict
from .verdicts import verdict_record

log = logging.getLogger(__name__)

FEEDBACK_APPROVED = "APPROVED"
FEEDBACK_MINOR = "MINOR_ISSUE"
FEEDBACK_MAJOR = "MAJOR_ISSUE"
COMMENT_LIMIT = 4000   # [U] Govern's limit on a comment is not documented: a short summary stays well under it


def feedback_status(verdict: Verdict) -> str:
    """APPROVED for a clean PASS, MINOR_ISSUE for a PASS with warnings or a waived verdict, MAJOR_ISSUE otherwise."""
    if verdict.status == PASS:
        return FEEDBACK_MINOR if verdict.counts.get("warnings") else FEEDBACK_APPROVED
    if verdict.status == INCONCLUSIVE and verdict.policy.allow_inconclusive:
        return FEEDBACK_MINOR
    return FEEDBACK_MAJOR


def feedback_comment(verdict: Verdict, marker: str, links: Sequence[str]) -> str:
    """A short summary: the verdict, the counts, the reasons and where the runs are; `marker` makes it unique."""
    counts = verdict.counts
    waived = " (WAIVED: 'Allow inconclusive' is ticked)" if verdict.status == INCONCLUSIVE \
        and verdict.policy.allow_inconclusive else ""
    lines = ["Test gate %s%s for bundle %s of %s." % (verdict.status, waived, verdict.bundle_id, verdict.subject),
             "%d result(s): %d failed, %d aborted, %d in warning." % (
                 counts.get("total", 0), counts.get("failed", 0), counts.get("aborted", 0),
                 counts.get("warnings", 0))]
    lines += ["- %s" % reason for reason in verdict.reasons]
    lines += ["Runs: %s" % link for link in links]
    lines.append("Posted by the Test-Gated Deployment plugin (%s)." % marker)
    text = "\n".join(lines)
    return text if len(text) <= COMMENT_LIMIT else text[:COMMENT_LIMIT - len(marker) - 5] + "... " + marker


@dataclass(frozen=True)
class Published:
    govern_bundle: str
    status: str
    unattached: str = ""   # why the reports could not be attached, when they were not


def run_links(verdict: Verdict, limit: int = 10) -> List[str]:
    """Links to the scenarios that gave the evidence, on the node where each ran, when its URL is known."""
    links: List[str] = []
    for node in verdict_record(verdict)["nodes"]:
        urls = [case["url"] for case in node["scenarios"] if case["url"]] or [node["scenarios_url"]]
        links += [url for url in urls if url and url not in links]
    return links[:limit]


def publish_verdict(gc: GovernClient, ref: BundleRef, spec: FeedbackSpec, verdict: Verdict, marker: str,
                    reports: Sequence[Attachment], where: str, mask: Callable[[str], str]) -> Published:
    """Posts the verdict as feedback on the sign-off of `ref`'s Govern bundle, then attaches `reports`; `mask`
    keeps secrets out of the comment. `marker` names this verdict: a feedback that holds it is not posted again
    (a step retried within its scenario run). A feedback posted whose reports could not be attached says why."""
    found = find_govern_bundle(gc, ref, where)
    if not found.found:
        raise PluginError("The test verdict of %s could not be posted to Govern: it has no Govern bundle (%s: %s). "
                          "Check that project %s is governed and that Govern has synced the bundle, then run the "
                          "step again." % (ref.describe(), found.missing, found.detail, ref.project_key))
    status = feedback_status(verdict)
    if feedback_ids_with(gc, found.artifact_id, spec.step_id, marker, where):
        log.info("Feedback %s (%s) is already on the sign-off of step %s of Govern bundle %s: not posted again.",
                 status, marker, spec.step_id, found.artifact_id)
        return Published(found.artifact_id, status)
    add_feedback(gc, found.artifact_id, spec.step_id, spec.group_id, status,
                 mask(feedback_comment(verdict, marker, run_links(verdict))), marker, where)
    log.info("Posted feedback %s for group %s on the sign-off of step %s of Govern bundle %s (%s).", status,
             spec.group_id, spec.step_id, found.artifact_id, ref.describe())
    if not (spec.file_field and reports):
        return Published(found.artifact_id, status)
    try:
        attach_files(gc, found.artifact_id, spec.file_field, reports, where)
    except PluginError as error:
        return Published(found.artifact_id, status, unattached=str(error))
    log.info("Attached %s to field %s of Govern bundle %s.", ", ".join(r.name for r in reports), spec.file_field,
             found.artifact_id)
    return Published(found.artifact_id, status)
