"""The Govern options several components share: their fields and readers, the sign-off check, and posting the
QA verdict to the bundle's sign-off."""

import hashlib
import uuid
from typing import Callable, Optional

from ..dss.govern import Attachment, BundleRef, connect_govern
from ..dss.nodes import node_id_of
from ..errors import PluginError, SettingsError
from ..gate.check import Recheck
from ..gate.signoff import DEFAULT_STEP, FeedbackSpec, SignoffSpec, SignoffVerdict, check_signoff
from ..gate.verdict import Verdict
from ..settings import ConfigReader, Field, NodeSettings, read_node_preset
from ..testing.discovery import find_caller
from .fields import MAX_SECONDS

F_GOVERN = Field("govern", "Govern node")
F_SIGNOFF_STEP = Field("signoff_step", "Sign-off workflow step")
F_SIGNOFF_WAIT = Field("signoff_wait_s", "Wait for a pending sign-off up to (s)")
F_SIGNOFF_INTERVAL = Field("signoff_interval_s", "Sign-off re-check interval (s)")
F_BUNDLE_NODE_ID = Field("bundle_node_id", "Node id of the bundle's Design node")
F_POST_FEEDBACK = Field("post_feedback", "Post the verdict to Govern")
F_FEEDBACK_GROUP = Field("feedback_group", "Govern feedback group")
F_ATTACH_FIELD = Field("attach_field", "Attach the verdict to File field")


def read_signoff_spec(reader: ConfigReader) -> SignoffSpec:
    """Which sign-off to require, and how long to wait while it is pending."""
    return SignoffSpec(
        step_id=reader.identifier(F_SIGNOFF_STEP, required=False, default=DEFAULT_STEP),
        recheck=Recheck(until=float(reader.integer(F_SIGNOFF_WAIT, default=0, minimum=0, maximum=MAX_SECONDS)),
                        interval=float(reader.integer(F_SIGNOFF_INTERVAL, default=60, minimum=1, maximum=3600))),
        node_id=reader.identifier(F_BUNDLE_NODE_ID, required=False) or "",
    )


def read_feedback_spec(reader: ConfigReader, signoff: SignoffSpec) -> Optional[FeedbackSpec]:
    """Where to post the QA verdict in Govern (on the sign-off `signoff` names), or None when it is not posted."""
    if not reader.boolean(F_POST_FEEDBACK, default=False):
        return None
    return FeedbackSpec(group_id=reader.identifier(F_FEEDBACK_GROUP), step_id=signoff.step_id,
                        file_field=reader.identifier(F_ATTACH_FIELD, required=False) or "")


def read_govern_preset(reader: ConfigReader, redactor=None, why: str = "") -> NodeSettings:
    """The `govern-node` preset, required when a Govern option is on; `why` says which."""
    govern = read_node_preset(reader.raw(F_GOVERN), F_GOVERN, kind="Govern node")
    if govern is None:
        raise SettingsError("Setting %s is required %s: pick a Govern node preset (its URL and a Govern API key)."
                            % (F_GOVERN.describe(), why))
    if redactor is not None:
        redactor.add(govern.api_key)
    return govern


def bundle_ref(context, spec: SignoffSpec, project_key: str, bundle_id: str) -> BundleRef:
    """The bundle as Govern knows it: the node it was created on is the setting, else the node the component runs
    on."""
    if spec.node_id:
        return BundleRef(spec.node_id, project_key, bundle_id)
    try:
        node_id = node_id_of(context.local_client(), "this node")
    except PluginError as error:
        raise PluginError("Bundle %s of project %s could not be looked for in Govern: %s Or set %s." % (
            bundle_id, project_key, error, F_BUNDLE_NODE_ID.describe())) from error
    return BundleRef(node_id, project_key, bundle_id)


def signoff_check(context, govern: NodeSettings, spec: SignoffSpec) -> Callable[[str, str], SignoffVerdict]:
    """Given a bundle id and its project key, the verdict of its Govern sign-off (waiting while it is pending)."""
    gc = connect_govern(govern, context.policy, context.stop)

    def check(bundle_id: str, project_key: str) -> SignoffVerdict:
        ref = bundle_ref(context, spec, project_key, bundle_id)
        return check_signoff(gc, ref, spec, "Govern at %s" % govern.url, context.stop)

    return check


def verdict_marker(variables, verdict: Verdict) -> str:
    """A name for this verdict of this scenario run, that its feedback carries: the same step retried within the
    run finds its feedback and does not post it again. Outside a known run, a name of its own."""
    caller = find_caller(variables)
    run = "%s/%s/%s" % (caller.project_key, caller.scenario_id, caller.run_id) if caller and caller.run_id else \
        uuid.uuid4().hex
    key = "%s|%s|%s" % (run, verdict.subject, verdict.bundle_id)
    return "tgd-%s" % hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def post_verdict(context, govern: NodeSettings, spec: FeedbackSpec, signoff: SignoffSpec, verdict: Verdict,
                 project_key: str):
    """The verdict as feedback on the bundle's Govern sign-off, with its record (the page, `verdict.json` and DSS's
    JUnit report of each node judged) attached when a field is named."""
    # Imported here: the report code and Jinja2 cost a component that posts nothing about 30 ms of start-up.
    from ..reports.govern_feedback import publish_verdict
    from ..reports.verdicts import deciding_run, evidence_reports, verdict_files
    files = verdict_files(verdict, deciding_run(context.variables)) + evidence_reports(verdict)
    reports = [Attachment(name, context.redactor.mask(data.decode("utf-8", "replace")).encode("utf-8"))
               for name, data in files] if spec.file_field else []
    ref = bundle_ref(context, signoff, project_key, verdict.bundle_id)
    gc = connect_govern(govern, context.policy, context.stop)
    return publish_verdict(gc, ref, spec, verdict, verdict_marker(context.variables, verdict), reports,
                           "Govern at %s" % govern.url, context.redactor.mask)
