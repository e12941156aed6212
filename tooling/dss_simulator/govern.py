"""The model of a simulated Dataiku Govern node: synced Dataiku items, Govern items, sign-offs and uploaded files.

`api_govern.py` serves it; `govern_shapes.py` builds its JSON. Every method runs under the Govern node's lock (the
HTTP handlers already hold it; the control API takes it). Lock order: a watched design node's lock -> the Govern
node's lock (a bundle export on the design node syncs into Govern while holding the design node's lock); Govern
never calls back into another node.

Only /work/shared/reference/govern.md §0-§3 are [V]; every other choice is marked `# [I]` or `# [U]` here or in
`govern_shapes.py`, and listed in README.md ("Govern shapes chosen").
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, NamedTuple, Optional, Set, Tuple

from . import clock, errors

if TYPE_CHECKING:  # pragma: no cover - type hints only
    from .node import Node
    from .project import BundleSnapshot

DATAIKU_PROJECT = "bp.system.dataiku_project"
GOVERN_PROJECT = "bp.system.govern_project"
DATAIKU_BUNDLE = "bp.system.dataiku_bundle"
GOVERN_BUNDLE = "bp.system.govern_bundle"
DEFAULT_VERSION_ID = "bv.system.default"
DEFAULT_SIGNOFF_STEP = "review"  # the Standard workflow's Review step (reference F16)

# Sign-off statuses (reference F13)
NOT_STARTED = "NOT_STARTED"
WAITING_FOR_FEEDBACK = "WAITING_FOR_FEEDBACK"
WAITING_FOR_APPROVAL = "WAITING_FOR_APPROVAL"
APPROVED = "APPROVED"
REJECTED = "REJECTED"
ABANDONED = "ABANDONED"
SIGNOFF_STATUSES = (NOT_STARTED, WAITING_FOR_FEEDBACK, WAITING_FOR_APPROVAL, APPROVED, REJECTED, ABANDONED)
FINAL_STATUSES = (APPROVED, REJECTED, ABANDONED)  # what a final approval may say
FEEDBACK_STATUSES = ("APPROVED", "MINOR_ISSUE", "MAJOR_ISSUE")
FEEDBACK_OPEN = (WAITING_FOR_FEEDBACK, WAITING_FOR_APPROVAL)  # [U] the sign-off statuses that accept feedback

# Field types of the simulated blueprint versions. Only "TEXT" is seen in the docs; the others are [U].
TEXT = "TEXT"
REFERENCE = "REFERENCE"  # [U]
FILE = "FILE"  # [U]

# The fields of each system blueprint's default version: field id -> (type, is a list). [I] from reference F3/F4.
BASE_FIELDS: Dict[str, Dict[str, Tuple[str, bool]]] = {
    DATAIKU_PROJECT: {"node_id": (TEXT, False), "project_key": (TEXT, False), "governed_by": (REFERENCE, False)},
    GOVERN_PROJECT: {"dataiku_item": (REFERENCE, True), "govern_bundles": (REFERENCE, True)},
    DATAIKU_BUNDLE: {"node_id": (TEXT, False), "project_key": (TEXT, False), "dataiku_project": (REFERENCE, False),
                     "governed_by": (REFERENCE, False)},
    GOVERN_BUNDLE: {"dataiku_item": (REFERENCE, True)},
}
BLUEPRINT_NAMES = {DATAIKU_PROJECT: "Dataiku project", GOVERN_PROJECT: "Govern project",
                   DATAIKU_BUNDLE: "Dataiku bundle", GOVERN_BUNDLE: "Govern bundle"}  # [U]


@dataclass
class FeedbackGroup:
    """Who may give feedback for `group_id`: API keys, or the users keys act as."""

    group_id: str
    keys: Set[str] = field(default_factory=set)
    users: Set[str] = field(default_factory=set)

    def admits(self, key: Optional[str], user: Optional[str]) -> bool:
        return (key is not None and key in self.keys) or (user is not None and user in self.users)


class SignOff:
    """The sign-off of one workflow step of a Govern item. Control API: `approve`, `reject`, `abandon`,
    `set_status`; `status`, `feedback` and `approval` read it."""

    def __init__(self, artifact_id: str, step_id: str, lock: threading.RLock, status: str = NOT_STARTED) -> None:
        self.artifact_id = artifact_id
        self.step_id = step_id
        self._lock = lock
        self.status = status
        self._feedback: List[Dict[str, Any]] = []  # {id, groupId, status, comment, by, createdOn (epoch s)}
        self.approval: Optional[Dict[str, Any]] = None  # {status, comment, by, createdOn (epoch s)}

    @property
    def feedback(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._feedback]

    def approve(self, user: str = "approver", comment: Optional[str] = None) -> None:
        self.decide(APPROVED, user, comment)

    def reject(self, user: str = "approver", comment: Optional[str] = None) -> None:
        self.decide(REJECTED, user, comment)

    def abandon(self, user: str = "approver", comment: Optional[str] = None) -> None:
        self.decide(ABANDONED, user, comment)

    def set_status(self, status: str) -> None:
        """Move the sign-off to `status` with no approval recorded; a non-final status clears the approval [U]."""
        if status not in SIGNOFF_STATUSES:
            raise ValueError("Unknown sign-off status %s" % status)
        with self._lock:
            self.status = status
            if status not in FINAL_STATUSES:
                self.approval = None

    def decide(self, status: str, user: str, comment: Optional[str] = None) -> None:
        """Record the final approval `status` (APPROVED, REJECTED or ABANDONED) by `user`."""
        if status not in FINAL_STATUSES:
            raise ValueError("A final approval is one of %s, not %s" % (", ".join(FINAL_STATUSES), status))
        with self._lock:
            self.status = status
            self.approval = {"status": status, "comment": comment, "by": user, "createdOn": clock.now()}

    # ----- used by the API (lock held)
    def add_feedback(self, feedback_id: str, group_id: str, status: str, comment: Optional[str],
                     user: str) -> Dict[str, Any]:
        entry = {"id": feedback_id, "groupId": group_id, "status": status, "comment": comment, "by": user,
                 "createdOn": clock.now()}
        self._feedback.append(entry)
        return dict(entry)

    def __repr__(self) -> str:
        return "<SignOff %s/%s %s>" % (self.artifact_id, self.step_id, self.status)


@dataclass
class Artifact:
    """One Govern artifact (item). `fields` is the live dict the API serves and a PUT replaces."""

    id: str
    name: str
    blueprint_id: str
    fields: Dict[str, Any]
    visible_at: float  # [I] a synced item exists for every call only once the sync has happened
    version_id: str = DEFAULT_VERSION_ID
    archived: bool = False
    steps: Dict[str, str] = field(default_factory=dict)  # workflow step id -> NOT_STARTED/ONGOING/FINISHED/SKIPPED
    signoffs: Dict[str, SignOff] = field(default_factory=dict)

    def visible(self, now: Optional[float] = None) -> bool:
        return (clock.now() if now is None else now) >= self.visible_at

    def signoff(self, step_id: str = DEFAULT_SIGNOFF_STEP) -> SignOff:
        if step_id not in self.signoffs:
            raise KeyError("Artifact %s has no sign-off on step %s" % (self.id, step_id))
        return self.signoffs[step_id]


class BundleItems(NamedTuple):
    """What a bundle sync creates: the Dataiku bundle item and, for a governed project, its Govern bundle."""

    item: Artifact
    govern_bundle: Optional[Artifact]


@dataclass
class GovernedProject:
    node_id: str
    project_key: str
    signoff_step: str
    file_field: Optional[str]
    signoff_status: str
    govern_project_id: str


class Govern:
    """The state of a Govern node. Attributes a test may set: `sync_delay` (s), `fail_artifact_save`,
    `approvers` (API keys or users allowed to give the final approval through the API)."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.sync_delay = 0.0
        self.fail_artifact_save = False
        self.approvers: Set[str] = set()
        self.artifacts: Dict[str, Artifact] = {}
        self.uploaded_files: Dict[str, Tuple[str, bytes]] = {}  # id -> (name, content)
        self.file_owners: Dict[str, str] = {}  # uploaded file id -> the user who uploaded it
        self.file_times: Dict[str, float] = {}
        self.feedback_groups: Dict[str, FeedbackGroup] = {}
        self.governed: Dict[Tuple[str, str], GovernedProject] = {}
        self._file_fields: List[str] = []  # File fields of the Govern bundle's blueprint version (every project's)
        self._counter = 0

    # ----------------------------------------------------------------------------- control API
    def watch(self, node: Node) -> None:
        """Sync every bundle exported on `node` from now on (its export, a prepare_bundle step, a publish that
        exports), `sync_delay` seconds later."""
        if getattr(node, "govern", None) is self:
            raise ValueError("A Govern node cannot watch itself")

        def on_export(bundle: BundleSnapshot) -> None:
            with self.lock:
                if self._find(DATAIKU_BUNDLE, node.node_id, bundle.project_key, bundle.bundle_id,
                              include_pending=True) is None:  # not already added by hand
                    self.add_bundle(node.node_id, bundle.project_key, bundle.bundle_id, delay=self.sync_delay)

        node.add_bundle_listener(on_export)

    def govern_project(self, node_id: str, project_key: str, signoff_step: str = DEFAULT_SIGNOFF_STEP,
                       file_field: Optional[str] = None, signoff_status: str = WAITING_FOR_FEEDBACK) -> Artifact:
        """Govern the project: its Dataiku item gets a Govern project (now), and every bundle synced from now on a
        Govern bundle with a sign-off on `signoff_step` in `signoff_status`. `file_field`: the id of a File field
        of the Govern bundle's blueprint version (None: no File field). Returns the Govern project."""
        if signoff_status not in SIGNOFF_STATUSES:
            raise ValueError("Unknown sign-off status %s" % signoff_status)
        with self.lock:
            if (node_id, project_key) in self.governed:
                raise ValueError("Project %s of node %s is already governed" % (project_key, node_id))
            if file_field is not None:
                if file_field in BASE_FIELDS[GOVERN_BUNDLE]:
                    raise ValueError("%s is already a field of %s" % (file_field, GOVERN_BUNDLE))
                if file_field not in self._file_fields:
                    self._file_fields.append(file_field)
            now = clock.now()
            item = self._project_item(node_id, project_key, now)
            # [U] a Govern project is named after the project key
            gp = self._new(GOVERN_PROJECT, project_key, {"dataiku_item": [item.id], "govern_bundles": []}, now)
            item.fields["governed_by"] = gp.id
            self.governed[(node_id, project_key)] = GovernedProject(node_id, project_key, signoff_step, file_field,
                                                                    signoff_status, gp.id)
            return gp

    def add_bundle(self, node_id: str, project_key: str, bundle_id: str, delay: float = 0.0) -> BundleItems:
        """What a sync does: the Dataiku bundle item (and its project's item if new) and, when the project is
        governed, a Govern bundle with its sign-off. Every item appears `delay` seconds from now."""
        with self.lock:
            if self._find(DATAIKU_BUNDLE, node_id, project_key, bundle_id, include_pending=True) is not None:
                raise ValueError("Bundle %s of %s on %s is already synced" % (bundle_id, project_key, node_id))
            at = clock.now() + max(0.0, delay)
            project_item = self._project_item(node_id, project_key, at)
            # [I] the bundle's name is its id; no other field holds it (reference F5)
            item = self._new(DATAIKU_BUNDLE, bundle_id, {"node_id": node_id, "project_key": project_key,
                                                          "dataiku_project": project_item.id}, at)
            gov = self.governed.get((node_id, project_key))
            if gov is None:
                return BundleItems(item, None)
            fields: Dict[str, Any] = {"dataiku_item": [item.id]}
            if gov.file_field is not None:
                fields[gov.file_field] = []
            gb = self._new(GOVERN_BUNDLE, bundle_id, fields, at)
            gb.steps[gov.signoff_step] = "ONGOING"  # [U] the step holding the sign-off is the current one
            gb.signoffs[gov.signoff_step] = SignOff(gb.id, gov.signoff_step, self.lock, gov.signoff_status)
            item.fields["governed_by"] = gb.id
            self.artifacts[gov.govern_project_id].fields.setdefault("govern_bundles", []).append(gb.id)
            return BundleItems(item, gb)

    def add_feedback_group(self, group_id: str, keys: Iterable[str] = (), users: Iterable[str] = ()) -> FeedbackGroup:
        """The API keys (or users) allowed to give feedback for `group_id` on every sign-off [I]."""
        with self.lock:
            group = FeedbackGroup(group_id, set(keys), set(users))
            self.feedback_groups[group_id] = group
            return group

    def bundle(self, project_key: str, bundle_id: str, node_id: Optional[str] = None) -> Optional[Artifact]:
        """The Govern bundle of a synced bundle; None when ungoverned or not synced yet."""
        with self.lock:
            item = self.dataiku_bundle(project_key, bundle_id, node_id)
            target = item.fields.get("governed_by") if item is not None else None
            return self.artifacts.get(target) if target else None

    def dataiku_bundle(self, project_key: str, bundle_id: str, node_id: Optional[str] = None) -> Optional[Artifact]:
        """The Dataiku bundle item; None when not synced yet. `node_id=None`: the only such bundle on any node."""
        with self.lock:
            return self._find(DATAIKU_BUNDLE, node_id, project_key, bundle_id)

    def project_item(self, project_key: str, node_id: Optional[str] = None) -> Optional[Artifact]:
        """The Dataiku project item; None when not synced yet."""
        with self.lock:
            return self._find(DATAIKU_PROJECT, node_id, project_key, None)

    def synced(self) -> bool:
        """Whether every item is visible (no sync pending)."""
        now = clock.now()
        with self.lock:
            return all(a.visible(now) for a in self.artifacts.values())

    def archive(self, artifact_id: str, archived: bool = True) -> None:
        with self.lock:
            self.artifact(artifact_id, include_pending=True).archived = archived

    # ----------------------------------------------------------------------------- used by the API (lock held)
    def artifact(self, artifact_id: str, include_pending: bool = False) -> Artifact:
        art = self.artifacts.get(artifact_id)
        if art is None or not (include_pending or art.visible()):
            raise errors.not_found("Artifact", artifact_id)
        return art

    def visible_artifacts(self) -> List[Artifact]:
        now = clock.now()
        return [a for a in self.artifacts.values() if a.visible(now)]

    def blueprint_fields(self, blueprint_id: str) -> Dict[str, Tuple[str, bool]]:
        """Field id -> (type, is a list) of the blueprint's default version."""
        if blueprint_id not in BASE_FIELDS:
            raise errors.not_found("Blueprint", blueprint_id)
        fields = dict(BASE_FIELDS[blueprint_id])
        if blueprint_id == GOVERN_BUNDLE:
            # [U] one blueprint version for every project: it has every File field a governed project configured
            fields.update({f: (FILE, True) for f in self._file_fields})
        return fields

    def save_artifact(self, artifact_id: str, body: Any) -> Artifact:
        """A PUT of the whole artifact: only `name` and `fields` change; the fields must be in its blueprint version
        and a File field holds a list of uploaded file ids."""
        art = self.artifact(artifact_id)
        if not isinstance(body, dict) or not isinstance(body.get("fields", {}), dict):
            raise errors.bad_request("An artifact must be a JSON object with a 'fields' object")
        if body.get("id") not in (None, art.id):
            raise errors.bad_request("Artifact id %s does not match %s" % (body.get("id"), art.id))  # [I]
        bv = body.get("blueprintVersionId")
        if bv is not None and bv != {"blueprintId": art.blueprint_id, "versionId": art.version_id}:
            raise errors.bad_request("The blueprint version of artifact %s cannot change" % art.id)  # [I]
        fields = body.get("fields", {})
        known = self.blueprint_fields(art.blueprint_id)
        unknown = sorted(f for f in fields if f not in known)
        if unknown:
            # The message Govern gives (reference F23); the field list after it is [I].
            raise errors.bad_request("Some fields of Artifact were not found in its blueprint version reference: %s"
                                     % ", ".join(unknown))
        for fid, value in fields.items():
            if known[fid][0] == FILE:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise errors.bad_request("Field %s holds a list of uploaded file ids" % fid)  # [I]
                missing = [v for v in value if v not in self.uploaded_files]
                if missing:
                    raise errors.bad_request("Uploaded file does not exist: %s" % ", ".join(missing))  # [I]
        if self.fail_artifact_save:
            raise errors.DSSError(500, errors.UNKNOWN_ERROR, "Simulated failure saving artifact %s" % art.id)
        art.fields = copy.deepcopy(fields)
        if isinstance(body.get("name"), str) and body["name"]:
            art.name = body["name"]
        return art

    def signoff_of(self, artifact_id: str, step_id: str) -> SignOff:
        art = self.artifact(artifact_id)
        if step_id not in art.signoffs:
            raise errors.not_found("Sign-off", "%s/%s" % (artifact_id, step_id))
        return art.signoffs[step_id]

    def check_feedback_group(self, group_id: str, key: Optional[str], user: str) -> None:
        group = self.feedback_groups.get(group_id)
        if group is None:
            raise errors.forbidden("%s is not a feedback group of this sign-off" % group_id)  # [U] 403, not 404
        if not group.admits(key, user):
            # [U] even an admin key: only members of the group may give its feedback (reference §7.5)
            raise errors.forbidden("%s is not in the feedback group %s" % (user, group_id))

    def check_approver(self, key: Optional[str], user: str) -> None:
        if not ((key is not None and key in self.approvers) or user in self.approvers):
            raise errors.forbidden("%s may not give the final approval" % user)  # [U]

    def upload(self, name: str, content: bytes, owner: str) -> str:
        file_id = self._next("uf")
        self.uploaded_files[file_id] = (name, content)
        self.file_owners[file_id] = owner
        self.file_times[file_id] = clock.now()
        return file_id

    def uploaded(self, file_id: str) -> Tuple[str, bytes]:
        if file_id not in self.uploaded_files:
            raise errors.not_found("Uploaded file", file_id)
        return self.uploaded_files[file_id]

    def delete_upload(self, file_id: str) -> None:
        # [U] a file still referenced by a File field can be deleted; the reference stays, dangling
        self.uploaded(file_id)
        del self.uploaded_files[file_id]
        self.file_owners.pop(file_id, None)
        self.file_times.pop(file_id, None)

    def new_feedback_id(self) -> str:
        return self._next("fb")

    # ----------------------------------------------------------------------------- internals
    def _next(self, prefix: str) -> str:
        self._counter += 1
        return "%s.%d" % (prefix, self._counter)  # [U] ids shaped like ar.12, uf.13, fb.14

    def _new(self, blueprint_id: str, name: str, fields: Dict[str, Any], at: float) -> Artifact:
        art = Artifact(self._next("ar"), name, blueprint_id, fields, at)
        self.artifacts[art.id] = art
        return art

    def _project_item(self, node_id: str, project_key: str, at: float) -> Artifact:
        item = self._find(DATAIKU_PROJECT, node_id, project_key, None, include_pending=True)
        if item is None:  # [I] named after the project key
            item = self._new(DATAIKU_PROJECT, project_key, {"node_id": node_id, "project_key": project_key}, at)
        elif item.visible_at > at:
            item.visible_at = at
        return item

    def _find(self, blueprint_id: str, node_id: Optional[str], project_key: str, name: Optional[str],
              include_pending: bool = False) -> Optional[Artifact]:
        now = clock.now()
        found = [a for a in self.artifacts.values()
                 if a.blueprint_id == blueprint_id and a.fields.get("project_key") == project_key
                 and (node_id is None or a.fields.get("node_id") == node_id)
                 and (name is None or a.name == name) and (include_pending or a.visible(now))]
        if len(found) > 1:
            raise ValueError("Several %s items match %s %s: give node_id" % (blueprint_id, project_key, name or ""))
        return found[0] if found else None
