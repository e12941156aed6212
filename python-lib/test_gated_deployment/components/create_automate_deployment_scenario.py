"""The "Create Automate Deployment scenario" macro: writes (or updates, never duplicates) the pipeline scenario.

Before it writes anything it checks what the scenario will name (the "DSS node" presets and the report folder),
then runs the pipeline readiness check (`release.readiness`) with those presets: a misspelt name or a red line is
refused here rather than at step 3 of the next pipeline run, after QA already got an untested bundle. "Write
anyway" writes the scenario all the same, and the page says what was not right.
"""

import logging
import re
from dataclasses import dataclass
from typing import List, Optional

from ..dss.folders import managed_folders
from ..dss.presets import PresetNames, preset_names
from ..dss.scenario_steps import GOVERN_PARAMETER_SET, NODE_PARAMETER_SET, PLUGIN_ID
from ..dss.scenario_writer import write_step_scenario
from ..errors import SettingsError
from ..release.pipeline import Pipeline
from ..release.readiness import PipelinePlan, Readiness, check_readiness
from ..reports.pages import render, ui_path
from ..settings import VARIABLE_REFERENCE, ConfigReader, Field, NodeSettings, has_variables, read_node_preset
from ..testing.discovery import Caller
from .fields import F_PROD_DEPLOYMENT, F_QA_DEPLOYMENT, F_ROLLBACK, MAX_SECONDS
from .govern_options import F_FEEDBACK_GROUP, F_SIGNOFF_WAIT
from .run_settings import F_REPORT_FOLDER, RunTestsSettings

log = logging.getLogger(__name__)

WHERE = "this node"
DEPLOYER_WHERE = "the Deployer of this node"

F_SCENARIO_ID = Field("scenario_id", "Scenario id")
F_SCENARIO_NAME = Field("scenario_name", "Scenario name")
F_BUNDLE_PATTERN = Field("bundle_id_pattern", "Bundle id")
F_QA_NODE_PRESETS = Field("qa_node_presets", "QA Automation node presets")
F_DEPLOYER_PRESET = Field("deployer_preset", "Deployer preset")
F_WRITE_UNCHECKED = Field("write_unchecked", "Write anyway")
F_GOVERN_PRESET = Field("govern_preset", "Govern preset")

DEFAULT_SCENARIO_ID = "AUTOMATE_DEPLOYMENT"
DEFAULT_SCENARIO_NAME = "Automate Deployment"
DEFAULT_BUNDLE_PATTERN = "release"

_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_.]+")
_SCENARIO_ID = re.compile(r"[A-Za-z0-9_]+")
# [I] DSS bundle ids: letters, digits, '_', '-' and '.'.
_BUNDLE_CHARS = re.compile(r"[A-Za-z0-9_.-]*")
_ID_CHARS = re.compile(r"[^/\\?#%\s]*")
_ID_RULE = "ids contain no '/', '\\', '?', '#', '%' or spaces"


@dataclass(frozen=True)
class AutomateSettings:
    scenario_id: str
    scenario_name: str
    pipeline: Pipeline
    write_unchecked: bool = False

    @classmethod
    def read(cls, reader: ConfigReader) -> "AutomateSettings":
        qa = read_template(reader, F_QA_DEPLOYMENT, _ID_CHARS, _ID_RULE)
        prod = read_template(reader, F_PROD_DEPLOYMENT, _ID_CHARS, _ID_RULE)
        if qa == prod:
            raise SettingsError("Settings %s and %s are both %r: the scenario promotes from QA to another deployment. "
                                "Pick the Production deployment." % (F_QA_DEPLOYMENT.describe(),
                                                                     F_PROD_DEPLOYMENT.describe(), qa))
        scenario_id = reader.text(F_SCENARIO_ID, default=DEFAULT_SCENARIO_ID)
        if not _SCENARIO_ID.fullmatch(scenario_id):
            raise SettingsError("Setting %s must contain only letters, digits and '_', got %r."
                                % (F_SCENARIO_ID.describe(), scenario_id))
        # The test settings are read by the Run test scenarios step's own reader, so the step accepts what is written.
        tests = RunTestsSettings.read(reader)
        govern = reader.text(F_GOVERN_PRESET)
        feedback_group = reader.identifier(F_FEEDBACK_GROUP, required=False)
        signoff_wait = reader.integer(F_SIGNOFF_WAIT, default=0, minimum=0, maximum=MAX_SECONDS)
        if not govern and (feedback_group or signoff_wait):
            given = (F_FEEDBACK_GROUP if feedback_group else F_SIGNOFF_WAIT).describe()
            raise SettingsError("Setting %s is set, but %s is empty: the Govern steps need a Govern preset. Name one, "
                                "or clear %s." % (given, F_GOVERN_PRESET.describe(), given))
        pipeline = Pipeline(
            qa_deployment=qa,
            prod_deployment=prod,
            bundle_pattern=read_template(reader, F_BUNDLE_PATTERN, _BUNDLE_CHARS,
                                         "bundle ids use letters, digits, '_', '-' and '.'",
                                         default=DEFAULT_BUNDLE_PATTERN),
            qa_node_presets=tuple(reader.strings(F_QA_NODE_PRESETS)),
            deployer_preset=reader.text(F_DEPLOYER_PRESET),
            parallelism=tests.options.parallelism,
            scenario_timeout=int(tests.options.scenario_timeout),
            retries=tests.options.retries,
            rollback=reader.boolean(F_ROLLBACK, default=True),
            report_folder=tests.report_folder,
            govern_preset=govern,
            feedback_group=feedback_group,
            signoff_wait=signoff_wait,
        )
        return cls(scenario_id=scenario_id, scenario_name=reader.text(F_SCENARIO_NAME, default=DEFAULT_SCENARIO_NAME),
                   pipeline=pipeline, write_unchecked=reader.boolean(F_WRITE_UNCHECKED, default=False))


def read_template(reader: ConfigReader, field: Field, allowed, rule: str, default: Optional[str] = None) -> str:
    """A value written into the scenario as is: `${variable}` references are kept for DSS to expand at run time,
    and the rest must fit `allowed`."""
    value = reader.raw(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise SettingsError("Setting %s is required: enter a value." % field.describe())
        return default
    if not isinstance(value, str):
        raise SettingsError("Setting %s must be text, got %s." % (field.describe(), type(value).__name__))
    value = value.strip()
    for name in VARIABLE_REFERENCE.findall(value):
        if not _VARIABLE_NAME.fullmatch(name.strip()):
            raise SettingsError("Setting %s refers to ${%s}, which is not a variable name." % (field.describe(), name))
    if not allowed.fullmatch(VARIABLE_REFERENCE.sub("", value)) or "${" in VARIABLE_REFERENCE.sub("", value):
        raise SettingsError("Setting %s has the value %r, which is not valid: %s (plus ${variable} references)."
                            % (field.describe(), value, rule))
    return value


def create_automate_deployment_scenario(context) -> str:
    """Entry point of python-runnables/create-automate-deployment-scenario: the HTML page of what was written, or
    of the red lines that kept it from being written."""
    settings = AutomateSettings.read(context.reader)
    client = context.local_client()
    notes: List[str] = []
    presets = _check_presets(client, context.project_key, settings, notes)
    _check_report_folder(client, context.project_key, settings.pipeline.report_folder)
    readiness = _readiness(context, client, settings, presets, notes)
    page = dict(project_key=context.project_key, settings=settings, outline=settings.pipeline.outline(),
                readiness=readiness)
    if readiness is not None and not readiness.ready:
        if not settings.write_unchecked:
            return render("macro_create_scenario.html", written=None, **page)
        notes.append("Written although the readiness check has %d red line(s), since %s is on: fix them before "
                     "the first run." % (len(readiness.failures), F_WRITE_UNCHECKED.describe()))
    published = readiness.published_project if readiness is not None else None
    written = write_step_scenario(client, context.project_key, settings.scenario_id, settings.scenario_name,
                                  settings.pipeline.steps(published), WHERE)
    written.notes[:0] = notes
    return render("macro_create_scenario.html", written=written,
                  steps_url=ui_path("projects", context.project_key, "scenarios", written.scenario_id, "steps"),
                  **page)


class _Unresolved(Exception):
    """A preset the readiness check needs cannot be read by this macro."""


def _readiness(context, client, settings: AutomateSettings, presets: Optional[PresetNames],
               notes: List[str]) -> Optional[Readiness]:
    """The readiness check of the pipeline the scenario will run, or None (with a note) when it cannot run here."""
    pipeline = settings.pipeline
    if has_variables(pipeline.qa_deployment) or has_variables(pipeline.prod_deployment):
        notes.append("The deployment ids hold variables, expanded when the scenario runs: the readiness check was "
                     "not run. Run the Check pipeline readiness macro with the ids they expand to.")
        return None
    try:
        deployer = _resolve(context, presets, pipeline.deployer_preset, F_DEPLOYER_PRESET)
        qa_nodes = [_resolve(context, presets, name, F_QA_NODE_PRESETS) for name in pipeline.qa_node_presets]
    except _Unresolved as why:
        notes.append("The readiness check was not run: %s. Run the Check pipeline readiness macro, which is given "
                     "the presets themselves." % why)
        return None
    where = "the Deployer of preset '%s'" % pipeline.deployer_preset if deployer else DEPLOYER_WHERE
    plan = PipelinePlan(qa_deployment=pipeline.qa_deployment, prod_deployment=pipeline.prod_deployment,
                        qa_node_presets=qa_nodes, caller=Caller(context.project_key, settings.scenario_id))
    return check_readiness(context.node_client(deployer) if deployer else client, where, plan, context.node_client)


def _resolve(context, presets: Optional[PresetNames], name: Optional[str], field: Field) -> Optional[NodeSettings]:
    if not name:
        return None
    config = presets.config(name) if presets is not None else None
    if config is None:
        raise _Unresolved("the values of preset '%s' could not be read" % name)
    try:
        node = read_node_preset(config, field)
    except SettingsError as error:
        # [U] DSS may keep a preset's PASSWORD value from the API: then its key is not there to use.
        raise _Unresolved("preset '%s' does not give this macro a usable URL and key (%s)" % (name, error)) from None
    context.redactor.add(node.api_key)
    return node


def _check_report_folder(client, project_key: str, folder: Optional[str]):
    """The report folder the steps will write to exists in the project (by id or name); else nothing is written."""
    if not folder or has_variables(folder):
        return
    folders = managed_folders(client, project_key, WHERE)
    if not any(folder in pair for pair in folders):
        known = ", ".join("%s (%s)" % pair for pair in folders) or "none"
        raise SettingsError("Setting %s names managed folder %s, which project %s does not have (its folders: %s). "
                            "Nothing was written. Pick one of them, or leave the setting empty."
                            % (F_REPORT_FOLDER.describe(), folder, project_key, known))


def _check_presets(client, project_key: str, settings: AutomateSettings, notes: List[str]) -> Optional[PresetNames]:
    """Every preset the scenario names exists, as an instance or project preset; else nothing is written. The
    "DSS node" presets found, when the scenario names any."""
    pipeline = settings.pipeline
    if pipeline.govern_preset:
        _check_named(client, project_key, settings, notes, GOVERN_PARAMETER_SET, "Govern node",
                     [(F_GOVERN_PRESET, [pipeline.govern_preset])])
    wanted = [(F_DEPLOYER_PRESET, [pipeline.deployer_preset] if pipeline.deployer_preset else []),
              (F_QA_NODE_PRESETS, list(pipeline.qa_node_presets))]
    if not any(names for _, names in wanted):
        return None
    return _check_named(client, project_key, settings, notes, NODE_PARAMETER_SET, "DSS node", wanted)


def _check_named(client, project_key: str, settings: AutomateSettings, notes: List[str], parameter_set: str,
                 label: str, wanted) -> PresetNames:
    found = preset_names(client, PLUGIN_ID, parameter_set, project_key, WHERE)
    known = ", ".join("'%s'" % name for name in found.names) or "none"
    for field, names in wanted:
        missing = ", ".join("'%s'" % name for name in found.missing(names))
        if not missing:
            continue
        if not found.unread:
            raise SettingsError(
                "Setting %s names preset %s, which is not a '%s' preset of this DSS or of project %s (its "
                "presets: %s). Nothing was written. Fix the name, or create the preset in Administration > Plugins > "
                "Test-Gated Deployment > Settings > %s (or in the project's Plugin presets)."
                % (field.describe(), missing, label, project_key, known, label))
        unread = "; ".join(found.unread)
        if not settings.write_unchecked:
            raise SettingsError(
                "Setting %s names preset %s, which was not found, and not every preset list could be read: %s. "
                "Nothing was written. Ask a DSS administrator to run this macro, or check the name and run it again "
                "with %s." % (field.describe(), missing, unread, F_WRITE_UNCHECKED.describe()))
        notes.append("Preset %s of setting %s was not found, and these lists could not be read: %s. Check the name "
                     "before the first run: a step fails on a preset DSS does not have."
                     % (missing, field.describe(), unread))
    return found
