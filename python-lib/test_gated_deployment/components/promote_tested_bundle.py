"""The "Promote tested bundle" macro: a human-in-the-loop promotion of the bundle QA runs to Production.

It goes through `release.promotion.promote`, the same gate, update and rollback as the "Deploy bundle" step. A
refused or failed promotion is a result shown on the page; only bad settings and DSS errors fail the macro.
"""

import logging
from dataclasses import dataclass, replace
from typing import Optional, Tuple

from ..dss.deployments import read_deployment, read_health, running_bundle
from ..errors import PluginError
from ..gate.check import Recheck
from ..gate.signoff import FeedbackSpec, SignoffSpec, refusal
from ..gate.verdict import GatePolicy
from ..release.promotion import GateSpec, Promotion, PromotionOptions, check_gate, promote, same_published_project
from ..release.update import UpdateOptions, is_in_place
from ..reports.pages import render
from ..settings import Field, NodeSettings
from .fields import (
    F_ROLLBACK,
    DeploymentRef,
    QaAndProduction,
    connect_deployer,
    read_gate_policy,
    read_update_options,
)
from .govern_options import (
    F_POST_FEEDBACK,
    post_verdict,
    read_feedback_spec,
    read_govern_preset,
    read_signoff_spec,
    signoff_check,
)

log = logging.getLogger(__name__)

F_DRY_RUN = Field("dry_run", "Dry run")
F_REQUIRE_SIGNOFF = Field("require_signoff", "Require Govern sign-off")

DRY_RUN = "dry_run"


@dataclass(frozen=True)
class PromoteSettings:
    deployer: Optional[NodeSettings]
    qa_deployment_id: str
    prod_deployment_id: str
    qa_nodes: Tuple[NodeSettings, ...]
    policy: GatePolicy
    dry_run: bool
    update: UpdateOptions
    rollback: bool
    feedback: Optional[FeedbackSpec] = None   # post QA's verdict to the bundle's Govern sign-off
    require_signoff: bool = False
    govern: Optional[NodeSettings] = None
    signoff: SignoffSpec = SignoffSpec()

    @classmethod
    def read(cls, context) -> "PromoteSettings":
        reader = context.reader
        pair = QaAndProduction.read(context)
        # A macro answers a person who waits for the page: the sign-off is checked once.
        signoff = replace(read_signoff_spec(reader), recheck=Recheck())
        feedback = read_feedback_spec(reader, signoff)
        require_signoff = reader.boolean(F_REQUIRE_SIGNOFF, default=False)
        return cls(
            deployer=pair.deployer,
            qa_deployment_id=pair.qa_deployment_id,
            prod_deployment_id=pair.prod_deployment_id,
            qa_nodes=pair.qa_nodes,
            policy=read_gate_policy(reader),
            # Default on: a macro run by mistake must not deploy to Production.
            dry_run=reader.boolean(F_DRY_RUN, default=True),
            update=read_update_options(reader),
            rollback=reader.boolean(F_ROLLBACK, default=True),
            feedback=feedback,
            require_signoff=require_signoff,
            govern=(read_govern_preset(reader, context.redactor, "when '%s' or '%s' is ticked" % (
                F_POST_FEEDBACK.label, F_REQUIRE_SIGNOFF.label)) if feedback or require_signoff else None),
            signoff=signoff,
        )


def promote_tested_bundle(context) -> str:
    """Entry point of python-runnables/promote-tested-bundle: the HTML page of the verdict and what was done."""
    settings = PromoteSettings.read(context)
    deployer, where = connect_deployer(context, DeploymentRef(settings.deployer, settings.prod_deployment_id))
    qa = read_deployment(deployer, settings.qa_deployment_id, where)
    prod = read_deployment(deployer, settings.prod_deployment_id, where)
    same_published_project(qa, prod)
    if running_bundle(qa) != qa.bundle_id:
        raise PluginError(
            "%s is set to bundle %s but runs bundle %s (out of sync), so which bundle QA tested is unclear. Update "
            "or roll back %s first." % (qa.subject, qa.bundle_id, qa.running_bundle_id, qa.subject))
    gate = GateSpec(qa.deployment_id, settings.policy, settings.qa_nodes)
    record = Promotion.start(prod, qa.bundle_id)
    signoff = signoff_check(context, settings.govern, settings.signoff) if settings.require_signoff else None
    if settings.dry_run:
        record.verdict = check_gate(deployer, gate, qa.bundle_id, where, context.node_client, prod, context.stop)
        if signoff is not None:
            record.signoff = signoff(qa.bundle_id, prod.published_project_key)
        in_place = is_in_place(deployer, prod, qa.bundle_id, where)
        record.outcome, record.message = DRY_RUN, _dry_run_story(record, gate.policy, settings.rollback, in_place)
    else:
        options = PromotionOptions(gate=gate, update=settings.update, rollback=settings.rollback, signoff=signoff)
        promote(deployer, prod, record, options, where, context.node_client, context.stop)
    if settings.feedback is not None and record.verdict is not None:
        record.message += " " + _post(context, settings, record, prod.published_project_key)
    log.info(record.message)
    after = read_deployment(deployer, prod.deployment_id, where)
    health = read_health(deployer, prod.deployment_id, where)
    return render("macro_promote.html", qa=qa, prod=prod, record=record, policy=gate.policy, where=where,
                  after_bundle=after.bundle_id, after_health=health.status, after_messages=health.messages)


def _post(context, settings: PromoteSettings, record: Promotion, project_key: str) -> str:
    """Posts QA's verdict to the bundle's Govern sign-off; what happened, for the page (a failure is shown there,
    not raised: the promotion's outcome stands)."""
    try:
        published = post_verdict(context, settings.govern, settings.feedback, settings.signoff, record.verdict,
                                 project_key)
    except PluginError as error:
        log.error("The test verdict was not posted to Govern: %s", error)
        return "QA's verdict was NOT posted to Govern: %s" % error
    story = "QA's verdict was posted to the Govern sign-off of bundle %s as feedback %s." % (record.bundle_id,
                                                                                            published.status)
    if published.unattached:
        story += " Its record was NOT attached: %s" % published.unattached
    return story


def _dry_run_story(record: Promotion, policy: GatePolicy, rollback: bool, in_place: Optional[str]) -> str:
    if record.verdict.blocks(policy) or (record.signoff is not None and not record.signoff.passed):
        why = record.verdict.message() if record.verdict.blocks(policy) else refusal(record.signoff)
        return ("Dry run: the promotion of bundle %s to %s would be refused (%s), so nothing would change. Nothing "
                "was changed." % (record.bundle_id, record.subject, why))
    if in_place:
        return ("Dry run: %s already runs bundle %s and is %s; a real run would leave it alone. Nothing was changed."
                % (record.subject, record.bundle_id, in_place))
    return ("Dry run: the gate lets bundle %s through; a real run would update %s from bundle %s to it%s. Nothing "
            "was changed. Untick 'Dry run' to promote." % (
                record.bundle_id, record.subject, record.previous_bundle,
                ", rolling back to %s on failure" % record.previous_bundle if rollback else ""))
