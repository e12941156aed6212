"""The settings of "Run test scenarios", read by the same code in every component that offers them: the step, the
"Run test scenarios now" macro (a subset) and the scenario the "Create Automate Deployment scenario" macro writes."""

from dataclasses import dataclass
from typing import Optional, Tuple

from ..errors import SettingsError
from ..settings import ConfigReader, Field, NodeSettings, read_variable_prefix
from ..testing.discovery import Selection
from ..testing.runner import IF_RUNNING_POLICIES, IF_RUNNING_WAIT, RunOptions
from .fields import F_FAIL_ON_WARNING, MAX_SECONDS, DeploymentRef, read_deployment_ref, read_node_presets

TARGET_THIS_PROJECT = "this_project"
TARGET_OTHER_PROJECT = "other_project"
TARGET_DEPLOYMENT = "deployment"
TARGETS = [TARGET_THIS_PROJECT, TARGET_OTHER_PROJECT, TARGET_DEPLOYMENT]

ACCESS_AUTO = "auto"
ACCESS_PRESETS = "presets"
ACCESS_DEPLOYER = "deployer"
ACCESSES = [ACCESS_AUTO, ACCESS_PRESETS, ACCESS_DEPLOYER]

F_TARGET = Field("target", "Run tests of")
F_PROJECT_KEY = Field("project_key", "Project key")
F_DEPLOYMENT = Field("deployment_id", "Deployment")
F_DEPLOYMENT_TEXT = Field("deployment_id_text", "Deployment id (text or variable)")
F_NODE_ACCESS = Field("node_access", "Reach the Automation node(s)")
F_AUTOMATION_NODES = Field("automation_nodes", "Automation node presets")
F_QUIET_PERIOD = Field("deployer_quiet_period_s", "Quiet period through the Deployer (s)")
F_REPORT_FOLDER = Field("report_folder", "Save reports to folder")
F_SCENARIO_IDS = Field("scenario_ids", "Only these scenarios")
F_INCLUDE_TAGS = Field("include_tags", "Only scenarios tagged")
F_EXCLUDE_TAGS = Field("exclude_tags", "Skip scenarios tagged")
F_PARALLELISM = Field("parallelism", "Parallel runs")
F_SCENARIO_TIMEOUT = Field("scenario_timeout_s", "Timeout per scenario (s)")
F_DEADLINE = Field("deadline_s", "Deadline for the whole step (s)")
F_RETRIES = Field("retries", "Retries of a failed scenario")
F_FAIL_FAST = Field("fail_fast", "Fail fast")
F_ALLOW_NO_TESTS = Field("allow_no_tests", "Pass when no test scenario is found")
F_IF_RUNNING = Field("if_running", "If a scenario is already running")
F_VARIABLE_PREFIX = Field("variable_prefix", "Scenario variables prefix")
F_ON_TEST_FAILURE = Field("on_test_failure", "When a test scenario fails")
ON_FAILURE_FAIL = "fail"
ON_FAILURE_CONTINUE = "continue"

MAX_PARALLELISM = 64


@dataclass(frozen=True)
class DeploymentTarget:
    ref: DeploymentRef
    node_access: str
    automation_nodes: Tuple[NodeSettings, ...]
    quiet_period: float


@dataclass(frozen=True)
class RunTestsSettings:
    target: str
    project_key: Optional[str]
    deployment: Optional[DeploymentTarget]
    selection: Selection
    options: RunOptions
    allow_no_tests: bool
    variable_prefix: str
    report_folder: Optional[str]
    fail_step_on_test_failure: bool = True

    @classmethod
    def read(cls, reader: ConfigReader, context=None) -> "RunTestsSettings":
        target = reader.choice(F_TARGET, TARGETS, TARGET_THIS_PROJECT)
        project_key = reader.identifier(F_PROJECT_KEY) if target == TARGET_OTHER_PROJECT else None
        deployment = read_deployment_target(reader, context) if target == TARGET_DEPLOYMENT else None
        deadline = reader.integer(F_DEADLINE, default=0, minimum=0, maximum=MAX_SECONDS)
        options = RunOptions(
            parallelism=reader.integer(F_PARALLELISM, default=1, minimum=1, maximum=MAX_PARALLELISM),
            scenario_timeout=float(reader.integer(F_SCENARIO_TIMEOUT, default=3600, minimum=1, maximum=MAX_SECONDS)),
            deadline=float(deadline) if deadline else None,
            retries=reader.integer(F_RETRIES, default=0, minimum=0, maximum=10),
            fail_fast=reader.boolean(F_FAIL_FAST, default=False),
            fail_on_warning=reader.boolean(F_FAIL_ON_WARNING, default=False),
            if_running=reader.choice(F_IF_RUNNING, IF_RUNNING_POLICIES, IF_RUNNING_WAIT),
            collect_junit=bool(reader.text(F_REPORT_FOLDER)),
        )
        prefix = read_variable_prefix(reader, F_VARIABLE_PREFIX, "tests")
        return cls(
            target=target,
            project_key=project_key,
            deployment=deployment,
            report_folder=reader.identifier(F_REPORT_FOLDER, required=False),
            selection=Selection(
                include_tags=tuple(reader.strings(F_INCLUDE_TAGS)),
                exclude_tags=tuple(reader.strings(F_EXCLUDE_TAGS)),
                scenario_ids=tuple(reader.strings(F_SCENARIO_IDS)),
            ),
            options=options,
            allow_no_tests=reader.boolean(F_ALLOW_NO_TESTS, default=False),
            variable_prefix=prefix,
            fail_step_on_test_failure=reader.choice(
                F_ON_TEST_FAILURE, [ON_FAILURE_FAIL, ON_FAILURE_CONTINUE], ON_FAILURE_FAIL) == ON_FAILURE_FAIL,
        )


def read_deployment_target(reader: ConfigReader, context) -> DeploymentTarget:
    """The deployment settings: which Deployer, which deployment, and how to reach its Automation nodes."""
    redactor = context.redactor if context is not None else None
    ref = read_deployment_ref(reader, F_DEPLOYMENT, F_DEPLOYMENT_TEXT, redactor)
    nodes = read_node_presets(reader, F_AUTOMATION_NODES, redactor)
    access = reader.choice(F_NODE_ACCESS, ACCESSES, ACCESS_AUTO)
    if access == ACCESS_PRESETS and not nodes:
        raise SettingsError("Setting %s is 'through presets' but %s is empty: add the preset of each Automation "
                            "node." % (F_NODE_ACCESS.describe(), F_AUTOMATION_NODES.describe()))
    return DeploymentTarget(
        ref=ref,
        node_access=(ACCESS_PRESETS if nodes else ACCESS_DEPLOYER) if access == ACCESS_AUTO else access,
        automation_nodes=nodes,
        quiet_period=float(reader.integer(F_QUIET_PERIOD, default=30, minimum=1, maximum=3600)),
    )


def describe_selection(selection: Selection) -> str:
    parts = []
    if selection.scenario_ids:
        parts.append("ids " + ", ".join(selection.scenario_ids))
    if selection.include_tags:
        parts.append("tagged " + " or ".join(selection.include_tags))
    if selection.exclude_tags:
        parts.append("not tagged " + " or ".join(selection.exclude_tags))
    return "; ".join(parts) or "all test scenarios"
