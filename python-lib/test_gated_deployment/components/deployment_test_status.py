"""The "Deployment test status" macro: every deployment of a published project, with its bundle, health and gate.

Each deployment is judged by the same gate as the steps (`check_deployment_gate`, default policy) for the bundle
it runs now. A stage that runs no tests (Production, by default) is shown as such, with where its bundle passed,
instead of as inconclusive. A deployment that cannot be read is shown with the reason instead of hiding the others.
"""

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..dss.deployments import deployment_ids, read_deployment, read_health, running_bundle
from ..gate.check import check_deployment_gate
from ..gate.verdict import FAIL, PASS, GatePolicy, Verdict
from ..reports.pages import render
from ..reports.verdicts import verdict_record
from ..settings import Field, NodeSettings
from .failures import describe_failure
from .fields import F_DEPLOYER, DeploymentRef, connect_deployer

log = logging.getLogger(__name__)

F_PUBLISHED_PROJECT = Field("published_project_key", "Published project")
F_UNTESTED_STAGES = Field("untested_stages", "Stages without tests")
DEFAULT_UNTESTED_STAGES = ("Production",)


@dataclass(frozen=True)
class StatusSettings:
    published_project_key: Optional[str]  # None: this project's key
    deployer: Optional[NodeSettings]
    untested_stages: List[str]

    @classmethod
    def read(cls, context) -> "StatusSettings":
        reader = context.reader
        stages = DEFAULT_UNTESTED_STAGES if reader.raw(F_UNTESTED_STAGES) is None else reader.strings(F_UNTESTED_STAGES)
        return cls(published_project_key=reader.identifier(F_PUBLISHED_PROJECT, required=False),
                   deployer=context.node_preset(F_DEPLOYER), untested_stages=list(stages))


@dataclass
class DeploymentRow:
    deployment_id: str
    infra_id: str = ""
    stage: str = ""
    bundle_id: str = ""
    health: str = ""
    health_messages: List[str] = field(default_factory=list)
    verdict: Optional[Verdict] = None
    record: Optional[Dict[str, Any]] = None   # the verdict's record: update time, links to the nodes
    untested_stage: bool = False              # its stage runs no tests, it has no result, and its bundle passed
    tested_on: Optional["DeploymentRow"] = None  # a deployment where the same bundle passed the gate
    elsewhere: str = ""                       # what the other deployments say of its bundle, when none passed
    error: str = ""


def deployment_test_status(context) -> str:
    """Entry point of python-runnables/deployment-test-status: the HTML matrix."""
    settings = StatusSettings.read(context)
    published = settings.published_project_key or context.project_key
    # connect_deployer only needs to know which Deployer; no single deployment is concerned here.
    deployer, where = connect_deployer(context, DeploymentRef(deployer=settings.deployer, deployment_id=""))
    untested = [stage.lower() for stage in settings.untested_stages]
    rows = [_row(deployer, deployment_id, where, untested)
            for deployment_id in deployment_ids(deployer, published, where)]
    for row in rows:
        if row.untested_stage:
            _judge_untested(row, rows, published)
    return render("macro_status.html", published=published, where=where, rows=rows, policy=GatePolicy(),
                  untested_stages=settings.untested_stages)


def _judge_untested(row: DeploymentRow, rows: List[DeploymentRow], published: str):
    """A stage without tests is calm only when another deployment passed the gate for the same bundle; otherwise
    its own verdict stands, with what the others say of that bundle."""
    same_bundle = [other for other in rows if other is not row and other.bundle_id == row.bundle_id
                   and other.verdict is not None]
    row.tested_on = next((other for other in same_bundle if other.verdict.status == PASS), None)
    if row.tested_on is not None:
        return
    row.untested_stage = False
    failed = [other.deployment_id for other in same_bundle if other.verdict.status == FAIL]
    row.elsewhere = ("Bundle %s FAILED the gate on deployment %s." % (row.bundle_id, ", ".join(failed)) if failed
                     else "No deployment of %s shows a PASS for bundle %s: check how it got here."
                     % (published, row.bundle_id))


def _row(deployer, deployment_id: str, where: str, untested_stages: List[str]) -> DeploymentRow:
    row = DeploymentRow(deployment_id=deployment_id)
    try:
        info = read_deployment(deployer, deployment_id, where)
        row.infra_id, row.stage, row.bundle_id = info.infra_id, info.stage or "", info.running_bundle_id or "?"
        health = read_health(deployer, deployment_id, where)
        row.health, row.health_messages = health.status, health.messages
        row.verdict = check_deployment_gate(deployer, info, running_bundle(info), GatePolicy(), where=where)
        row.record = verdict_record(row.verdict)
        row.untested_stage = row.stage.lower() in untested_stages and row.verdict.counts["total"] == 0
    except Exception as error:  # noqa: BLE001 - one deployment DSS cannot describe must not hide the others
        row.error = describe_failure(error, "macro")
        log.warning("Deployment %s: %s", deployment_id, row.error)
    return row
