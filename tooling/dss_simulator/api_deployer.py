"""Public API: the Project Deployer (dataikuapi `dss/projectdeployer.py`), served by the design node."""

from __future__ import annotations

from typing import Any, Dict, List

from . import clock, errors, shapes, testing
from .deployer import Deployer
from .deployer_model import Deployment, PublishedProject
from .web import PUBLIC, Call, Router

PD = PUBLIC + "/project-deployer"
DEP = PD + "/deployments/<deployment_id>"
HISTORY_SINCE = "14.1"  # update history and run-test-scenarios arrived in DSS 14.1
TESTING_SINCE = "13.3"  # [U] when the deployment testing-status endpoint arrived: assumed with Project Testing


def register(router: Router) -> None:
    router.add("GET", PD + "/deployments", list_deployments)
    router.add("POST", PD + "/deployments", create_deployment)
    router.add("GET", DEP, get_deployment)
    router.add("DELETE", DEP, delete_deployment)
    router.add("GET", DEP + "/status", get_status)
    router.add("GET", DEP + "/settings", get_settings)
    router.add("PUT", DEP + "/settings", put_settings)
    router.add("POST", DEP + "/actions/update", start_update)
    router.add("GET", DEP + "/governance-status", governance_status)
    router.add("GET", DEP + "/update", list_updates, since=HISTORY_SINCE)
    router.add("GET", DEP + "/last-update", last_update, since=HISTORY_SINCE)
    router.add("GET", DEP + "/update/<timestamp>", get_update, since=HISTORY_SINCE)
    router.add("GET", DEP + "/testing-status", testing_status, since=TESTING_SINCE)
    router.add("POST", DEP + "/run-test-scenarios", run_test_scenarios, since=HISTORY_SINCE)
    router.add("GET", PD + "/infras", list_infras)
    router.add("POST", PD + "/infras", create_infra)
    router.add("GET", PD + "/infras/<infra_id>", get_infra)
    router.add("GET", PD + "/infras/<infra_id>/settings", get_infra_settings)
    router.add("PUT", PD + "/infras/<infra_id>/settings", put_infra_settings)
    router.add("GET", PD + "/stages", list_stages)
    router.add("GET", PD + "/projects", list_projects)
    router.add("POST", PD + "/projects", create_project)
    router.add("GET", PD + "/projects/<project_key>", get_project)


def _deployer(call: Call) -> Deployer:
    deployer = call.node.deployer
    deployer.settle()
    return deployer


def _deployment(call: Call, deployment_id: str) -> Deployment:
    # [I] a key restricted to some projects may act on the deployments of those published projects only
    dep = _deployer(call).deployment(deployment_id)
    if call.principal is not None:
        call.principal.check_project(dep.published_project_key)
    return dep


def _light(deployer: Deployer, dep: Deployment) -> Dict[str, Any]:
    return shapes.deployment_light(dep, deployer.infra(dep.infra_id), deployer.published(dep.published_project_key))


# ----------------------------------------------------------------------------- deployments
def list_deployments(call: Call) -> List[Dict[str, Any]]:
    deployer = _deployer(call)
    with deployer.lock:
        deps = [d for d in deployer.deployments.values()
                if call.principal is None or call.principal.can_access(d.published_project_key)]
        return [_light(deployer, d) for d in deps]


def create_deployment(call: Call) -> Dict[str, Any]:
    body = call.json() or {}
    for key in ("deploymentId", "publishedProjectKey", "infraId", "bundleId"):
        if not body.get(key):
            raise errors.bad_request("Missing %s" % key)
    if call.principal is not None:
        call.principal.check_project(body["publishedProjectKey"])
    deployer = _deployer(call)
    dep = deployer.create_deployment(body["deploymentId"], body["publishedProjectKey"], body["infraId"],
                                     body["bundleId"], body.get("deployedProjectKey"))
    return _light(deployer, dep)


def get_deployment(call: Call, deployment_id: str) -> Dict[str, Any]:
    return _light(_deployer(call), _deployment(call, deployment_id))


def delete_deployment(call: Call, deployment_id: str) -> Dict[str, Any]:
    dep = _deployment(call, deployment_id)
    deployer = _deployer(call)
    with deployer.lock:
        deployer.deployments.pop(dep.id, None)
    return {}


def get_status(call: Call, deployment_id: str) -> Dict[str, Any]:
    dep = _deployment(call, deployment_id)
    infra = _deployer(call).infra(dep.infra_id)
    health = dep.current_health
    nodes = [shapes.node_status(n.node_id, health, dep.bundle_id) for n in infra.nodes]
    return shapes.deployment_heavy(dep, health, list(dep.health_messages), nodes)


def get_settings(call: Call, deployment_id: str) -> Dict[str, Any]:
    return shapes.deployment_settings(_deployment(call, deployment_id))


def put_settings(call: Call, deployment_id: str) -> Dict[str, Any]:
    dep = _deployment(call, deployment_id)
    body = call.json()
    if not isinstance(body, dict):
        raise errors.bad_request("Deployment settings must be a JSON object")
    ignore = str(call.request.args.get("ignoreWarnings", "")).lower() == "true"
    _deployer(call).save_settings(dep, body, ignore_warnings=ignore)
    return shapes.deployment_settings(dep)


def start_update(call: Call, deployment_id: str) -> Dict[str, Any]:
    dep = _deployment(call, deployment_id)
    return _deployer(call).start_update(dep, call.user).state(clock.now())


def governance_status(call: Call, deployment_id: str) -> Dict[str, Any]:
    dep = _deployment(call, deployment_id)
    bundle_id = call.request.args.get("bundleId") or dep.settings_bundle_id
    return {"messages": _deployer(call).governance_messages(dep, bundle_id)}  # [I] an InfoMessages dict


# ----------------------------------------------------------------------------- update history (14.1+)
def list_updates(call: Call, deployment_id: str) -> List[Dict[str, Any]]:
    dep = _deployment(call, deployment_id)
    return [shapes.update_list_item(u) for u in reversed(dep.updates)]  # [U] newest first


def last_update(call: Call, deployment_id: str) -> Dict[str, Any]:
    dep = _deployment(call, deployment_id)
    if not dep.updates:
        raise errors.not_found("Update of deployment", dep.id)
    return shapes.update_full(dep.updates[-1])


def get_update(call: Call, deployment_id: str, timestamp: str) -> Dict[str, Any]:
    dep = _deployment(call, deployment_id)
    for update in dep.updates:
        if str(clock.to_ms(update.start)) == timestamp:
            return shapes.update_full(update)
    raise errors.not_found("Update of deployment", "%s at %s" % (dep.id, timestamp))


# ----------------------------------------------------------------------------- testing on the automation node(s)
def testing_status(call: Call, deployment_id: str) -> Dict[str, Any]:
    dep = _deployment(call, deployment_id)
    deployer = _deployer(call)
    node = deployer.target_nodes(dep, call.arg("automationNodeId"), required=True)
    if not node:
        raise errors.bad_request("Deployment %s has no automation node" % dep.id)
    return deployer.node_testing_status(dep, node[0], call.arg("bundleId"))


def run_test_scenarios(call: Call, deployment_id: str) -> Dict[str, Any]:
    dep = _deployment(call, deployment_id)
    deployer = _deployer(call)
    nodes = deployer.target_nodes(dep, call.arg("automationNodeId"), required=False)
    if not nodes:
        raise errors.bad_request("Deployment %s has no automation node" % dep.id)
    # [U] without automationNodeId on a multi-node deployment: run on every node, statuses added up
    return testing.sum_statuses([deployer.run_tests_on(dep, n, call.user) for n in nodes])


# ----------------------------------------------------------------------------- infras, stages, projects
def list_infras(call: Call) -> List[Dict[str, Any]]:
    deployer = _deployer(call)
    with deployer.lock:
        return [shapes.infra_light(i, [d for d in deployer.deployments.values() if d.infra_id == i.id])
                for i in deployer.infras.values()]


def create_infra(call: Call) -> Dict[str, Any]:
    call.principal.check_global("creating an infrastructure")
    body = call.json() or {}
    if not body.get("id") or not body.get("stage"):
        raise errors.bad_request("An infrastructure needs an id and a stage")
    infra = _deployer(call).add_infra(body["id"], body["stage"], (), body.get("governCheckPolicy", "NO_CHECK"))
    return shapes.infra_settings(infra)


def get_infra(call: Call, infra_id: str) -> Dict[str, Any]:
    deployer = _deployer(call)
    infra = deployer.infra(infra_id)
    with deployer.lock:
        return shapes.infra_light(infra, [d for d in deployer.deployments.values() if d.infra_id == infra_id])


def get_infra_settings(call: Call, infra_id: str) -> Dict[str, Any]:
    # [I] infrastructure settings are for infrastructure admins: global rights here
    call.principal.check_global("infrastructure settings")
    return shapes.infra_settings(_deployer(call).infra(infra_id))


def put_infra_settings(call: Call, infra_id: str) -> Dict[str, Any]:
    call.principal.check_global("infrastructure settings")
    infra = _deployer(call).infra(infra_id)
    body = call.json() or {}
    infra.stage = body.get("stage", infra.stage)
    infra.govern_check_policy = body.get("governCheckPolicy", infra.govern_check_policy)
    managed = ("id", "stage", "type", "governCheckPolicy", "automationNodes", "automationNodeUrl", "adminApiKey")
    infra.extra_settings = {k: v for k, v in body.items() if k not in managed}
    return shapes.infra_settings(infra)


def list_stages(call: Call) -> List[Dict[str, Any]]:
    deployer = _deployer(call)
    with deployer.lock:
        return shapes.stages(i.stage for i in deployer.infras.values())


def _project_status(deployer: Deployer, key: str) -> Dict[str, Any]:
    pub = deployer.published(key)
    deps = [d for d in deployer.deployments.values() if d.published_project_key == key]
    infras = [deployer.infras[i] for i in dict.fromkeys(d.infra_id for d in deps)]
    return shapes.published_project(pub, deps, infras)


def list_projects(call: Call) -> List[Dict[str, Any]]:
    deployer = _deployer(call)
    with deployer.lock:
        return [_project_status(deployer, k) for k in deployer.projects
                if call.principal is None or call.principal.can_access(k)]


def create_project(call: Call) -> Dict[str, Any]:
    body = call.json() or {}
    key = body.get("publishedProjectKey")
    if not key:
        raise errors.bad_request("Missing publishedProjectKey")
    call.principal.check_project(key)
    deployer = _deployer(call)
    with deployer.lock:
        if key in deployer.projects:
            raise errors.bad_request("Published project %s already exists" % key)
        deployer.projects[key] = PublishedProject(key)
        return _project_status(deployer, key)


def get_project(call: Call, project_key: str) -> Dict[str, Any]:
    call.principal.check_project(project_key)
    deployer = _deployer(call)
    with deployer.lock:
        return _project_status(deployer, project_key)
