"""The "Deployment test status" macro: every deployment of a published project, with its bundle, health and gate.

Each deployment is judged by the same gate as the steps (`check_deployment_gate`, default policy) for the bundle
it runs now. A deployment that cannot be read is shown with the reason instead of hiding the others.
"""

import logging
from dataclasses import dataclass, field
from typing import List, Optional

from ..dss.deployments import deployment_ids, read_deployment, read_health, running_bundle
from ..gate.check import check_deployment_gate
from ..gate.verdict import GatePolicy, Verdict
from ..reports.pages import render
from ..settings import Field, NodeSettings
from .failures import describe_failure
from .fields import F_DEPLOYER, DeploymentRef, connect_deployer

log = logging.getLogger(__name__)

F_PUBLISHED_PROJECT = Field("published_project_key", "Published project")


@dataclass(frozen=True)
class StatusSettings:
    published_project_key: Optional[str]  # None: this project's key
    deployer: Optional[NodeSettings]

    @classmethod
    def read(cls, context) -> "StatusSettings":
        return cls(published_project_key=context.reader.identifier(F_PUBLISHED_PROJECT, required=False),
                   deployer=context.node_preset(F_DEPLOYER))


@dataclass
class DeploymentRow:
    deployment_id: str
    infra_id: str = ""
    stage: str = ""
    bundle_id: str = ""
    health: str = ""
    health_messages: List[str] = field(default_factory=list)
    verdict: Optional[Verdict] = None
    error: str = ""


def deployment_test_status(context) -> str:
    """Entry point of python-runnables/deployment-test-status: the HTML matrix."""
    settings = StatusSettings.read(context)
    published = settings.published_project_key or context.project_key
    # connect_deployer only needs to know which Deployer; no single deployment is concerned here.
    deployer, where = connect_deployer(context, DeploymentRef(deployer=settings.deployer, deployment_id=""))
    rows = [_row(deployer, deployment_id, where) for deployment_id in deployment_ids(deployer, published, where)]
    return render("macro_status.html", published=published, where=where, rows=rows, policy=GatePolicy())


def _row(deployer, deployment_id: str, where: str) -> DeploymentRow:
    row = DeploymentRow(deployment_id=deployment_id)
    try:
        info = read_deployment(deployer, deployment_id, where)
        row.infra_id, row.stage, row.bundle_id = info.infra_id, info.stage or "", info.running_bundle_id or "?"
        health = read_health(deployer, deployment_id, where)
        row.health, row.health_messages = health.status, health.messages
        row.verdict = check_deployment_gate(deployer, info, running_bundle(info), GatePolicy(), where=where)
    except Exception as error:  # noqa: BLE001 - one deployment DSS cannot describe must not hide the others
        row.error = describe_failure(error, "macro")
        log.warning("Deployment %s: %s", deployment_id, row.error)
    return row
