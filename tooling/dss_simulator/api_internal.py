"""Internal ("tintercom") API used by the stand-in `dataiku` package inside a step (ticket auth only).

The internal package posts form data to `{backend}/dip/api/tintercom/<path>` (reference §2.3, §2.5).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from . import errors, shapes
from .web import INTERNAL, Call, Router


def register(router: Router) -> None:
    router.add("POST", INTERNAL + "/scenarios/set-variables/", set_variables, auth="ticket")
    router.add("POST", INTERNAL + "/scenarios/get-all-variables", get_all_variables, auth="ticket")
    router.add("POST", INTERNAL + "/scenarios/get-step-outputs/", get_step_outputs, auth="ticket")


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
