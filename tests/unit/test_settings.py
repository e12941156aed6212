"""Settings readers: every bad value is refused with the setting's name and what it accepts."""

import pytest
from test_gated_deployment.errors import SettingsError
from test_gated_deployment.settings import ConfigReader, Field, merge_step_config, read_node_preset, secrets_in

F = Field("parallelism", "Parallel runs")


@pytest.mark.parametrize("raw, expected", [(None, 1), ("", 1), (4, 4), (4.0, 4), ("4", 4), (" 8 ", 8), ("2.0", 2)])
def test_integer_accepts_what_dss_sends(raw, expected):
    assert ConfigReader({"parallelism": raw}).integer(F, default=1, minimum=1, maximum=64) == expected


@pytest.mark.parametrize("raw", [0, -1, 65, 2.5, "abc", "nan", "inf", True, [], {}])
def test_integer_refuses(raw):
    with pytest.raises(SettingsError) as info:
        ConfigReader({"parallelism": raw}).integer(F, default=1, minimum=1, maximum=64)
    assert "'Parallel runs' (parallelism)" in str(info.value)


def test_variables_are_expanded_and_undefined_ones_refused():
    reader = ConfigReader({"bundle": "${bundle_id}-rc", "other": "${nope}"}, {"bundle_id": "v7"})
    assert reader.text(Field("bundle", "Bundle")) == "v7-rc"
    with pytest.raises(SettingsError) as info:
        reader.text(Field("other", "Other"))
    assert "${nope}" in str(info.value) and "'Other' (other)" in str(info.value)


@pytest.mark.parametrize("value", ["a/b", "x?y", "bad#", "tab\tid", "50%"])
def test_identifier_refuses_characters_no_dss_id_has(value):
    with pytest.raises(SettingsError):
        ConfigReader({"id": value}).identifier(Field("id", "Deployment"))


def test_identifier_accepts_unicode():
    assert ConfigReader({"id": "déploiement_été"}).identifier(Field("id", "Deployment")) == "déploiement_été"


def test_strings_accept_lists_and_comma_text():
    reader = ConfigReader({"a": ["x", " y ", "", "x"], "b": "p, q"})
    assert reader.strings(Field("a", "A")) == ["x", "y"]
    assert reader.strings(Field("b", "B")) == ["p", "q"]


def test_choice_refuses_unknown_values():
    with pytest.raises(SettingsError) as info:
        ConfigReader({"if_running": "explode"}).choice(Field("if_running", "If running"), ["wait", "fail"], "wait")
    assert "wait, fail" in str(info.value)


@pytest.mark.parametrize("preset, message", [
    ({"url": "", "api_key": "k"}, "no URL"),
    ({"url": "ftp://host", "api_key": "k"}, "expected http(s)"),
    ({"url": "https://host/path", "api_key": "k"}, "base URL"),
    ({"url": "https://host:11200", "api_key": ""}, "no API key"),
    ({"mode": "PRESET", "name": "qa"}, "unresolved preset"),
])
def test_node_preset_refusals(preset, message):
    with pytest.raises(SettingsError) as info:
        read_node_preset(preset, Field("qa_node", "QA node"))
    assert message in str(info.value)


def test_node_preset_reads_and_hides_the_key():
    node = read_node_preset({"url": "https://qa:11200/", "api_key": "s3cret", "verify_tls": False}, Field("n", "N"))
    assert node.url == "https://qa:11200" and node.api_key == "s3cret" and not node.verify_tls
    assert "s3cret" not in repr(node)
    assert read_node_preset({"mode": "NONE"}, Field("n", "N")) is None


def test_merge_prefers_resolved_presets_and_finds_secrets():
    merged = merge_step_config({"node": {"mode": "PRESET", "name": "qa"}, "x": 1},
                               {"config": {"node": {"url": "https://qa", "api_key": "k1"}}})
    assert merged["node"]["api_key"] == "k1" and merged["x"] == 1
    assert secrets_in(merged) == ["k1"]


def test_required_value_that_expands_to_nothing_is_refused():
    with pytest.raises(SettingsError) as info:
        ConfigReader({"bundle": "${b}"}, {"b": ""}).identifier(Field("bundle", "Bundle id"))
    assert "expands to an empty text" in str(info.value)


@pytest.mark.parametrize("raw, expected", [(None, True), (True, True), ("true", True), (False, False),
                                           ("false", False)])
def test_tls_verification_is_off_only_when_asked(raw, expected):
    node = read_node_preset({"url": "https://qa", "api_key": "k", "verify_tls": raw}, Field("n", "N"))
    assert node.verify_tls is expected


def test_node_preset_with_credentials_in_its_url_is_refused():
    with pytest.raises(SettingsError) as info:
        read_node_preset({"url": "https://user:s3cret@qa:11200", "api_key": "k"}, Field("n", "N"))
    assert "credentials in its URL" in str(info.value) and "s3cret" not in str(info.value)
