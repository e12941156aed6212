"""'Check pipeline readiness', as a macro and as a step, through the real client against the simulator: every line
green on a ready estate, each kind of red line with its next action, and nothing changed in DSS."""

import re

import pytest
from dss_simulator import ScenarioSpec
from macrokit import check_html, run_plugin_macro
from stepkit import run_plugin_step
from worlds import PROJECT, build_estate, make_tests, preset_ref

MACRO = "pipeline-readiness"
STEP = "check-pipeline-readiness"
READY = {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod",
         "qa_automation_nodes": [preset_ref("qa")]}


def lines(page: str):
    """(status, what, found, next) of each line of the page."""
    rows = re.findall(r"<tr><td><span class=\"badge [^\"]+\">([^<]+)</span></td>\s*<td>(.*?)</td><td>(.*?)</td>"
                      r"<td>(.*?)</td></tr>", page, re.S)
    return [tuple(check_html(cell).strip() for cell in row) for row in rows]


def writes(node) -> int:
    return sum(node.request_count(path_contains="/dip/publicapi/", method=m) for m in ("POST", "PUT", "DELETE"))


def check(estate, config=None, presets=None):
    out = run_plugin_macro(estate.design, MACRO, PROJECT, dict(READY, **(config or {})),
                           presets=presets or estate.presets())
    assert out.ok, out.error + out.log
    return out, lines(out.result)


def test_a_ready_pipeline_is_all_green(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    out, found = check(estate)
    text = check_html(out.result)
    assert "ready" in text and "not ready" not in text
    statuses = {status for status, _, _, _ in found}
    assert statuses <= {"ok", "not checked"}, found
    by_subject = {what: (status, detail) for status, what, detail, _ in found}
    assert "DSS 14.2.0" in by_subject["the Deployer (the Deployer of this node)"][1]
    assert "both deploy published project SHOP" in by_subject["QA and Production"][1]
    assert "2 test scenario(s): test_1, test_2" in by_subject[
        "project SHOP on the Automation node of infrastructure qa-infra"][1]
    assert any(what.startswith("preset for %s" % estate.qa.url) and status == "ok" for status, what, _, _ in found)
    assert writes(estate.design) == 0 and writes(estate.qa) == 0 and writes(estate.prod) == 0


def _unhealthy_prod(estate):
    estate.design.deployer.deployment("SHOP-on-prod").health = "ERROR"


def _other_project(estate):
    estate.design.add_project("OTHER").add_scenario(ScenarioSpec(id="t", name="t", marked_as_test=True))
    estate.design.export_bundle("OTHER", "o1")
    estate.design.deployer.publish_bundle("OTHER", "o1")
    estate.design.deployer.add_deployment("OTHER-on-prod", published_project_key="OTHER", infra_id="prod-infra",
                                          bundle_id="o1")


RED = [
    ("a Deployer key that is refused", {"deployer": preset_ref("bad-deployer")}, None,
     "the Deployer (the Deployer at", "Check the URL, the TLS settings and the API key"),
    ("a QA deployment that does not exist", {"qa_deployment_id": "SHOP-on-qx"}, None,
     "deployment SHOP-on-qx", "Fix the deployment id"),
    ("an unhealthy Production", {}, _unhealthy_prod, "deployment SHOP-on-prod", "Repair the deployment"),
    ("deployments of two published projects", {"prod_deployment_id": "OTHER-on-prod"}, _other_project,
     "QA and Production", "Pick two deployments of the same published project"),
    ("a QA preset whose key is refused", {"qa_automation_nodes": [preset_ref("bad-qa")]}, None,
     "preset for", "Check the URL, the TLS settings and the API key"),
]


@pytest.mark.parametrize("name, config, change, subject, next_action", RED, ids=[r[0] for r in RED])
def test_each_red_line_says_what_to_do(sim, name, config, change, subject, next_action):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    if change is not None:
        change(estate)
    presets = dict(estate.presets(), **{"bad-deployer": {"url": estate.design.url, "api_key": "wrong"},
                                        "bad-qa": {"url": estate.qa.url, "api_key": "wrong"}})
    out, found = check(estate, config, presets)
    assert "not ready" in check_html(out.result)
    red = [line for line in found if line[0] == "fail"]
    assert any(what.startswith(subject) and next_action in action for _, what, _, action in red), found
    assert "wrong" not in out.result
    assert writes(estate.design) == 0


def test_a_qa_node_without_a_preset_is_red(sim):
    estate = build_estate(sim, make_tests(1, duration=0.02), qa_nodes=2)
    _, found = check(estate, {"qa_automation_nodes": [preset_ref("qa1")]})
    [red] = [line for line in found if line[0] == "fail"]
    assert red[1] == "Automation nodes of deployment SHOP-on-qa" and "No DSS node preset reaches" in red[2]


def test_a_qa_project_without_test_scenarios_is_red(sim):
    estate = build_estate(sim, [ScenarioSpec(id="build", name="build")])
    _, found = check(estate)
    [red] = [line for line in found if line[0] == "fail"]
    assert red[2] == "no active test scenario" and "Mark the project's test scenarios" in red[3]


def test_without_presets_an_older_deployer_is_red(sim):
    estate = build_estate(sim, make_tests(1, duration=0.02), dss_version="13.3.0")
    _, found = check(estate, {"qa_automation_nodes": []})
    [red] = [line for line in found if line[0] == "fail"]
    assert red[1] == "tests on QA" and "DSS 13.3.0" in red[2] and "needs DSS 14.1" in red[2]


def test_the_step_fails_on_a_red_line_and_sets_its_variables(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    # Run by a scenario that is itself one of QA's test scenarios: the pipeline would run itself.
    out = run_plugin_step(estate.design, STEP, PROJECT, READY, caller="test_1", presets=estate.presets())
    assert not out.ok
    message = out.log.strip().splitlines()[-1]
    assert "The pipeline is not ready: 1 red line(s)" in message and "test_1 is marked as a test" in message
    assert "Untick 'Test scenario' on it" in message
    assert out.variables["readiness_ready"] is False and len(out.variables["readiness_failures"]) == 1
    assert "OK the Deployer" in out.log and "OK the DSS URL" in out.log


def test_the_step_passes_on_a_ready_pipeline_and_flags_a_missing_dss_url(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    estate.design.dss_url_configured = False
    out = run_plugin_step(estate.design, STEP, PROJECT, READY, presets=estate.presets())
    assert out.ok, out.log
    assert out.variables["readiness_ready"] is True and out.variables["readiness_failures"] == []
    assert "WARNING the DSS URL (Administration > Settings): not set" in out.log
    assert writes(estate.design) == 0 and writes(estate.qa) == 0


def test_the_govern_check_of_each_infrastructure_is_shown(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    estate.design.deployer.infra("prod-infra").govern_check_policy = "PREVENT"
    _, found = check(estate)
    by_subject = {what: (status, detail, action) for status, what, detail, action in found}
    status, detail, action = by_subject["Govern check of infrastructure prod-infra"]
    assert status == "warning" and detail.startswith("PREVENT") and "signed off in Govern" in action
    assert by_subject["Govern check of infrastructure qa-infra"][:2] == ("ok", "NO_CHECK: no Govern sign-off is "
                                                                         "asked for")


def test_without_the_right_to_read_an_infrastructure_its_govern_check_is_not_checked(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    user = estate.design.issue_ticket(user="alice", projects=[PROJECT])
    out = run_plugin_macro(estate.design, MACRO, PROJECT, READY, presets=estate.presets(), ticket=user)
    found = {what: status for status, what, _, _ in lines(out.result)}
    assert found["Govern check of infrastructure qa-infra"] == "not checked", found
