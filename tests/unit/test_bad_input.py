"""Every setting of every step, fed a bad value, is refused before any DSS call with a message that names it.

The cases come from the step descriptors, so a new parameter is covered as soon as it is added."""

import json
import re
from pathlib import Path

import pytest
from test_gated_deployment.assert_step import AssertSettings
from test_gated_deployment.deploy_step import DeploySettings
from test_gated_deployment.errors import SettingsError
from test_gated_deployment.run_tests_step import RunTestsSettings
from test_gated_deployment.settings import ConfigReader
from test_gated_deployment.step_runtime import read_policy

ROOT = Path(__file__).resolve().parents[2]
READERS = {
    "run-test-scenarios": (RunTestsSettings.read, {}),
    "assert-test-status": (AssertSettings.read, {"deployment_id": "SHOP-on-qa"}),
    "deploy-bundle": (DeploySettings.read, {"deployment_id": "SHOP-on-prod", "bundle_id": "v1"}),
}
VALID_PRESET = {"url": "https://qa.example:11200", "api_key": "k"}


def read(step, config):
    reader = ConfigReader(config, {"bundle_id": "v1"})
    READERS[step][0](reader)
    read_policy(reader)


def bad_values(param):
    kind = param["type"]
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
    for name, op, value in re.findall(r"model\.(\w+)\s*(==|!=|>)\s*'?([\w]+)'?", param.get("visibilityCondition", "")):
        if op == "==":
            config[name] = value
        elif op == ">":
            config[name] = int(value) + 1
        else:
            choices = [c["value"] for p in params if p.get("name") == name for c in p.get("selectChoices", [])]
            config[name] = next(c for c in choices if c != value)
    if config.get("target") == "deployment":
        config["deployment_id"] = "SHOP-on-qa"
    return config


CASES = []
for step in READERS:
    descriptor = json.loads((ROOT / "python-steps" / step / "step.json").read_text())
    params = [p for p in descriptor["params"] if p["type"] != "SEPARATOR"]
    for param in params:
        for value in bad_values(param):
            CASES.append(pytest.param(step, params, param, value, id="%s-%s-%r" % (step, param["name"], value)))


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
