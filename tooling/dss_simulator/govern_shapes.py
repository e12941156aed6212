"""Every answer body of the simulated Govern node (error bodies: `errors.py`).

What the `dataikuapi` 15.2.0 GovernClient reads is unmarked; /work/shared/reference/govern.md is the rest's source.
Marks as in `shapes.py`: `# [I]` inferred, `# [U]` unknown (a guess kept here so it is corrected in one place).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .clock import to_ms

if TYPE_CHECKING:  # pragma: no cover - type hints only
    from .govern import Artifact, FeedbackGroup, SignOff

INSTANCE_NODE_TYPE = "GOVERN"  # GovernInstanceInfo.node_type's docstring: "return: GOVERN"


def artifact(art: Artifact) -> Dict[str, Any]:
    return {
        "id": art.id,
        "name": art.name,
        "blueprintVersionId": {"blueprintId": art.blueprint_id, "versionId": art.version_id},
        "fields": dict(art.fields),
        "archived": art.archived,  # [U]
        "workflow": {"steps": {s: {"status": st} for s, st in art.steps.items()}},  # [V] 13.5+ model (F36)
    }


def artifact_answer(art: Artifact) -> Dict[str, Any]:
    # GET and PUT /artifact/{id}: the client reads ["artifact"]; nothing else is added [I]
    return {"artifact": artifact(art)}


def search_answer(page: List[Artifact], has_next: bool) -> Dict[str, Any]:
    # `uiArtifacts[].artifact` and `hasNextPage` [V]; a hit carries only the artifact [I]
    return {"uiArtifacts": [{"artifact": artifact(a)} for a in page], "hasNextPage": has_next}


# ----------------------------------------------------------------------------------------------- sign-offs
def _who(login: str) -> Dict[str, Any]:
    return {"login": login}  # [U] the identity key of a response (reference F15, §7.2)


def feedback(entry: Dict[str, Any]) -> Dict[str, Any]:
    body = {"id": entry["id"], "groupId": entry["groupId"], "status": entry["status"],  # id, status [V]; groupId [U]
            "user": _who(entry["by"]), "createdOn": to_ms(entry["createdOn"])}  # [U]
    if entry.get("comment") is not None:
        body["comment"] = entry["comment"]
    return body


def approver_response(approval: Dict[str, Any]) -> Dict[str, Any]:
    body = {"status": approval["status"], "user": _who(approval["by"]),  # status [V]; user [U]
            "createdOn": to_ms(approval["createdOn"])}  # [U]
    if approval.get("comment") is not None:
        body["comment"] = approval["comment"]
    return body


def signoff_id(so: SignOff) -> Dict[str, Any]:
    return {"artifactId": so.artifact_id, "stepId": so.step_id}  # stepId [V]; artifactId [I]


def signoff_list_item(so: SignOff) -> Dict[str, Any]:
    return {"signoffId": signoff_id(so), "status": so.status}  # status [I]


def signoff_configuration(groups: List[FeedbackGroup], approvers: List[str]) -> Dict[str, Any]:
    return {
        "feedbackGroups": [{"groupId": g.group_id, "name": g.group_id} for g in groups],  # [U]
        "approval": {"approvers": list(approvers)},  # [U]
        "recurrenceConfiguration": {},  # [V] the key the client reads; empty: no recurrence configured
    }


def signoff(so: SignOff, groups: List[FeedbackGroup], approvers: List[str]) -> Dict[str, Any]:
    body: Dict[str, Any] = {
        "signoffId": signoff_id(so),
        "status": so.status,
        "feedbackResponses": [feedback(f) for f in so.feedback],
        "configuration": signoff_configuration(groups, approvers),
    }
    if so.approval is not None:  # absent until the final approval (the client raises ValueError then) [V]
        body["approverResponse"] = approver_response(so.approval)
    return body


def signoff_details(groups: List[FeedbackGroup], user_of_key: Dict[str, str], approvers: List[str]) -> Dict[str, Any]:
    # [U] reference §7.3: the computed users of each feedback group and of the approval
    def users(names: List[str]) -> List[str]:
        return sorted({user_of_key.get(n, n) for n in names})

    return {"feedbackGroups": [{"groupId": g.group_id, "users": users(sorted(g.keys | g.users))} for g in groups],
            "approvers": users(approvers)}


# ----------------------------------------------------------------------------------------------- blueprints
def blueprint(blueprint_id: str, name: str) -> Dict[str, Any]:
    return {"id": blueprint_id, "name": name}  # [I]


def blueprint_answer(blueprint_id: str, name: str) -> Dict[str, Any]:
    return {"blueprint": blueprint(blueprint_id, name)}  # the client reads ["blueprint"]


def blueprint_list_item(blueprint_id: str, name: str) -> Dict[str, Any]:
    return {"blueprint": blueprint(blueprint_id, name)}  # the client reads ["blueprint"]["id"]


def blueprint_version_id(blueprint_id: str, version_id: str) -> Dict[str, Any]:
    return {"blueprintId": blueprint_id, "versionId": version_id}


def field_definition(field_type: str, is_list: bool) -> Dict[str, Any]:
    # fieldType and sourceType [V] (fork docs); "FILE"/"REFERENCE" values and `list` are [U]
    return {"fieldType": field_type, "sourceType": "STORE", "list": is_list, "required": False}


def blueprint_version(blueprint_id: str, version_id: str, name: str, fields: Dict[str, Tuple[str, bool]],
                      steps: Optional[List[str]] = None) -> Dict[str, Any]:
    return {
        "id": blueprint_version_id(blueprint_id, version_id),
        "name": name,  # [I]
        "fieldDefinitions": {f: field_definition(t, lst) for f, (t, lst) in fields.items()},  # [V] the key
        "workflowDefinition": {"stepDefinitions": [{"id": s, "name": s} for s in steps or []]},  # [V] key, [U] items
    }


def blueprint_version_answer(blueprint_id: str, version_id: str, name: str, fields: Dict[str, Tuple[str, bool]],
                             steps: Optional[List[str]] = None) -> Dict[str, Any]:
    # the client reads ["blueprintVersion"] and ["blueprintVersionTrace"]
    return {"blueprintVersion": blueprint_version(blueprint_id, version_id, name, fields, steps),
            "blueprintVersionTrace": {"status": "ACTIVE", "originVersionId": None}}  # [I]


def blueprint_version_list_item(blueprint_id: str, version_id: str, name: str) -> Dict[str, Any]:
    # the client reads ["blueprintVersion"]["id"]["versionId"]
    return {"blueprintVersion": {"id": blueprint_version_id(blueprint_id, version_id), "name": name},
            "blueprintVersionTrace": {"status": "ACTIVE", "originVersionId": None}}  # [I]


# ----------------------------------------------------------------------------------------------- uploads, node
def uploaded_file(file_id: str, name: str, size: int, owner: str, created: float) -> Dict[str, Any]:
    # `id` [V] (upload_file reads it); the rest [U]
    return {"id": file_id, "name": name, "size": size, "owner": owner, "createdOn": to_ms(created)}


def auth_info(user: str) -> Dict[str, Any]:
    return {"authIdentifier": user, "groups": []}  # authIdentifier [V] (get_auth_info docstring); groups [I]
