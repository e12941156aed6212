"""The `dataiku` stand-in (tooling/standin) keeps the contracts of DSS's internal package (reference §2.3-§3.2).

Tested in-process with the stand-in put on sys.path for the test only; calls that need a backend go to a tiny
http.server fake on 127.0.0.1 (the DSS simulator is tested on its own).
"""

from __future__ import annotations

import json

import pytest


def _in_dss(monkeypatch, backend, ticket="tkt-1"):
    monkeypatch.setenv("DKU_API_TICKET", ticket)
    monkeypatch.setenv("DKU_BACKEND_PORT", str(backend.port))
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", "PK")


# --- customstep ------------------------------------------------------------------------------------------------


def test_customstep_reads_the_dss_variables(dataiku, monkeypatch):
    from dataiku.customstep import get_plugin_config, get_step_config, get_step_resource

    raw = {"node": {"mode": "PRESET", "name": "qa"}, "n": 3}
    monkeypatch.setenv("DKU_PLUGIN_STEP_CONFIG", json.dumps(raw))
    monkeypatch.setenv("DKU_PLUGIN_CONFIG", json.dumps({"config": {"node": {"url": "u"}, "n": 3}, "pluginConfig": {}}))
    monkeypatch.setenv("DKU_CUSTOM_RESOURCE_FOLDER", "/plugins/x/resource")
    assert get_step_config() == raw
    assert get_plugin_config() == {"config": {"node": {"url": "u"}, "n": 3}, "pluginConfig": {}}
    assert get_step_resource() == "/plugins/x/resource"


# --- api_client / default_project_key --------------------------------------------------------------------------


def test_api_client_uses_backend_and_ticket(dataiku, monkeypatch, backend):
    _in_dss(monkeypatch, backend, ticket="tkt-42")
    client = dataiku.api_client()
    assert client.host == f"http://127.0.0.1:{backend.port}"  # DKU_BACKEND_HOST unset -> 127.0.0.1
    assert client.internal_ticket == "tkt-42" and client.api_key is None
    assert client.list_project_keys() == ["PK"]
    request = backend.requests[-1]
    assert request["path"].startswith("/dip/publicapi/projects/")
    assert request["headers"]["X-DKU-APITicket"] == "tkt-42"


def test_api_client_honours_backend_host(dataiku, monkeypatch, backend):
    _in_dss(monkeypatch, backend)
    monkeypatch.setenv("DKU_BACKEND_HOST", "localhost")
    assert dataiku.api_client().host == f"http://localhost:{backend.port}"


def test_api_client_without_location_fails_clearly(dataiku):
    with pytest.raises(Exception, match="No DSS URL or API key found"):
        dataiku.api_client()


def test_default_project_key(dataiku, monkeypatch):
    with pytest.raises(Exception, match="DKU_CURRENT_PROJECT_KEY"):
        dataiku.default_project_key()
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", "MYPROJ")
    assert dataiku.default_project_key() == "MYPROJ"


# --- Scenario --------------------------------------------------------------------------------------------------


def test_scenario_variables_round_trip(dataiku, monkeypatch, backend):
    _in_dss(monkeypatch, backend, ticket="tkt-s")
    from dataiku.scenario import Scenario

    scenario = Scenario()
    scenario.set_scenario_variables(tgd_outcome="SUCCESS", tgd_total=3, tgd_list=["a"])
    set_call = backend.requests[-1]
    assert set_call["method"] == "POST"
    assert set_call["path"] == "/dip/api/tintercom/scenarios/set-variables/"
    assert json.loads(set_call["form"]["variables"][0]) == {"tgd_outcome": "SUCCESS", "tgd_total": 3,
                                                            "tgd_list": ["a"]}
    assert set_call["headers"]["X-DKU-APITicket"] == "tkt-s"

    variables = scenario.get_all_variables()
    assert backend.requests[-1]["path"] == "/dip/api/tintercom/scenarios/get-all-variables"
    assert backend.requests[-1]["headers"]["X-DKU-APITicket"] == "tkt-s"
    assert variables == {"projectKey": "PK", "tgd_outcome": "SUCCESS", "tgd_total": 3, "tgd_list": ["a"]}


def test_scenario_call_failure_is_explicit(dataiku, monkeypatch, backend):
    _in_dss(monkeypatch, backend)
    from dataiku.scenario import Scenario

    # As the real package: a bare Exception with what failed and DSS's raw answer, no status, no path.
    backend.fail_with = (500, json.dumps({"errorType": "X", "detailedMessage": "scenario run is over"}))
    with pytest.raises(Exception) as failed:
        Scenario().set_scenario_variables(a=1)
    assert type(failed.value) is Exception
    assert str(failed.value).startswith("Failed to set scenario variables: b'{") and "scenario run is over" in str(
        failed.value)
    backend.fail_with = (403, "")
    with pytest.raises(Exception, match=r"^Failed to get variables: b''$"):
        Scenario().get_all_variables()


def test_scenario_trigger_file(dataiku, monkeypatch, tmp_path):
    trigger = tmp_path / "trigger.json"
    trigger.write_text(json.dumps({"trigger": {"type": "manual", "name": "Run"}, "params": {"k": "v"}}))
    monkeypatch.setenv("DKU_CURRENT_SCENARIO_TRIGGER_FILE", str(trigger))
    from dataiku.scenario import Scenario

    scenario = Scenario()
    assert (scenario.get_trigger_type(), scenario.get_trigger_name(), scenario.get_trigger_params()) == (
        "manual", "Run", {"k": "v"})


# --- runnables -------------------------------------------------------------------------------------------------


def test_runnable_base_contract(dataiku):
    from dataiku.runnables import Runnable

    runnable = Runnable("PK", {"a": 1}, {"b": 2})
    assert (runnable.project_key, runnable.config, runnable.plugin_config) == ("PK", {"a": 1}, {"b": 2})
    assert runnable.get_progress_target() is None
    with pytest.raises(Exception, match="unimplemented"):
        runnable.run(lambda x: None)


def test_result_table_json_shape(dataiku):
    from dataiku.runnables import ResultTable

    table = ResultTable()
    table.set_name("Tests")
    table.set_header("<b>2 runs</b>")
    table.add_column("scenario", "Scenario")
    table.add_column("tags", "Tags", "STRING_LIST")
    table.add_record(["T1", ["smoke"]])
    assert json.loads(table.to_json()) == {
        "header": "<b>2 runs</b>",
        "columns": [{"name": "scenario", "displayName": "Scenario", "type": "STRING"},
                    {"name": "tags", "displayName": "Tags", "type": "STRING_LIST"}],
        "records": [["T1", ["smoke"]]],
        "name": "Tests",
    }


def test_result_serialisation_follows_dss(dataiku):
    from dataiku.runnables import ResultTable
    from dataiku.runnables.server import serialise_result

    assert serialise_result(None) is None
    assert serialise_result("<p>x</p>") == "<p>x</p>"
    assert json.loads(serialise_result({"projectKey": "NEW"})) == {"projectKey": "NEW"}
    assert json.loads(serialise_result(ResultTable()))["records"] == []
    assert serialise_result(42) == "42"


def test_make_unique_project_key(dataiku):
    from dataiku.runnables.utils import make_unique_project_key

    class Client:
        def list_project_keys(self):
            return ["MY_PROJECT", "MY_PROJECT_1"]

    assert make_unique_project_key(Client(), "my project") == "MY_PROJECT_2"
    assert make_unique_project_key(Client(), "other-one") == "OTHER_ONE"


