"""Every setting of every step and macro, fed a bad value, is refused before any DSS call with a message that
names it. The cases come from the descriptors, so a new parameter is covered as soon as it is added."""

import json
import re
from pathlib import Path

import pytest
from test_gated_deployment.components.assert_govern_signoff import SignoffSettings
from test_gated_deployment.components.assert_test_status import AssertSettings
from test_gated_deployment.components.context import ComponentContext
from test_gated_deployment.components.create_automate_deployment_scenario import AutomateSettings
from test_gated_deployment.components.deploy_bundle import DeploySettings
from test_gated_deployment.components.deployment_test_status import StatusSettings
from test_gated_deployment.components.fields import read_transport_policy
from test_gated_deployment.components.promote_tested_bundle import PromoteSettings
from test_gated_deployment.components.run_settings import RunTestsSettings
from test_gated_deployment.dss.interrupts import StopSignal
from test_gated_deployment.errors import SettingsError
from test_gated_deployment.redaction import Redactor
from test_gated_deployment.settings import ConfigReader

ROOT = Path(__file__).resolve().parents[2]
GOVERN = {"url": "https://govern.example.com", "api_key": "k"}
DEPLOYMENTS = {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod"}
# Component folder -> (how its settings are read, the smallest valid config).
READERS = {
    "python-steps/run-test-scenarios": (lambda c: RunTestsSettings.read(c.reader, c), {}),
    "python-steps/assert-test-status": (lambda c: AssertSettings.read(c.reader, c.redactor),
                                        {"deployment_id": "SHOP-on-qa"}),
    "python-steps/assert-govern-signoff": (lambda c: SignoffSettings.read(c.reader, c.redactor),
                                           {"govern": GOVERN, "bundle_id": "v1", "deployment_id": "SHOP-on-qa"}),
    "python-steps/deploy-bundle": (lambda c: DeploySettings.read(c.reader, c.redactor),
                                   {"deployment_id": "SHOP-on-prod", "bundle_id": "v1"}),
    "python-runnables/run-tests-now": (lambda c: RunTestsSettings.read(c.reader, c), {}),
    "python-runnables/deployment-test-status": (StatusSettings.read, {}),
    "python-runnables/create-automate-deployment-scenario": (lambda c: AutomateSettings.read(c.reader), DEPLOYMENTS),
    "python-runnables/promote-tested-bundle": (PromoteSettings.read, DEPLOYMENTS),
}


def read(component, config):
    reader = ConfigReader(config, {"bundle_id": "v1"})
    context = ComponentContext(reader=reader, variables={}, project_key="SHOP", redactor=Redactor(),
                               policy=read_transport_policy(reader), stop=StopSignal(), _local_client_factory=None,
                               _set_variables=None, _folder_factory=None)
    READERS[component][0](context)


# Texts stored as typed into a generated scenario, for DSS to expand when it runs: ${...} is welcome there.
TEMPLATED = {"qa_deployment_id", "prod_deployment_id", "bundle_id_pattern"}
# Free texts (names), where only a value of the wrong type is bad.
FREE_TEXT = {"deployer_preset", "govern_preset", "scenario_name"}


def bad_values(component, param):
    kind = param["type"]
    if component.endswith("create-automate-deployment-scenario") and param["name"] in TEMPLATED | FREE_TEXT:
        return [["a list"]] + (["a/b"] if param["name"] in TEMPLATED else [])
    if kind == "INT":
        low = param.get("minI", 0)
        return [low - 1, "twelve", 2.5, 10 ** 9]
    if kind == "BOOLEAN":
        return ["maybe"]
    if kind == "SELECT" and param.get("getChoicesFromPython"):
        return ["a/b", "${undefined_variable}"]  # ids, since the choices are dynamic
    if kind == "SELECT":
        return ["no-such-choice"]
    if kind == "STRINGS":
        return [[{"a": 1}], "${undefined_variable}"]
    if kind == "MULTISELECT":
        return [["no-such-choice"], [{"a": 1}]]
    if kind == "PRESET":
        return [{"url": "", "api_key": "k"}, {"url": "qa.example", "api_key": "k"},
                {"url": "https://qa", "api_key": ""}]
    if kind == "PRESETS":
        return [[{"url": "https://qa/some/path", "api_key": "k"}], "not a list"]
    if kind in ("STRING", "MANAGED_FOLDER"):
        values = ["${undefined_variable}"]
        if param["name"] == "variable_prefix":
            values.append("has space")
        else:
            values.append("a/b")
        return values
    raise AssertionError("no bad values for type %s" % kind)


def visible_config(params, param):
    """Values of the other params that make `param` visible (from its simple visibilityCondition)."""
    config = {}
    condition = param.get("visibilityCondition", "")
    types = {p.get("name"): p["type"] for p in params}
    for name in re.findall(r"model\.(\w+)(?!\w|\s*(?:==|!=|>))", condition):
        config[name] = True if types.get(name) == "BOOLEAN" else "set"   # a ticked box, a filled field
    for name, op, value in re.findall(r"model\.(\w+)\s*(==|!=|>)\s*'?([\w]+)'?", condition):
        if op == "==":
            config[name] = value
        elif op == ">":
            config[name] = int(value) + 1
        else:
            choices = [c["value"] for p in params if p.get("name") == name for c in p.get("selectChoices", [])]
            config[name] = next(c for c in choices if c != value)
    if config.get("target") == "deployment":
        config["deployment_id"] = "SHOP-on-qa"
    if config.get("post_feedback") or config.get("require_signoff"):
        config.update(govern=GOVERN, feedback_group="qa-evidence")
    return config


def descriptor_of(component):
    folder = ROOT / component
    return json.loads(next(p for p in (folder / "step.json", folder / "runnable.json") if p.exists()).read_text())


CASES = []
for step in READERS:
    descriptor = descriptor_of(step)
    params = [p for p in descriptor["params"] if p["type"] != "SEPARATOR"]
    for param in params:
        for value in bad_values(step, param):
            CASES.append(pytest.param(step, params, param, value,
                                      id="%s-%s-%r" % (step.split("/")[1], param["name"], value)))


@pytest.mark.parametrize("step, params, param, value", CASES)
def test_bad_value_is_refused_naming_the_setting(step, params, param, value):
    config = dict(READERS[step][1])
    config.update(visible_config(params, param))
    if param["name"] == "deployment_id":
        config.pop("deployment_id", None)
    config[param["name"]] = value
    with pytest.raises(SettingsError) as info:
        read(step, config)
    assert param["label"] in str(info.value) or param["name"] in str(info.value), str(info.value)


@pytest.mark.parametrize("step", list(READERS))
def test_defaults_are_valid(step):
    read(step, dict(READERS[step][1]))
