"""Public API of a Govern node (dataikuapi `govern_client.py`, `govern/{artifact,artifact_search,uploaded_file,
blueprint}.py`), under `/dip/publicapi` like DSS. Only a GOVERN node registers these routes."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from werkzeug.wrappers import Response

from . import errors, govern_search, shapes
from . import govern_shapes as gshapes
from .govern import (
    BLUEPRINT_NAMES,
    DEFAULT_VERSION_ID,
    FEEDBACK_OPEN,
    FEEDBACK_STATUSES,
    FINAL_STATUSES,
    GOVERN_BUNDLE,
    SIGNOFF_STATUSES,
    Govern,
    SignOff,
)
from .web import PUBLIC, Call, Router

ARTIFACT = PUBLIC + "/artifact/<artifact_id>"
SIGNOFF = ARTIFACT + "/workflow/step/<step_id>/signoff"
BLUEPRINT = PUBLIC + "/blueprint/<blueprint_id>"
UPLOADED = PUBLIC + "/uploaded-file/<file_id>"


def register(router: Router) -> None:
    router.add("GET", PUBLIC + "/instance-info", instance_info)
    router.add("GET", PUBLIC + "/auth/info", auth_info)
    router.add("GET", PUBLIC + "/blueprints", list_blueprints)
    router.add("GET", BLUEPRINT, get_blueprint)
    router.add("GET", BLUEPRINT + "/versions", list_blueprint_versions)
    router.add("GET", BLUEPRINT + "/version/<version_id>", get_blueprint_version)
    router.add("POST", PUBLIC + "/artifacts/search", search_artifacts)
    router.add("GET", ARTIFACT, get_artifact)
    router.add("PUT", ARTIFACT, put_artifact)
    router.add("GET", ARTIFACT + "/signoffs", list_signoffs)
    router.add("GET", SIGNOFF, get_signoff)
    router.add("GET", SIGNOFF + "/details", get_signoff_details)
    router.add("POST", SIGNOFF + "/feedback", add_feedback)
    router.add("POST", SIGNOFF + "/approval", add_approval)
    router.add("POST", SIGNOFF + "/update-status", update_status)
    router.add("POST", PUBLIC + "/uploaded-files", upload_file)
    router.add("GET", UPLOADED, get_uploaded_file)
    router.add("GET", UPLOADED + "/download", download_uploaded_file)
    router.add("DELETE", UPLOADED, delete_uploaded_file)


def _govern(call: Call) -> Govern:
    return call.node.govern


def _key(call: Call) -> Optional[str]:
    """The API key the caller sent (HTTP Basic user name); None for a ticket."""
    auth = call.request.authorization
    return auth.username if auth is not None and auth.type == "basic" else None


def _body(call: Call) -> Dict[str, Any]:
    body = call.json()
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object")
    return body


# ----------------------------------------------------------------------------- node
def instance_info(call: Call) -> Dict[str, Any]:
    return shapes.instance_info(call.node.node_id, gshapes.INSTANCE_NODE_TYPE, call.node.dss_version)


def auth_info(call: Call) -> Dict[str, Any]:
    return gshapes.auth_info(call.user)


# ----------------------------------------------------------------------------- blueprints
def list_blueprints(call: Call) -> List[Dict[str, Any]]:
    return [gshapes.blueprint_list_item(bp, name) for bp, name in BLUEPRINT_NAMES.items()]


def _blueprint_name(blueprint_id: str) -> str:
    if blueprint_id not in BLUEPRINT_NAMES:
        raise errors.not_found("Blueprint", blueprint_id)
    return BLUEPRINT_NAMES[blueprint_id]


def get_blueprint(call: Call, blueprint_id: str) -> Dict[str, Any]:
    return gshapes.blueprint_answer(blueprint_id, _blueprint_name(blueprint_id))


def list_blueprint_versions(call: Call, blueprint_id: str) -> List[Dict[str, Any]]:
    _blueprint_name(blueprint_id)
    return [gshapes.blueprint_version_list_item(blueprint_id, DEFAULT_VERSION_ID, "Default")]


def get_blueprint_version(call: Call, blueprint_id: str, version_id: str) -> Dict[str, Any]:
    name = _blueprint_name(blueprint_id)
    if version_id != DEFAULT_VERSION_ID:
        raise errors.not_found("Blueprint version", "%s/%s" % (blueprint_id, version_id))
    steps = sorted({p.signoff_step for p in _govern(call).governed.values()}) if blueprint_id == GOVERN_BUNDLE else []
    return gshapes.blueprint_version_answer(blueprint_id, version_id, name,
                                            _govern(call).blueprint_fields(blueprint_id), steps)


# ----------------------------------------------------------------------------- artifacts
def search_artifacts(call: Call) -> Dict[str, Any]:
    gov = _govern(call)
    page, has_next = govern_search.search(gov.visible_artifacts(), call.json())
    return gshapes.search_answer(page, has_next)


def get_artifact(call: Call, artifact_id: str) -> Dict[str, Any]:
    return gshapes.artifact_answer(_govern(call).artifact(artifact_id))


def put_artifact(call: Call, artifact_id: str) -> Dict[str, Any]:
    return gshapes.artifact_answer(_govern(call).save_artifact(artifact_id, call.json()))


# ----------------------------------------------------------------------------- sign-offs
def _signoff_body(gov: Govern, so: SignOff) -> Dict[str, Any]:
    return gshapes.signoff(so, list(gov.feedback_groups.values()), sorted(gov.approvers))


def list_signoffs(call: Call, artifact_id: str) -> List[Dict[str, Any]]:
    art = _govern(call).artifact(artifact_id)
    return [gshapes.signoff_list_item(so) for so in art.signoffs.values()]


def get_signoff(call: Call, artifact_id: str, step_id: str) -> Dict[str, Any]:
    gov = _govern(call)
    return _signoff_body(gov, gov.signoff_of(artifact_id, step_id))


def get_signoff_details(call: Call, artifact_id: str, step_id: str) -> Dict[str, Any]:
    gov = _govern(call)
    gov.signoff_of(artifact_id, step_id)
    groups = list(gov.feedback_groups.values())
    keys = {k for g in groups for k in g.keys} | set(gov.approvers)
    return gshapes.signoff_details(groups, {k: _user_of(call, k) for k in keys}, sorted(gov.approvers))


def _user_of(call: Call, key: str) -> str:
    try:
        return call.node.auth.resolve(key, None).user
    except errors.DSSError:
        return key  # a name that is not a key: a user


def add_feedback(call: Call, artifact_id: str, step_id: str) -> Dict[str, Any]:
    gov = _govern(call)
    so = gov.signoff_of(artifact_id, step_id)
    group_id = call.arg("groupId") or ""
    gov.check_feedback_group(group_id, _key(call), call.user)  # [U] membership (403) before the state (400)
    if so.status not in FEEDBACK_OPEN:
        raise errors.bad_request("Cannot give feedback on sign-off %s/%s: its status is %s, not %s"
                                 % (artifact_id, step_id, so.status, " or ".join(FEEDBACK_OPEN)))  # [U]
    body = _body(call)
    status = body.get("status")
    if status not in FEEDBACK_STATUSES:
        raise errors.bad_request("Feedback status must be one of %s, not %s" % (", ".join(FEEDBACK_STATUSES), status))
    comment = body.get("comment")
    entry = so.add_feedback(gov.new_feedback_id(), group_id, status, comment if isinstance(comment, str) else None,
                            call.user)
    return gshapes.feedback(entry)  # the client reads ["id"]; the rest [U]


def add_approval(call: Call, artifact_id: str, step_id: str) -> Dict[str, Any]:
    gov = _govern(call)
    so = gov.signoff_of(artifact_id, step_id)
    gov.check_approver(_key(call), call.user)
    if so.status not in FEEDBACK_OPEN:  # [U] only an open sign-off takes its (single) final approval (F17)
        raise errors.bad_request("Cannot approve sign-off %s/%s: its status is %s" % (artifact_id, step_id, so.status))
    body = _body(call)
    status = body.get("status")
    if status not in FINAL_STATUSES:
        raise errors.bad_request("Approval status must be one of %s, not %s" % (", ".join(FINAL_STATUSES), status))
    comment = body.get("comment")
    so.decide(status, call.user, comment if isinstance(comment, str) else None)
    return _signoff_body(gov, so)  # [U] the client ignores the answer


def update_status(call: Call, artifact_id: str, step_id: str) -> Dict[str, Any]:
    gov = _govern(call)
    so = gov.signoff_of(artifact_id, step_id)
    target = _body(call).get("targetStatus")
    if target not in SIGNOFF_STATUSES:
        raise errors.bad_request("Unknown sign-off status %s" % target)
    if target in FINAL_STATUSES:
        gov.check_approver(_key(call), call.user)  # [U] a final status is the approvers' call
    so.set_status(target)
    return _signoff_body(gov, so)  # [U] the client ignores the answer


# ----------------------------------------------------------------------------- uploaded files
def _file_description(gov: Govern, file_id: str) -> Dict[str, Any]:
    name, content = gov.uploaded(file_id)
    return gshapes.uploaded_file(file_id, name, len(content), gov.file_owners.get(file_id, ""),
                                 gov.file_times.get(file_id, 0.0))


def upload_file(call: Call) -> Dict[str, Any]:
    upload = call.request.files.get("file")
    if upload is None:
        raise errors.bad_request("The upload has no multipart field 'file'")
    gov = _govern(call)
    file_id = gov.upload(upload.filename or "file", upload.read(), call.user)
    return _file_description(gov, file_id)  # the client reads ["id"]


def get_uploaded_file(call: Call, file_id: str) -> Dict[str, Any]:
    return _file_description(_govern(call), file_id)


def download_uploaded_file(call: Call, file_id: str) -> Response:
    name, content = _govern(call).uploaded(file_id)
    return Response(content, status=200, mimetype="application/octet-stream",
                    headers={"Content-Disposition": 'attachment; filename="%s"' % name.replace('"', "")})


def delete_uploaded_file(call: Call, file_id: str) -> Dict[str, Any]:
    _govern(call).delete_upload(file_id)
    return {}
