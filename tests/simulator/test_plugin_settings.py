"""A plugin's settings, read with the real dataikuapi client: the instance's presets (administrators only) and a
project's presets, per parameter set."""

from __future__ import annotations

import json

import dataikuapi
import pytest
from dataikuapi.utils import DataikuException

from .helpers import client

PLUGIN = "demo-plugin"


@pytest.fixture
def node(design, tmp_path):
    (tmp_path / "parameter-sets" / "remote-node").mkdir(parents=True)
    (tmp_path / "parameter-sets" / "remote-node" / "parameter-set.json").write_text(json.dumps({"meta": {}}))
    design.install_plugin(tmp_path, PLUGIN)
    design.plugin_presets = {"qa": {"url": "https://qa.example", "api_key": "k"}}
    design.add_project("SHOP").plugin_presets = {"qa-team": {"url": "https://qa2.example", "api_key": "k2"}}
    return design


def test_an_administrator_lists_the_instance_presets(node):
    settings = client(node).get_plugin(PLUGIN).get_settings()
    assert settings.list_parameter_set_names() == ["remote-node"]
    assert settings.get_parameter_set("remote-node").list_preset_names() == ["qa"]


def test_a_project_lists_its_own_presets_and_a_user_is_refused_the_instance_ones(node):
    user = dataikuapi.DSSClient(node.url, node.add_api_key("key-of-alice", user="alice", projects=["SHOP"]))
    project_settings = user.get_plugin(PLUGIN).get_project_settings("SHOP")
    assert project_settings.get_parameter_set("remote-node").list_preset_names() == ["qa-team"]
    with pytest.raises(DataikuException) as refused:
        user.get_plugin(PLUGIN).get_settings()
    assert "403" in str(refused.value) or "forbidden" in str(refused.value).lower()


def test_a_plugin_that_is_not_installed_is_not_found(node):
    with pytest.raises(DataikuException, match="does not exist"):
        client(node).get_plugin("other").get_settings()
