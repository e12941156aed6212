"""What Dataiku Govern says about a bundle: its Govern bundle, the sign-off of a workflow step, and the feedback
and files the plugin adds to it. The only code that talks to `dataikuapi.GovernClient`.

Govern has no "the Govern item of this bundle" call [V]. The bundle is found as Dataiku's own helpers do: the synced
Dataiku bundle item (`bp.system.dataiku_bundle`, its name being the bundle id [I]) and its `governed_by` link;
where that finds nothing, through the Govern project's `govern_bundles`. The keys that say who approved and when
are not documented [U]: several shapes are read, else the raw answer is logged as it came (the step's log is
masked).
"""

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

import dataikuapi
from dataikuapi.govern.artifact_search import (
    GovernArtifactFilterArchivedStatus,
    GovernArtifactFilterBlueprints,
    GovernArtifactFilterFieldValue,
    GovernArtifactSearchQuery,
)

from ..errors import PluginError
from ..settings import NodeSettings
from .answers import DSSCallError, Kind, classify, dss_call
from .interrupts import StopSignal
from .transport import TransportPolicy, connect_with_policy, resend

log = logging.getLogger(__name__)

GovernClient = dataikuapi.GovernClient

DATAIKU_BUNDLE = "bp.system.dataiku_bundle"
DATAIKU_PROJECT = "bp.system.dataiku_project"

# Sign-off statuses [V] (GovernArtifactSignoff docstrings).
APPROVED = "APPROVED"
PENDING_STATUSES = ("NOT_STARTED", "WAITING_FOR_FEEDBACK", "WAITING_FOR_APPROVAL")
REFUSED_STATUSES = ("REJECTED", "ABANDONED")

# Why a Govern bundle was not found; each has its own next action.
NOT_SYNCED = "not synced"
UNGOVERNED = "not governed"

# [U] Keys that may hold who answered a sign-off and when, first found wins.
_WHO_KEYS = ("user", "login", "userLogin", "author", "createdBy", "approver", "by")
_WHEN_KEYS = ("createdOn", "lastModifiedOn", "date", "timestamp", "approvedOn", "updatedOn")
SEARCH_PAGE = 100


def connect_govern(node: NodeSettings, policy: TransportPolicy, stop: Optional[StopSignal] = None) -> GovernClient:
    """A client for the Govern node of a `govern-node` preset, on the same transport policy as every DSS client."""
    return connect_with_policy(dataikuapi.GovernClient(node.url, api_key=node.api_key), node, policy, stop)


@dataclass(frozen=True)
class BundleRef:
    """A Dataiku bundle as Govern knows it: the node it was created on, its project and its id."""

    node_id: str
    project_key: str
    bundle_id: str

    def describe(self) -> str:
        return "bundle %s of project %s (node %s)" % (self.bundle_id, self.project_key, self.node_id)


@dataclass(frozen=True)
class GovernBundle:
    """Where a bundle's Govern bundle was looked for, and what was found: `artifact_id`, or why not (`missing`)."""

    ref: BundleRef
    artifact_id: str = ""
    missing: str = ""      # NOT_SYNCED or UNGOVERNED when `artifact_id` is ""
    detail: str = ""       # what was found on the way, for the message

    @property
    def found(self) -> bool:
        return bool(self.artifact_id)


def _search(gc: GovernClient, blueprint: str, conditions: Sequence[Tuple[Optional[str], str]], where: str
            ) -> List[Dict[str, Any]]:
    """Every artifact of a blueprint whose fields (or name, for a None field id) equal the given values."""
    filters = [GovernArtifactFilterBlueprints([blueprint]), GovernArtifactFilterArchivedStatus(False)]
    filters += [GovernArtifactFilterFieldValue("EQUALS", condition=value, field_id=field_id, case_sensitive=True)
                for field_id, value in conditions]
    request = gc.new_artifact_search_request(GovernArtifactSearchQuery(artifact_filters=filters))
    found: List[Dict[str, Any]] = []
    while True:
        page = dss_call("Searching Govern for %s items" % blueprint, where, request.fetch_next_batch,
                        SEARCH_PAGE).get_raw()
        found += [(hit or {}).get("artifact") or {} for hit in page.get("uiArtifacts") or []]
        if not page.get("hasNextPage"):
            return [a for a in found if a.get("id")]


def _artifact(gc: GovernClient, artifact_id: str, where: str) -> Dict[str, Any]:
    definition = dss_call("Reading Govern item %s" % artifact_id, where, gc.get_artifact(artifact_id).get_definition)
    return definition.get_raw() or {}


def _link(artifact: Dict[str, Any], field_id: str) -> List[str]:
    """The artifact ids a reference field holds ([V] one id or a list, depending on the field)."""
    value = (artifact.get("fields") or {}).get(field_id)
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return []


def find_govern_bundle(gc: GovernClient, ref: BundleRef, where: str) -> GovernBundle:
    """The Govern bundle of `ref`: from its synced Dataiku bundle item, else through its Govern project."""
    items = _search(gc, DATAIKU_BUNDLE, [("node_id", ref.node_id), ("project_key", ref.project_key),
                                         (None, ref.bundle_id)], where)
    for item in items:
        governed_by = _link(item, "governed_by")
        if governed_by:
            return GovernBundle(ref, artifact_id=governed_by[0], detail="Dataiku bundle item %s" % item["id"])
    via_project = _through_govern_project(gc, ref, where)
    if via_project.found or via_project.missing == UNGOVERNED or not items:
        return via_project
    # [V] the bundles of a governed project are governed when created: the link is still on its way.
    return GovernBundle(ref, missing=NOT_SYNCED, detail="Dataiku bundle item %s has no Govern bundle yet, and its "
                        "project is governed" % items[0]["id"])


def _through_govern_project(gc: GovernClient, ref: BundleRef, where: str) -> GovernBundle:
    projects = _search(gc, DATAIKU_PROJECT, [("node_id", ref.node_id), ("project_key", ref.project_key)], where)
    if not projects:
        return GovernBundle(ref, missing=NOT_SYNCED, detail="Govern has no item for project %s of node %s"
                            % (ref.project_key, ref.node_id))
    govern_projects = [g for p in projects for g in _link(p, "governed_by")]
    if not govern_projects:
        return GovernBundle(ref, missing=UNGOVERNED, detail="project %s is not governed" % ref.project_key)
    for govern_project in govern_projects:
        for govern_bundle in _link(_artifact(gc, govern_project, where), "govern_bundles"):
            for item_id in _link(_artifact(gc, govern_bundle, where), "dataiku_item"):
                if _artifact(gc, item_id, where).get("name") == ref.bundle_id:
                    return GovernBundle(ref, artifact_id=govern_bundle,
                                        detail="Govern project %s" % govern_project)
    return GovernBundle(ref, missing=NOT_SYNCED, detail="Govern project %s has no Govern bundle for it yet"
                        % govern_projects[0])


@dataclass(frozen=True)
class SignoffState:
    """The sign-off of one workflow step of a Govern bundle, as Govern gave it."""

    artifact_id: str
    step_id: str
    status: str          # "" when the step has no sign-off
    answered_by: str = ""
    answered_on: str = ""
    comment: str = ""
    raw_answer: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def _first(mapping: Dict[str, Any], keys: Sequence[str]) -> str:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, dict):
            value = value.get("login") or value.get("displayName") or value.get("id")
        if value not in (None, "", [], {}):
            return str(value)
    return ""


def _when(answer: Dict[str, Any]) -> str:
    """When the sign-off was answered, in ISO 8601 UTC when Govern gives epoch milliseconds [U], else as given."""
    for key in _WHEN_KEYS:
        value = answer.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return datetime.fromtimestamp(value / 1000.0, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(value, str) and value:
            return value
    return ""


def _refusal(error: PluginError) -> Optional[DSSCallError]:
    """The DSS error a PluginError of `dss_call` came from, when Govern answered with a refusal."""
    cause = error.__cause__
    return cause if isinstance(cause, DSSCallError) and classify(cause) is Kind.REFUSED else None


def _signoff_definition(gc: GovernClient, artifact_id: str, step_id: str, where: str) -> Dict[str, Any]:
    return dss_call("Reading the sign-off of step %s of Govern bundle %s" % (step_id, artifact_id), where,
                    gc.get_artifact(artifact_id).get_signoff(step_id).get_definition).get_raw() or {}


def read_signoff(gc: GovernClient, artifact_id: str, step_id: str, where: str) -> SignoffState:
    """The sign-off of `step_id`; a step without one reads as status "" (a Govern bundle that does not exist fails,
    naming it)."""
    try:
        definition = _signoff_definition(gc, artifact_id, step_id, where)
    except PluginError as error:
        refusal = _refusal(error)
        if refusal is None or not refusal.is_not_found:
            raise
        _artifact(gc, artifact_id, where)   # a 404 here means the Govern bundle itself is gone
        return SignoffState(artifact_id, step_id, status="")
    answer = definition.get("approverResponse")
    answer = answer if isinstance(answer, dict) else {}
    return SignoffState(artifact_id, step_id, status=str(definition.get("status") or "").upper() or "UNKNOWN",
                        answered_by=_first(answer, _WHO_KEYS), answered_on=_when(answer),
                        comment=str(answer.get("comment") or ""), raw_answer=answer)


def feedback_ids_with(gc: GovernClient, artifact_id: str, step_id: str, marker: str, where: str) -> List[str]:
    """The feedback of a sign-off whose comment holds `marker`: how to find out whether a feedback was posted."""
    definition = _signoff_definition(gc, artifact_id, step_id, where)
    return [str(f.get("id") or "") for f in definition.get("feedbackResponses") or []
            if isinstance(f, dict) and marker in str(f.get("comment") or "")]


class NotInFeedbackGroup(PluginError):
    """Govern refused the feedback: the key is not a member of the feedback group."""


def add_feedback(gc: GovernClient, artifact_id: str, step_id: str, group_id: str, status: str, comment: str,
                 marker: str, where: str) -> str:
    """Posts one feedback, never twice: when the answer is lost, the sign-off is read for a feedback holding
    `marker` (a unique text of `comment`) before it is sent again. Returns the feedback's id, if Govern gave it."""
    what = "Posting feedback %s to the sign-off of step %s of Govern bundle %s for group %s" % (
        status, step_id, artifact_id, group_id)
    signoff = gc.get_artifact(artifact_id).get_signoff(step_id)
    try:
        return _feedback_id(dss_call(what, where, signoff.add_feedback, group_id, status, comment))
    except PluginError as error:
        refusal = _refusal(error)
        if refusal is not None and refusal.is_permission_denied:
            raise NotInFeedbackGroup(
                "%s: Govern refused it (%d: %s). The API key of the Govern preset must be a reviewer of that "
                "sign-off for group %s: add the key (or a group it is in) to the sign-off's reviewers in Govern, or "
                "name a feedback group it is in." % (what, refusal.status, refusal.detail, group_id)) from error
        if refusal is not None and refusal.status in (400, 409):
            status_now = read_signoff(gc, artifact_id, step_id, where).status
            raise PluginError(
                "%s: Govern refused it (%d: %s). The sign-off is %s; [U] Govern may take feedback only while it waits "
                "for feedback or approval: request feedback on it in Govern, then run the step again."
                % (what, refusal.status, refusal.detail, status_now)) from error
        if classify(error.__cause__) is not Kind.UNKNOWN:
            raise
    posted = feedback_ids_with(gc, artifact_id, step_id, marker, where)
    if posted:
        log.info("%s: its answer was lost, and the sign-off shows it was posted.", what)
        return posted[0]
    log.info("%s: its answer was lost, and the sign-off shows it was not posted: posting it again.", what)
    return _feedback_id(dss_call(what, where, signoff.add_feedback, group_id, status, comment))


def _feedback_id(feedback: Any) -> str:
    return str(getattr(feedback, "feedback_id", "") or "")


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes


def attach_files(gc: GovernClient, artifact_id: str, field_id: str, files: Sequence[Attachment], where: str
                 ) -> List[str]:
    """Uploads `files` and appends them to the File field `field_id` of the Govern bundle.

    When the item's save is refused, or found not to have happened, the uploads are deleted again, so that no file
    is left that nothing points at. When its answer is lost, the item is read before deciding."""
    uploaded: List[str] = []
    in_flight = ""
    try:
        for attachment in files:
            in_flight = attachment.name
            # Each attempt streams a body of its own. An upload whose answer was lost is sent again too: at worst
            # it leaves a file that nothing points at, which the log names; the item only ever gets the last one.
            what = "Uploading %s to Govern" % attachment.name
            handle = dss_call(what, where, resend, gc, lambda a=attachment: gc.upload_file(a.name, io.BytesIO(a.data)),
                              (Kind.NOT_DONE, Kind.UNKNOWN), what,
                              " (if Govern got it, it keeps a copy of %s that nothing points at: an admin may delete "
                              "it among Govern's uploaded files)" % attachment.name)
            uploaded.append(handle.uploaded_file_id)
        in_flight = ""
        definition = dss_call("Reading Govern bundle %s" % artifact_id, where,
                              gc.get_artifact(artifact_id).get_definition)
        fields = definition.get_raw().setdefault("fields", {})
        current = fields.get(field_id)
        if current is not None and not isinstance(current, list):
            raise PluginError("Field %s of Govern bundle %s is not a File field (it holds %s): name a File field of "
                              "the Govern bundle in the step's settings." % (field_id, artifact_id,
                                                                             type(current).__name__))
        fields[field_id] = list(current or []) + uploaded
    except PluginError as error:
        _delete_uploads(gc, uploaded, where)
        if in_flight and classify(error.__cause__) is Kind.UNKNOWN:
            raise PluginError("%s Govern may hold an uploaded file %s that nothing points at: look for it among "
                              "Govern's uploaded files and delete it." % (error, in_flight)) from error
        raise
    what = "Saving the reports in field %s of Govern bundle %s" % (field_id, artifact_id)
    try:
        dss_call(what, where, definition.save)
    except PluginError as error:
        if classify(error.__cause__) is not Kind.UNKNOWN:
            _delete_uploads(gc, uploaded, where)
            raise
        try:
            held = _link(_artifact(gc, artifact_id, where), field_id)
        except PluginError:
            raise PluginError("%s Whether it holds the uploaded files %s now could not be read: check field %s of "
                              "Govern bundle %s, and delete the files in Govern if it does not hold them."
                              % (error, ", ".join(uploaded), field_id, artifact_id)) from error
        if not all(file_id in held for file_id in uploaded):
            _delete_uploads(gc, uploaded, where)
            raise
        log.info("%s: its answer was lost, and the item shows it was saved.", what)
    return uploaded


def _delete_uploads(gc: GovernClient, file_ids: Sequence[str], where: str):
    for file_id in file_ids:
        try:
            dss_call("Deleting uploaded file %s from Govern" % file_id, where, gc.get_uploaded_file(file_id).delete)
        except PluginError as error:
            log.warning("%s It is attached to nothing: delete it in Govern.", error)
