"""The "Automate Deployment" scenario: its settings and its five steps, built from UI steps only.

Create bundle -> Deploy bundle to QA -> Run test scenarios on QA -> Assert QA tests clean -> Deploy bundle to
Production (gated on QA for the same bundle, so it refuses even if the assert step is removed).
Pure: nothing here calls DSS.
"""

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .deploy_step import F_ROLLBACK
from .errors import SettingsError
from .run_tests_step import RunTestsSettings
from .scenario_steps import (
    ASSERT_STEP,
    DEPLOY_STEP,
    RUN_TESTS_STEP,
    create_bundle_step,
    plugin_step,
    preset_reference,
)
from .settings import ConfigReader, Field

F_QA_DEPLOYMENT = Field("qa_deployment_id", "QA deployment")
F_PROD_DEPLOYMENT = Field("prod_deployment_id", "Production deployment")
F_SCENARIO_ID = Field("scenario_id", "Scenario id")
F_SCENARIO_NAME = Field("scenario_name", "Scenario name")
F_BUNDLE_PATTERN = Field("bundle_id_pattern", "Bundle id")
F_QA_NODE_PRESETS = Field("qa_node_presets", "QA Automation node presets")
F_DEPLOYER_PRESET = Field("deployer_preset", "Deployer preset")

DEFAULT_SCENARIO_ID = "AUTOMATE_DEPLOYMENT"
DEFAULT_SCENARIO_NAME = "Automate Deployment"
DEFAULT_BUNDLE_PATTERN = "release"
# The scenario variable the Create bundle step sets and the later steps read.
BUNDLE_VARIABLE = "bundle_id"

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_.]+")
_SCENARIO_ID = re.compile(r"[A-Za-z0-9_]+")
# [I] DSS bundle ids: letters, digits, '_', '-' and '.'.
_BUNDLE_CHARS = re.compile(r"[A-Za-z0-9_.-]*")
_ID_CHARS = re.compile(r"[^/\\?#%\s]*")


@dataclass(frozen=True)
class AutomateSettings:
    qa_deployment: str
    prod_deployment: str
    scenario_id: str
    scenario_name: str
    bundle_pattern: str
    qa_node_presets: Tuple[str, ...]
    deployer_preset: Optional[str]
    parallelism: int
    scenario_timeout: int
    retries: int
    rollback: bool
    report_folder: Optional[str]

    @classmethod
    def read(cls, reader: ConfigReader) -> "AutomateSettings":
        qa = read_template(reader, F_QA_DEPLOYMENT, _ID_CHARS, "ids contain no '/', '\\', '?', '#', '%' or spaces")
        prod = read_template(reader, F_PROD_DEPLOYMENT, _ID_CHARS,
                             "ids contain no '/', '\\', '?', '#', '%' or spaces")
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
        return cls(
            qa_deployment=qa,
            prod_deployment=prod,
            scenario_id=scenario_id,
            scenario_name=reader.text(F_SCENARIO_NAME, default=DEFAULT_SCENARIO_NAME),
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
        )


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
    for name in _REFERENCE.findall(value):
        if not _VARIABLE_NAME.fullmatch(name.strip()):
            raise SettingsError("Setting %s refers to ${%s}, which is not a variable name." % (field.describe(), name))
    if not allowed.fullmatch(_REFERENCE.sub("", value)) or "${" in _REFERENCE.sub("", value):
        raise SettingsError("Setting %s has the value %r, which is not valid: %s (plus ${variable} references)."
                            % (field.describe(), value, rule))
    return value


def has_variables(value: str) -> bool:
    return bool(_REFERENCE.search(value))


def build_steps(settings: AutomateSettings, published_project_key: Optional[str] = None) -> List[Dict[str, Any]]:
    """The five steps, in order. Presets are stored as references by name: no key goes into the scenario."""
    deployer = {"deployer": preset_reference(settings.deployer_preset)} if settings.deployer_preset else {}
    nodes = [preset_reference(name) for name in settings.qa_node_presets]
    bundle = "${%s}" % BUNDLE_VARIABLE
    reports = {"report_folder": settings.report_folder} if settings.report_folder else {}
    qa, prod = settings.qa_deployment, settings.prod_deployment
    return [
        create_bundle_step("create_bundle", "Create bundle", settings.bundle_pattern, BUNDLE_VARIABLE,
                           published_project_key),
        plugin_step("deploy_qa", "Deploy bundle to QA", DEPLOY_STEP, dict(
            deployer, deployment_id_text=qa, bundle_source="explicit", bundle_id=bundle,
            rollback=settings.rollback, variable_prefix="deploy_qa")),
        plugin_step("run_tests_qa", "Run test scenarios on QA", RUN_TESTS_STEP, dict(
            deployer, **reports, target="deployment", deployment_id_text=qa,
            # Without node presets the Deployer runs the tests (DSS 14.1+), with counts only.
            node_access="presets" if nodes else "deployer", automation_nodes=nodes,
            parallelism=settings.parallelism, scenario_timeout_s=settings.scenario_timeout,
            retries=settings.retries, fail_fast=False, if_running="wait", variable_prefix="tests_qa",
            # As the tutorial's QA hook: failing tests are recorded, and the gate below stops the bundle.
            on_test_failure="continue")),
        plugin_step("assert_qa_clean", "Assert QA tests clean", ASSERT_STEP, dict(
            deployer, **reports, source="deployment", deployment_id_text=qa, bundle_mode="explicit", bundle_id=bundle,
            automation_nodes=nodes, variable_prefix="gate_qa")),
        plugin_step("deploy_prod", "Deploy bundle to Production", DEPLOY_STEP, dict(
            deployer, deployment_id_text=prod, bundle_source="explicit", bundle_id=bundle,
            gate_deployment_id_text=qa, gate_automation_nodes=nodes, rollback=settings.rollback,
            variable_prefix="deploy_prod")),
    ]
