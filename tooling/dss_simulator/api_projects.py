"""Public API: instance info, projects, project variables, design-node bundles and futures."""

from __future__ import annotations

import copy
from typing import Any, Dict, List

from . import clock, errors, shapes
from .web import PUBLIC, Call, Router

PROJECT = PUBLIC + "/projects/<project_key>"


def register(router: Router) -> None:
    router.add("GET", PUBLIC + "/instance-info", instance_info)
    router.add("GET", PUBLIC + "/projects/", list_projects)
    router.add("GET", PROJECT + "/variables/", get_variables)
    router.add("PUT", PROJECT + "/variables/", put_variables)
    router.add("GET", PROJECT + "/managedfolders/", list_managed_folders)
    router.add("GET", PROJECT + "/bundles/exported", list_exported_bundles)
    router.add("PUT", PROJECT + "/bundles/exported/<bundle_id>", export_bundle)
    router.add("POST", PROJECT + "/bundles/<bundle_id>/publish", publish_bundle)
    router.add("GET", PUBLIC + "/futures/", list_futures)
    router.add("GET", PUBLIC + "/futures/<job_id>", get_future)
    router.add("DELETE", PUBLIC + "/futures/<job_id>", abort_future)


def instance_info(call: Call) -> Dict[str, Any]:
    return shapes.instance_info(call.node.node_id, call.node.kind, call.node.dss_version)


def list_projects(call: Call) -> List[Dict[str, Any]]:
    principal = call.principal
    return [shapes.project_list_item(pk) for pk in call.node.projects if principal is None or
            principal.can_access(pk)]


def get_variables(call: Call, project_key: str) -> Dict[str, Any]:
    return copy.deepcopy(call.node.checked_project(call.principal, project_key).variables)


def put_variables(call: Call, project_key: str) -> Dict[str, Any]:
    project = call.node.checked_project(call.principal, project_key)
    body = call.json()
    if not isinstance(body, dict) or not isinstance(body.get("standard"), dict) or not isinstance(
            body.get("local"), dict):
        raise errors.bad_request("Variables must be an object with 'standard' and 'local' objects")
    project.variables = {"standard": copy.deepcopy(body["standard"]), "local": copy.deepcopy(body["local"])}
    return {}


def list_managed_folders(call: Call, project_key: str) -> List[Dict[str, Any]]:
    project = call.node.checked_project(call.principal, project_key)
    return [folder.info() for folder in project.folders.values()]


# ----------------------------------------------------------------------------- bundles (design node)
def _design_project(call: Call, project_key: str) -> Any:
    if call.node.is_automation:
        raise errors.bad_request("Bundles are exported from a Design node; %s is an Automation node"
                                 % call.node.node_id)
    return call.node.checked_project(call.principal, project_key)


def list_exported_bundles(call: Call, project_key: str) -> Dict[str, Any]:
    project = _design_project(call, project_key)
    deployer = call.node.deployer
    published = deployer.published_states(project_key) if deployer is not None else {}
    return shapes.exported_bundles(project.exported_bundles.values(), published)


def export_bundle(call: Call, project_key: str, bundle_id: str) -> Dict[str, Any]:
    _design_project(call, project_key)
    bundle = call.node.export_bundle(project_key, bundle_id, call.arg("releaseNotes"))
    return shapes.exported_bundles([bundle], {})["bundles"][0]


def publish_bundle(call: Call, project_key: str, bundle_id: str) -> Dict[str, Any]:
    project = _design_project(call, project_key)
    if bundle_id not in project.exported_bundles:
        raise errors.not_found("Bundle", "%s/%s" % (project_key, bundle_id))
    published_key = call.arg("publishedProjectKey", project_key)
    if call.principal is not None and not call.principal.can_access(published_key):
        raise errors.forbidden("user %s may not publish to %s" % (call.user, published_key))
    return call.node.deployer.publish(project.exported_bundles[bundle_id], published_key, call.user)


# ----------------------------------------------------------------------------- futures
def list_futures(call: Call) -> List[Dict[str, Any]]:
    if call.flag("withScenarios") and not call.flag("withNotScenarios", True):
        return []  # running scenarios are not modelled as futures
    now = clock.now()
    return [f.state(now) for f in call.node.futures.alive(now) if call.flag("allUsers") or f.user == call.user]


def get_future(call: Call, job_id: str) -> Dict[str, Any]:
    return call.node.futures.get(job_id).state(clock.now())


def abort_future(call: Call, job_id: str) -> Dict[str, Any]:
    call.node.futures.abort(job_id)
    return {}
