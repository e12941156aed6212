"""Internal ("tintercom") API used by the stand-in `dataiku` package inside a step (ticket auth only).

The internal package posts form data to `{backend}/dip/api/tintercom/<path>` (reference §2.3, §2.5). The managed
folder routes and shapes are those seen with a real `dataiku` package: an upload sends `projectKey`, `lookup` and
`path` in the query string and the raw bytes as the body; listing answers `{"info": {"paths": [...]}}`, the folder's
description `{"info": {...}}`; a download is the raw bytes.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from werkzeug.wrappers import Response

from . import errors, shapes
from .folders import SimFolder
from .web import INTERNAL, Call, Router

FOLDERS = INTERNAL + "/managed-folders"


def register(router: Router) -> None:
    router.add("POST", INTERNAL + "/scenarios/set-variables/", set_variables, auth="ticket")
    router.add("POST", INTERNAL + "/scenarios/get-all-variables", get_all_variables, auth="ticket")
    router.add("POST", INTERNAL + "/scenarios/get-step-outputs/", get_step_outputs, auth="ticket")
    router.add("POST", FOLDERS + "/get-info", folder_info, auth="ticket")
    router.add("POST", FOLDERS + "/upload-path", upload_path, auth="ticket")
    router.add("POST", FOLDERS + "/get-partition-paths", partition_paths, auth="ticket")
    router.add("POST", FOLDERS + "/download-path", download_path, auth="ticket")
    router.add("POST", FOLDERS + "/clear-path", clear_path, auth="ticket")


def _run(call: Call) -> Any:
    run = call.principal.run if call.principal is not None else None
    if run is None:
        raise errors.bad_request("This ticket is not bound to a scenario run")
    return run


def set_variables(call: Call) -> Dict[str, Any]:
    run = _run(call)
    raw = call.request.form.get("variables")
    if raw is None:
        body = call.json() or {}
        variables = body.get("variables", body) if isinstance(body, dict) else None
    else:
        try:
            variables = json.loads(raw)
        except ValueError as exc:
            raise errors.bad_request("'variables' is not valid JSON: %s" % exc) from exc
    if not isinstance(variables, dict):
        raise errors.bad_request("'variables' must be a JSON object")
    run.variables.update(variables)
    return {}


def get_all_variables(call: Call) -> Dict[str, Any]:
    run = _run(call)
    project = call.node.project(run.project_key)
    return shapes.all_variables(project.resolved_variables(), run, call.node.dss_url)


def get_step_outputs(call: Call) -> List[Dict[str, Any]]:
    # "the exact structure of each type of step run output is not precisely defined" (DSS9 scenario.py) [U]
    run = _run(call)
    return [{"stepName": s.name, "result": {"outcome": s.outcome}} for s in run.step_runs if s.outcome]


# ----------------------------------------------------------------------------- managed folders
def _param(call: Call, name: str) -> Any:
    """A form field, else a query parameter: uploads carry theirs in the query string, since the body is the file."""
    value = call.request.form.get(name)
    return call.request.args.get(name) if value is None else value


def _folder(call: Call) -> SimFolder:
    project = call.node.checked_project(call.principal, _param(call, "projectKey"))
    return project.folder(_param(call, "lookup"))


def folder_info(call: Call) -> Dict[str, Any]:
    return {"info": _folder(call).info()}


def upload_path(call: Call) -> Dict[str, Any]:
    _folder(call).write(_param(call, "path"), call.request.get_data(cache=True))
    return {}


def partition_paths(call: Call) -> Dict[str, Any]:
    return {"info": {"paths": _folder(call).paths()}}


def download_path(call: Call) -> Response:
    return Response(_folder(call).read(_param(call, "path")), status=200, mimetype="application/octet-stream")


def clear_path(call: Call) -> Dict[str, Any]:
    _folder(call).clear(_param(call, "path") or "")
    return {}
