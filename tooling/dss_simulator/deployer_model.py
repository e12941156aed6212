"""The Project Deployer's objects: infrastructures, published projects, deployments and their updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional

from . import futures, shapes
from .project import BundleSnapshot

if TYPE_CHECKING:  # pragma: no cover
    from .node import Node

UPDATE_RESULTS = ("SUCCESS", "WARNING", "ERROR")  # the statuses of a deployment report (reference §4.1)
HEALTHS = ("UNKNOWN", "ERROR", "WARNING", "HEALTHY", "UNHEALTHY", "OUT_OF_SYNC")


@dataclass(frozen=True)
class UpdateBehaviour:
    """How the next updates of a deployment go. `node_down_for`: seconds the automation nodes answer 503 after."""

    duration: float = 0.05
    result: str = "SUCCESS"
    health: str = "HEALTHY"
    health_by_bundle: Mapping[str, str] = field(default_factory=dict)
    node_down_for: float = 0.0
    failure_mode: str = futures.REPORT
    report_key: str = "status"  # the key of the update report's outcome: "status" or "maxSeverity"

    def __post_init__(self) -> None:
        if self.result not in UPDATE_RESULTS:
            raise ValueError("result must be one of %s" % (UPDATE_RESULTS,))
        for health in [self.health, *self.health_by_bundle.values()]:
            if health not in HEALTHS:
                raise ValueError("health must be one of %s" % (HEALTHS,))
        if self.failure_mode not in futures.FAILURE_MODES:
            raise ValueError("failure_mode must be one of %s" % (futures.FAILURE_MODES,))

    def health_for(self, bundle_id: str) -> str:
        return self.health_by_bundle.get(bundle_id, self.health)


@dataclass
class Infra:
    id: str
    stage: str
    nodes: List[Node]
    govern_check_policy: str = "NO_CHECK"
    extra_settings: Dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return "MULTI_NODE" if len(self.nodes) > 1 else "SINGLE_NODE"  # [U] see shapes.infra_settings

    def node(self, node_id: str) -> Optional[Node]:
        return next((n for n in self.nodes if n.node_id == node_id), None)


@dataclass
class PublishedBundle:
    bundle_id: str
    snapshot: BundleSnapshot
    published_on: float
    published_by: str


@dataclass
class PublishedProject:
    key: str
    bundles: Dict[str, PublishedBundle] = field(default_factory=dict)


@dataclass
class UpdateRecord:
    """An entry of a deployment's update history (DSS 14.1+)."""

    start: float
    end: float
    status: str
    requester: str
    bundle_id: str
    logs: List[str]


@dataclass
class PendingUpdate:
    """An update in progress; also the task behind its future. It applies when the deployer settles after `end`."""

    deployment_id: str
    bundle_id: str
    start: float
    end: float
    behaviour: UpdateBehaviour
    requester: str
    applied: bool = False
    aborted: bool = False
    record: Optional[UpdateRecord] = None
    messages: List[Dict[str, Any]] = field(default_factory=list)
    lock: Any = None  # the deployer's lock, so an abort and settle() never interleave

    @property
    def name(self) -> str:
        return "Update of deployment %s" % self.deployment_id

    @property
    def failure_mode(self) -> str:
        return self.behaviour.failure_mode

    def done(self, now: float) -> bool:
        return self.applied or self.aborted

    def failed(self) -> bool:
        return self.aborted or (self.record is not None and self.record.status == "ERROR")

    def result(self) -> Any:
        status = "ERROR" if self.aborted else (self.record.status if self.record else "UNKNOWN")
        return shapes.update_report(status, self.messages, self.behaviour.report_key)

    def abort(self, now: float) -> bool:
        with self.lock:
            if self.applied:
                return False
            self.aborted = True
            return True


@dataclass
class Deployment:
    """`settings_bundle_id` is what the settings ask for; `bundle_id` is what the automation nodes run now."""

    id: str
    published_project_key: str
    infra_id: str
    settings_bundle_id: str
    deployed_project_key: str
    bundle_id: Optional[str] = None
    health: str = "UNKNOWN"
    health_messages: List[Dict[str, Any]] = field(default_factory=list)
    updates: List[UpdateRecord] = field(default_factory=list)
    pending: Optional[PendingUpdate] = None
    started_updates: List[str] = field(default_factory=list)  # the bundle of every update started, in order
    behaviour: UpdateBehaviour = field(default_factory=UpdateBehaviour)
    extra_settings: Dict[str, Any] = field(default_factory=dict)

    @property
    def in_progress(self) -> bool:
        return self.pending is not None

    @property
    def current_health(self) -> str:
        # [I] settings that ask for another bundle than the one deployed make the deployment OUT_OF_SYNC,
        # unless the last update failed (ERROR wins).
        if self.health != "ERROR" and self.settings_bundle_id != self.bundle_id:
            return "OUT_OF_SYNC"
        return self.health
