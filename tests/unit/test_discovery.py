import pytest
from test_gated_deployment.dss.scenarios import ScenarioItem
from test_gated_deployment.errors import PluginError
from test_gated_deployment.testing.discovery import Caller, Selection, discover, find_caller

ITEMS = [ScenarioItem.read(raw) for raw in (
    {"id": "pipeline", "name": "Pipeline", "markedAsTest": False, "running": True},
    {"id": "t_smoke", "name": "Smoke", "markedAsTest": True, "tags": ["smoke"]},
    {"id": "t_slow", "name": "Slow", "markedAsTest": True, "tags": ["slow"]},
    {"id": "t_busy", "name": "Busy", "markedAsTest": True, "running": True},
)]


def ids(found):
    return [s.id for s in found.scenarios]


def test_find_caller_parses_the_run_url():
    caller = find_caller({"scenarioRunURL": "https://dss/projects/SHOP/scenarios/pipeline/runs/list/2026-11-29-01"})
    assert caller == Caller("SHOP", "pipeline", "2026-11-29-01")
    assert find_caller({}) is None


def test_all_tests_except_known_caller():
    found = discover(ITEMS, "SHOP", "here", Selection(), Caller("SHOP", "t_busy", "r"), may_hold_caller=True)
    assert ids(found) == ["t_slow", "t_smoke"]


def test_unknown_caller_leaves_out_running_tests():
    found = discover(ITEMS, "SHOP", "here", Selection(), None, may_hold_caller=True)
    assert ids(found) == ["t_slow", "t_smoke"]
    assert "t_busy" in found.notes[0]
    assert ids(discover(ITEMS, "SHOP", "there", Selection(), None, may_hold_caller=False)) == [
        "t_busy", "t_slow", "t_smoke"]


def test_tags_filter():
    found = discover(ITEMS, "SHOP", "here", Selection(include_tags=("smoke", "slow"), exclude_tags=("slow",)),
                     None, may_hold_caller=False)
    assert ids(found) == ["t_smoke"]


def test_explicit_ids_must_be_test_scenarios():
    with pytest.raises(PluginError, match="not marked as a test"):
        discover(ITEMS, "SHOP", "here", Selection(scenario_ids=("pipeline",)), None, False)
    with pytest.raises(PluginError, match="does not exist in project SHOP"):
        discover(ITEMS, "SHOP", "here", Selection(scenario_ids=("nope",)), None, False)


def test_without_the_run_url_the_caller_comes_from_an_earlier_steps_result():
    variables = {"stepResults": {"Create bundle": {"target": {"type": "SCENARIO_STEP", "projectKey": "SHOP",
                                                              "scenarioId": "pipeline", "stepId": "b"}}}}
    assert find_caller(variables) == Caller("SHOP", "pipeline", source="stepResults")
    found = discover(ITEMS, "SHOP", "here", Selection(), find_caller(variables), may_hold_caller=True)
    assert "t_busy" in ids(found)  # the caller is known, so other running tests are not left out


def test_the_run_url_wins_and_unreadable_step_results_give_no_caller():
    url = "https://dss/projects/SHOP/scenarios/pipeline/runs/list/2024-01-01-00-00-00-001"
    both = {"scenarioRunURL": url, "stepResults": {"s": {"target": {"type": "SCENARIO_STEP", "projectKey": "SHOP",
                                                                     "scenarioId": "other"}}}}
    assert find_caller(both).scenario_id == "pipeline" and find_caller(both).source == "scenarioRunURL"
    assert find_caller({"stepResults": "not json"}) is None
    assert find_caller({"stepResults": {"s": {"target": {"type": "DATASET", "projectKey": "SHOP"}}}}) is None
