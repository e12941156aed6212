"""The Project Deployer hosted by a design node: control API and the operations its HTTP API calls.

Updates are timed like runs: started now, applied lazily by `settle()` once their end has passed. Every node
involved calls `settle()` before answering (a sync hook), so the automation nodes never lag behind the clock.
Lock order: design node lock -> deployer lock -> automation node lock.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import clock, errors, shapes, testing
from .deployer_model import (
    Deployment,
    Infra,
    PendingUpdate,
    PublishedBundle,
    PublishedProject,
    UpdateBehaviour,
    UpdateRecord,
)
from .futures import SimFuture
from .node import Node
from .project import BundleSnapshot


class Deployer:
    def __init__(self, design: Node) -> None:
        self.design = design
        self.lock = threading.RLock()
        self.infras: Dict[str, Infra] = {}
        self.projects: Dict[str, PublishedProject] = {}
        self.deployments: Dict[str, Deployment] = {}
        # The Govern sign-off status of each (published project, bundle), as the Deployer sees it: a stand-in for
        # a Govern node, enough for the Deployer's own Govern check.
        self.signoffs: Dict[Tuple[str, str], str] = {}
        design.add_sync_hook(self.settle)

    # ----------------------------------------------------------------------------- control API
    def add_infra(self, infra_id: str, stage: str, nodes: Iterable[Node] = (),
                  govern_check_policy: str = "NO_CHECK") -> Infra:
        nodes = list(nodes)
        if any(n is self.design or not n.is_automation for n in nodes):
            raise ValueError("An infrastructure's nodes must be Automation nodes")
        with self.lock:
            if infra_id in self.infras:
                raise errors.bad_request("Infrastructure %s already exists" % infra_id)
            infra = Infra(infra_id, stage, nodes, govern_check_policy)
            self.infras[infra_id] = infra
        for node in nodes:
            node.add_sync_hook(self.settle)
        return infra

    def publish_bundle(self, project_key: str, bundle_id: str, published_project_key: Optional[str] = None,
                       user: str = "admin") -> Dict[str, Any]:
        """Publish bundle `bundle_id` of design project `project_key` (exported first if needed)."""
        with self.design.lock:
            project = self.design.project(project_key)
            bundle = project.exported_bundles.get(bundle_id)
        if bundle is None:
            bundle = self.design.export_bundle(project_key, bundle_id)
        return self.publish(bundle, published_project_key or project_key, user)

    def add_deployment(self, deployment_id: str, published_project_key: str, infra_id: str, bundle_id: str,
                       deployed_project_key: Optional[str] = None) -> Deployment:
        """Create a deployment and deploy it at once: every node of the infra gets the bundle, active."""
        dep = self.create_deployment(deployment_id, published_project_key, infra_id, bundle_id,
                                     deployed_project_key)
        with self.lock:
            now = clock.now()
            pending = PendingUpdate(dep.id, bundle_id, now, now, dep.behaviour, "admin")
            self._apply(dep, pending, UpdateBehaviour())
        return dep

    def deployment(self, deployment_id: str) -> Deployment:
        self.settle()
        with self.lock:
            if deployment_id not in self.deployments:
                raise errors.not_found("Deployment", deployment_id)
            return self.deployments[deployment_id]

    def set_update_behaviour(self, deployment_id: str, **behaviour: Any) -> UpdateBehaviour:
        """duration, result (SUCCESS|WARNING|ERROR), health, health_by_bundle, node_down_for, failure_mode,
        report_key."""
        dep = self.deployment(deployment_id)
        with self.lock:
            dep.behaviour = UpdateBehaviour(**behaviour)
            return dep.behaviour

    def update(self, deployment_id: str, bundle_id: Optional[str] = None, requester: str = "admin") -> SimFuture:
        """Point the deployment at `bundle_id` (if given) and start an update, as the client would."""
        dep = self.deployment(deployment_id)
        if bundle_id is not None:
            self.save_settings(dep, {"bundleId": bundle_id})
        return self.start_update(dep, requester)

    # ----------------------------------------------------------------------------- operations
    def publish(self, bundle: BundleSnapshot, published_project_key: str, user: str) -> Dict[str, Any]:
        with self.lock:
            pub = self.projects.setdefault(published_project_key, PublishedProject(published_project_key))
            if bundle.bundle_id in pub.bundles:  # [I] a bundle id is published once
                raise errors.bad_request("Bundle %s is already published in %s"
                                         % (bundle.bundle_id, published_project_key))
            now = clock.now()
            pub.bundles[bundle.bundle_id] = PublishedBundle(bundle.bundle_id, bundle, now, user)
            return shapes.publish_result(now, user, published_project_key)

    def published_states(self, design_project_key: str) -> Dict[str, Dict[str, Any]]:
        with self.lock:
            return {b.bundle_id: shapes.publish_result(b.published_on, b.published_by, pub.key)
                    for pub in self.projects.values() for b in pub.bundles.values()
                    if b.snapshot.project_key == design_project_key}

    def infra(self, infra_id: str) -> Infra:
        with self.lock:
            if infra_id not in self.infras:
                raise errors.not_found("Infrastructure", infra_id)
            return self.infras[infra_id]

    def published(self, key: str) -> PublishedProject:
        with self.lock:
            if key not in self.projects:
                raise errors.not_found("Published project", key)
            return self.projects[key]

    def create_deployment(self, deployment_id: str, published_project_key: str, infra_id: str, bundle_id: str,
                          deployed_project_key: Optional[str] = None) -> Deployment:
        """A new deployment, not deployed yet (the client's create_deployment: call start_update next)."""
        with self.lock:
            if deployment_id in self.deployments:
                raise errors.bad_request("Deployment %s already exists" % deployment_id)
            self.infra(infra_id)
            self._bundle(published_project_key, bundle_id)
            dep = Deployment(deployment_id, published_project_key, infra_id, bundle_id,
                             deployed_project_key or published_project_key)
            self.deployments[deployment_id] = dep
            return dep

    def _bundle(self, published_project_key: str, bundle_id: str) -> PublishedBundle:
        pub = self.published(published_project_key)
        if bundle_id not in pub.bundles:
            raise errors.bad_request("Bundle %s is not published in project %s" % (bundle_id, published_project_key))
        return pub.bundles[bundle_id]

    def set_signoff(self, published_project_key: str, bundle_id: str, status: str) -> None:
        """The Govern sign-off status of a bundle (APPROVED, WAITING_FOR_APPROVAL, REJECTED, ...)."""
        with self.lock:
            self.signoffs[(published_project_key, bundle_id)] = status

    def governance_messages(self, dep: Deployment, bundle_id: str) -> List[Dict[str, Any]]:
        """[I] What the Deployer's Govern check says of deploying `bundle_id` to `dep`: nothing without a policy, a
        SUCCESS when the bundle is approved, else an ERROR (PREVENT) or a WARNING (WARN)."""
        with self.lock:
            policy = self.infra(dep.infra_id).govern_check_policy
            status = self.signoffs.get((dep.published_project_key, bundle_id), "NOT_STARTED")
        if policy == "NO_CHECK":
            return []
        if status == "APPROVED":
            return [shapes.governance_message("SUCCESS", "Bundle approved", "Bundle %s is approved in Govern"
                                              % bundle_id)]
        return [shapes.governance_message("ERROR" if policy == "PREVENT" else "WARNING", "Bundle not approved",
                                          "The sign-off of bundle %s in Govern is %s" % (bundle_id, status),
                                          fatal=policy == "PREVENT")]

    def save_settings(self, dep: Deployment, settings: Dict[str, Any], ignore_warnings: bool = False) -> None:
        bundle_id = settings.get("bundleId", dep.settings_bundle_id)
        if bundle_id != dep.settings_bundle_id:
            # [I] The Deployer checks Govern when a bundle is set on a deployment: an error blocks the save, and a
            # warning blocks it unless the client says to ignore warnings.
            messages = self.governance_messages(dep, bundle_id)
            blocking = [m for m in messages if m["severity"] == "ERROR"
                        or (m["severity"] == "WARNING" and not ignore_warnings)]
            if blocking:
                raise errors.bad_request("Deployment %s cannot use bundle %s: %s" % (
                    dep.id, bundle_id, "; ".join(m["message"] for m in blocking)))
        with self.lock:
            for key, current in (("infraId", dep.infra_id), ("publishedProjectKey", dep.published_project_key),
                                 ("id", dep.id)):
                if settings.get(key, current) != current:
                    raise errors.bad_request("%s of deployment %s cannot be changed" % (key, dep.id))
            bundle_id = settings.get("bundleId", dep.settings_bundle_id)
            self._bundle(dep.published_project_key, bundle_id)  # [I] an unpublished bundle is refused (400)
            dep.settings_bundle_id = bundle_id
            dep.deployed_project_key = settings.get("deployedProjectKey") or dep.deployed_project_key
            dep.extra_settings = {k: v for k, v in settings.items()
                                  if k not in ("id", "infraId", "bundleId", "publishedProjectKey",
                                               "deployedProjectKey")}

    def start_update(self, dep: Deployment, requester: str) -> SimFuture:
        """Start an update to the settings' bundle; it ends after the behaviour's duration. Returns its future."""
        self.settle()
        with self.lock:
            if dep.pending is not None:  # [I] one update at a time per deployment
                raise errors.conflict("Deployment %s is already being updated" % dep.id)
            now = clock.now()
            pending = PendingUpdate(dep.id, dep.settings_bundle_id, now, now + dep.behaviour.duration,
                                    dep.behaviour, requester, lock=self.lock)
            dep.pending = pending
            dep.started_updates.append(dep.settings_bundle_id)
            return self.design.futures.add(pending, requester)

    def settle(self) -> None:
        """Apply every update whose end has passed; drop aborted ones."""
        now = clock.now()
        with self.lock:
            for dep in self.deployments.values():
                pending = dep.pending
                if pending is None:
                    continue
                if pending.aborted:
                    dep.pending = None
                elif now >= pending.end:
                    self._apply(dep, pending, pending.behaviour)

    def _apply(self, dep: Deployment, pending: PendingUpdate, behaviour: UpdateBehaviour) -> None:
        infra = self.infras[dep.infra_id]
        bundle = self._bundle(dep.published_project_key, pending.bundle_id)
        logs = ["Updating deployment %s to bundle %s on %s" % (dep.id, pending.bundle_id, infra.id)]
        status = behaviour.result
        if not infra.nodes:
            status = "ERROR"
            logs.append("Infrastructure %s has no automation node" % infra.id)
        if status == "ERROR":
            dep.health = "ERROR"
            messages = [shapes.health_message("ERROR", "Deployment update failed",
                                              "Simulated failure of the update of %s to bundle %s"
                                              % (dep.id, pending.bundle_id))]
        else:
            for node in infra.nodes:
                node.install_bundle(dep.deployed_project_key, bundle.snapshot)
                node.set_down_until(pending.end + behaviour.node_down_for)
                logs.append("Bundle %s activated on %s" % (pending.bundle_id, node.node_id))
            dep.bundle_id = pending.bundle_id
            dep.health = behaviour.health_for(pending.bundle_id)
            messages = []
            if status == "WARNING":
                messages.append(shapes.health_message("WARNING", "Deployment updated with warnings",
                                                      "Simulated warning"))
            if dep.health not in ("HEALTHY", "UNKNOWN"):
                messages.append(shapes.health_message("ERROR" if dep.health == "ERROR" else "WARNING",
                                                      "Deployment is %s" % dep.health,
                                                      "Simulated health of bundle %s" % pending.bundle_id))
        logs.append("Update finished: %s" % status)
        dep.health_messages = messages
        pending.messages = messages
        pending.record = UpdateRecord(pending.start, pending.end, status, pending.requester, pending.bundle_id, logs)
        dep.updates.append(pending.record)
        pending.applied = True
        dep.pending = None

    # ----------------------------------------------------------------------------- automation nodes
    def target_nodes(self, dep: Deployment, automation_node_id: Optional[str], required: bool) -> List[Node]:
        infra = self.infra(dep.infra_id)
        if automation_node_id:
            node = infra.node(automation_node_id)
            if node is None:
                raise errors.bad_request("Automation node %s is not part of infrastructure %s"
                                         % (automation_node_id, infra.id))
            return [node]
        if required and infra.type == "MULTI_NODE":
            # [I] API docstring: "for multi-node deployments only, you need to specify the automation node id"
            raise errors.bad_request("automationNodeId is required: deployment %s runs on the multi-node "
                                     "infrastructure %s (nodes: %s)"
                                     % (dep.id, infra.id, ", ".join(n.node_id for n in infra.nodes)))
        return list(infra.nodes)

    @staticmethod
    def reach(node: Node) -> None:
        down = node.down_remaining()
        if down > 0:
            # [U] how the Deployer reports an automation node it cannot reach
            raise errors.DSSError(500, errors.UNKNOWN_ERROR, "Automation node %s is not reachable (HTTP 503, "
                                  "restarting for %.1fs more)" % (node.node_id, down))

    def node_testing_status(self, dep: Deployment, node: Node, bundle_id: Optional[str]) -> Dict[str, Any]:
        self.reach(node)
        with node.lock:
            project = node.project(dep.deployed_project_key)
            return testing.testing_status(project, True, bundle_id, clock.now())

    def run_tests_on(self, dep: Deployment, node: Node, user: str) -> Dict[str, Any]:
        """Fire every test scenario of the deployed project on `node`; the status at launch [U]."""
        self.reach(node)
        with node.lock:
            project = node.project(dep.deployed_project_key)
            for sc in list(project.scenarios.values()):
                if sc.marked_as_test:
                    node.fire(project, sc.id, {}, user)
            return testing.testing_status(project, True, None, clock.now())
