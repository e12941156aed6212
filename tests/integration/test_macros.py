"""The four macros, run as DSS runs them (runnable.py in its own process) against the simulator.

Each case checks what the macro shows (its HTML page, valid and escaped) and what it did, or did not do, to the
simulated estate.
"""

import html
import json
import re
import sys
import textwrap

import dataikuapi
import pytest
from dss_simulator import ScenarioSpec
from dss_simulator.macro_runner import run_macro
from macrokit import check_html, run_plugin_macro
from stepkit import ROOT
from test_gated_deployment.dss.scenario_steps import NODE_PARAMETER_SET, PLUGIN_ID, plugin_step_type
from worlds import PROJECT, build_estate, make_tests, preset_ref, promotion_estate, run_tests_on, update_deployment

HOSTILE = '<script>alert(1)</script>"&'
TESTS = ["test_1", "test_2"]
CANARY = "dkuaps-CANARY-macro-4b1d"


def api(node):
    return dataikuapi.DSSClient(node.url, node.admin_key)


def row(page: str, key: str, first_cell: bool = False) -> str:
    """The text of the one table row of `page` that mentions `key` (in its first cell, if told)."""
    rows = [r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S)
            if key in (r.split("</td>")[0] if first_cell else r)]
    assert len(rows) == 1, rows
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[0])).replace(" :", ":"))


# ---- Run test scenarios now ---------------------------------------------------------------------------------------

@pytest.fixture
def shop(design):
    project = design.add_project(PROJECT)
    project.add_scenario(ScenarioSpec(id="pipeline", name="Automate Deployment"))
    return project


def add_test(project, sid, name=None, **behaviour):
    project.add_scenario(ScenarioSpec(id=sid, name=name or sid, marked_as_test=True, duration=0.02, **behaviour))


def test_run_tests_now_reports_failures_flaky_tests_and_progress(design, shop):
    add_test(shop, "test_ok")
    add_test(shop, "test_broken", outcome="FAILED")
    add_test(shop, "test_flaky", name=HOSTILE, fail_first=1)
    out = run_plugin_macro(design, "run-tests-now", PROJECT, {"parallelism": 2, "retries": 1})
    assert out.ok, out.error + out.log  # a failing test is reported, not a macro failure
    assert out.progress_target == {"target": 3, "unit": "NONE"}
    assert out.progress == sorted(set(out.progress)) and out.progress[-1] == 3
    text = check_html(out.result)
    assert "FAILED: 3 test scenario(s), 2 passed" in text
    assert "FAILED" in row(out.result, "test_broken")
    flaky = row(out.result, "test_flaky")
    assert "flaky" in flaky and "SUCCESS" in flaky and "FAILED, SUCCESS" in flaky
    for sid in ("test_ok", "test_broken", "test_flaky"):
        run_id = design.runs(PROJECT, sid)[-1].run_id
        assert 'href="/projects/SHOP/scenarios/%s/runs/list/%s"' % (sid, run_id) in out.result
    assert len(design.runs(PROJECT, "pipeline")) == 0
    assert design.active_runs() == []


def test_run_tests_now_escapes_scenario_names(design, shop):
    add_test(shop, "test_1", name=HOSTILE)
    out = run_plugin_macro(design, "run-tests-now", PROJECT, {})
    assert out.ok, out.error
    assert HOSTILE in check_html(out.result)  # shown as text...
    assert "<script" not in out.result and HOSTILE not in out.result  # ...never as markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&amp;" in out.result


def test_run_tests_now_selection_and_no_tests(design, shop):
    add_test(shop, "test_1", tags=("smoke",))
    out = run_plugin_macro(design, "run-tests-now", PROJECT, {"include_tags": ["nightly"]})
    assert out.ok, out.error
    assert out.progress_target == {"target": 0, "unit": "NONE"}
    assert "No test scenario to run in project SHOP (selection: tagged nightly)" in check_html(out.result)
    assert design.runs(PROJECT, "test_1") == []


def test_run_tests_now_refuses_a_bad_setting_before_any_call(design, shop):
    add_test(shop, "test_1")
    before = design.request_count(path_contains="/dip/publicapi/")
    out = run_plugin_macro(design, "run-tests-now", PROJECT, {"parallelism": 0})
    assert not out.ok
    assert "'Parallel runs' (parallelism)" in out.error
    assert "Traceback" not in out.error
    assert design.request_count(path_contains="/dip/publicapi/") == before


def test_run_tests_now_names_an_unknown_scenario(design, shop):
    add_test(shop, "test_1")
    out = run_plugin_macro(design, "run-tests-now", PROJECT, {"scenario_ids": ["test_9"]})
    assert not out.ok
    assert "test_9" in out.error and "SHOP" in out.error


OLD_MACRO_SERVER = {"DKU_STANDIN_OLD_MACRO_SERVER": "1"}
PLAIN_MACRO = """
from dataiku.runnables import Runnable


class Plain(Runnable):
    def __init__(self, project_key, config, plugin_config):
        super().__init__(project_key, config, plugin_config)

    def run(self, progress_callback):
        return "ran"
"""


def test_the_macros_start_on_the_macro_server_of_an_older_dss(design, shop, tmp_path):
    """That server counts a macro's constructor arguments with inspect.getargspec, which Python 3.11 removed."""
    add_test(shop, "test_1")
    out = run_plugin_macro(design, "run-tests-now", PROJECT, {}, extra_env=OLD_MACRO_SERVER)
    assert out.ok, out.error + out.log
    assert "1 test scenario(s)" in check_html(out.result)
    # The same server with a macro that does not provide getargspec: it starts only where Python still has it.
    plain = tmp_path / "python-runnables" / "plain"
    plain.mkdir(parents=True)
    (plain / "runnable.py").write_text(textwrap.dedent(PLAIN_MACRO))
    control = run_macro(plain, config={}, backend_url=design.url, ticket=design.issue_ticket(), project_key=PROJECT,
                        extra_env=OLD_MACRO_SERVER)
    if sys.version_info >= (3, 11):
        assert not control.ok and "getargspec" in control.error + control.log
    else:
        assert control.ok and control.result == "ran"


# ---- Deployment test status ---------------------------------------------------------------------------------------

@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_status_matrix_shows_each_deployment(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    run_tests_on(estate.qa, TESTS)
    out = run_plugin_macro(estate.design, "deployment-test-status", PROJECT, {})
    assert out.ok, out.error
    check_html(out.result)
    qa = row(out.result, "SHOP-on-qa", first_cell=True)
    assert all(word in qa for word in ("qa-infra", "QA", "v1", "HEALTHY", "2 ran", "PASS"))
    # The Deployer gives counts only: the row links to the test scenarios on the QA node and says when it was updated.
    assert 'href="%s/projects/SHOP/scenarios/"' % estate.qa.url in out.result
    assert re.search(r"updated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", qa)
    prod = row(out.result, "SHOP-on-prod", first_cell=True)
    # Production runs no tests: said so, with where its bundle passed, instead of an alarming INCONCLUSIVE.
    assert all(word in prod for word in ("prod-infra", "Production", "v1", "HEALTHY", "0 ran", "NO TESTS HERE"))
    assert "INCONCLUSIVE" not in prod
    assert "bundle v1 passed the gate on deployment SHOP-on-qa" in prod


def test_status_judges_every_stage_when_told_to(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    run_tests_on(estate.qa, TESTS)
    out = run_plugin_macro(estate.design, "deployment-test-status", PROJECT, {"untested_stages": []})
    assert out.ok, out.error
    check_html(out.result)
    prod = row(out.result, "SHOP-on-prod", first_cell=True)
    assert "INCONCLUSIVE" in prod and "Run the test scenarios there first" in prod and "NO TESTS" not in prod


def test_status_names_failures_and_unhealthy_deployments(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02, test_2={"outcome": "FAILED"}))
    run_tests_on(estate.qa, TESTS)
    estate.design.export_bundle(PROJECT, "v2")
    estate.design.deployer.publish_bundle(PROJECT, "v2")
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.02, health_by_bundle={"v2": "UNHEALTHY"})
    update_deployment(estate.design, "SHOP-on-prod", "v2")
    out = run_plugin_macro(estate.design, "deployment-test-status", PROJECT, {"deployer": preset_ref("deployer")},
                           presets=estate.presets())
    assert out.ok, out.error
    check_html(out.result)
    qa = row(out.result, "SHOP-on-qa", first_cell=True)
    assert "FAIL" in qa and "1 failed" in qa and "bundle v1" in qa
    prod = row(out.result, "SHOP-on-prod", first_cell=True)
    assert "UNHEALTHY" in prod and "v2" in prod
    assert "INCONCLUSIVE" in prod and "NO TESTS" not in prod
    assert "No deployment of SHOP shows a PASS for bundle v2" in prod


def test_status_never_calms_a_stage_whose_bundle_failed_elsewhere(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02, test_2={"outcome": "FAILED"}))
    run_tests_on(estate.qa, TESTS)
    out = run_plugin_macro(estate.design, "deployment-test-status", PROJECT, {})
    assert out.ok, out.error
    check_html(out.result)
    assert "FAIL" in row(out.result, "SHOP-on-qa", first_cell=True)
    prod = row(out.result, "SHOP-on-prod", first_cell=True)
    assert "Bundle v1 FAILED the gate on deployment SHOP-on-qa." in prod
    assert "NO TESTS" not in prod and "INCONCLUSIVE" in prod
    assert estate.design.admin_key not in out.result + out.log


def test_status_of_a_project_without_deployments(sim):
    estate = build_estate(sim, make_tests(1, duration=0.02), with_prod=False)
    out = run_plugin_macro(estate.design, "deployment-test-status", PROJECT, {"published_project_key": "OTHER"})
    assert out.ok, out.error
    assert "No deployment of published project OTHER" in check_html(out.result)


# ---- Create Automate Deployment scenario ---------------------------------------------------------------------------

CREATE = "create-automate-deployment-scenario"
CREATE_CONFIG = {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod", "qa_node_presets": ["qa"],
                 "parallelism": 2, "retries": 1, "scenario_timeout_s": 60}


def generated(node):
    """The scenarios of SHOP that the macro wrote (found by its tag), as (id, settings)."""
    project = api(node).get_project(PROJECT)
    items = [i for i in project.list_scenarios() if "%s:AUTOMATE_DEPLOYMENT" % PLUGIN_ID in (i.get("tags") or [])]
    return [(i["id"], project.get_scenario(i["id"]).get_settings().get_raw()) for i in items]


def configs(raw):
    return {s["id"]: s["params"].get("config", s["params"]) for s in raw["params"]["steps"]}


def test_plugin_step_types_match_the_plugin():
    assert json.loads((ROOT / "plugin.json").read_text())["id"] == PLUGIN_ID
    for step_id in ("run-test-scenarios", "assert-test-status", "deploy-bundle"):
        assert (ROOT / "python-steps" / step_id / "step.json").is_file()
        assert plugin_step_type(step_id) == "pystep_test-gated-deployment_%s" % step_id
    assert (ROOT / "parameter-sets" / NODE_PARAMETER_SET / "parameter-set.json").is_file()


def test_create_scenario_writes_the_five_steps(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    out = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, deployer_preset="deployer",
                                                                report_folder="reports"))
    assert out.ok, out.error + out.log
    [(scenario_id, raw)] = generated(estate.design)
    steps = raw["params"]["steps"]
    assert raw["type"] == "step_based" and raw["name"] == "Automate Deployment"
    assert [s["type"] for s in steps] == ["prepare_bundle"] + [plugin_step_type(s) for s in (
        "deploy-bundle", "run-test-scenarios", "assert-test-status", "deploy-bundle")]
    for s in steps:
        assert s["id"] and s["name"] and s["enabled"] is True and s["maxRetriesOnFail"] == 0
        assert s["runConditionType"] == "RUN_IF_STATUS_MATCH" and s["runConditionStatuses"] == ["SUCCESS", "WARNING"]
    cfg = configs(raw)
    # The readiness check reached the Deployer of the preset: the published project of both deployments is copied.
    assert cfg["create_bundle"] == {"bundleId": "release", "transmogrify": True, "targetVariable": "bundle_id",
                                    "publishOnDeployer": True, "publishedProjectKey": "SHOP"}
    assert cfg["deploy_qa"]["deployment_id_text"] == "SHOP-on-qa" and cfg["deploy_qa"]["bundle_id"] == "${bundle_id}"
    assert "gate_deployment_id_text" not in cfg["deploy_qa"]
    assert cfg["run_tests_qa"]["automation_nodes"] == [{"mode": "PRESET", "name": "qa"}]
    assert cfg["run_tests_qa"]["parallelism"] == 2 and cfg["run_tests_qa"]["retries"] == 1
    assert cfg["assert_qa_clean"]["bundle_mode"] == "explicit"
    assert cfg["assert_qa_clean"]["bundle_id"] == "${bundle_id}"
    assert cfg["run_tests_qa"]["report_folder"] == "reports" == cfg["assert_qa_clean"]["report_folder"]
    assert cfg["deploy_prod"]["gate_deployment_id_text"] == "SHOP-on-qa" and cfg["deploy_prod"]["rollback"] is True
    assert all(c["deployer"] == {"mode": "PRESET", "name": "deployer"} for k, c in cfg.items() if k != "create_bundle")
    dumped = json.dumps(raw)
    assert "custom_python" not in dumped and "api_key" not in dumped
    assert all(node.admin_key not in dumped for node in (estate.design, estate.qa, estate.prod))
    text = check_html(out.result)
    assert "created" in text and "Deploy bundle to Production" in text and "Readiness of the pipeline" in text
    assert "project SHOP on the Automation node of infrastructure qa-infra" in text and "test_1, test_2" in text
    assert 'href="/projects/SHOP/scenarios/%s/steps"' % scenario_id in out.result


def test_create_scenario_adds_the_govern_sign_off(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    estate.design.plugin_presets["govern"] = {"url": "https://govern.example.com", "api_key": "gk"}
    out = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, govern_preset="govern",
                                                                feedback_group="qa-evidence", signoff_wait_s=3600))
    assert out.ok, out.error + out.log
    [(_, raw)] = generated(estate.design)
    cfg = configs(raw)
    govern = {"mode": "PRESET", "name": "govern"}
    assert cfg["assert_qa_clean"]["post_feedback"] is True and cfg["assert_qa_clean"]["govern"] == govern
    assert cfg["assert_qa_clean"]["feedback_group"] == "qa-evidence"
    assert cfg["deploy_prod"]["require_signoff"] is True and cfg["deploy_prod"]["govern"] == govern
    assert cfg["deploy_prod"]["signoff_wait_s"] == 3600
    assert "require_signoff" not in cfg["deploy_qa"] and "post_feedback" not in cfg["run_tests_qa"]
    assert "gk" not in json.dumps(raw)
    text = check_html(out.result)
    assert "Govern sign-off required" in text and "as feedback of group 'qa-evidence'" in text


def test_create_scenario_twice_updates_the_same_scenario(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02))
    first = run_plugin_macro(estate.design, CREATE, PROJECT, CREATE_CONFIG)
    assert first.ok, first.error
    count = len(api(estate.design).get_project(PROJECT).list_scenarios())
    second = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, parallelism=5, rollback=False,
                                                                      scenario_name="Ship it"))
    assert second.ok, second.error
    assert "updated" in check_html(second.result)
    assert len(api(estate.design).get_project(PROJECT).list_scenarios()) == count
    [(_, raw)] = generated(estate.design)
    assert raw["name"] == "Ship it" and len(raw["params"]["steps"]) == 5
    cfg = configs(raw)
    assert cfg["run_tests_qa"]["parallelism"] == 5 and cfg["deploy_prod"]["rollback"] is False
    assert cfg["create_bundle"]["publishedProjectKey"] == PROJECT  # read from the deployments on this Deployer


def test_create_scenario_updates_an_existing_scenario_by_id(sim):
    estate = build_estate(sim, make_tests(1, duration=0.02))
    out = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, scenario_id="pipeline"))
    assert out.ok, out.error
    ids = [i["id"] for i in api(estate.design).get_project(PROJECT).list_scenarios()]
    assert sorted(ids) == ["pipeline", "test_1"]
    steps = api(estate.design).get_project(PROJECT).get_scenario("pipeline").get_settings().raw_steps
    assert [s["id"] for s in steps] == ["create_bundle", "deploy_qa", "run_tests_qa", "assert_qa_clean", "deploy_prod"]


@pytest.mark.parametrize("config, setting", [
    ({"prod_deployment_id": "SHOP-on-qa"}, "'Production deployment' (prod_deployment_id)"),
    ({"bundle_id_pattern": "release/1"}, "'Bundle id' (bundle_id_pattern)"),
    ({"scenario_id": "AUTOMATE DEPLOYMENT"}, "'Scenario id' (scenario_id)"),
    ({"retries": 11}, "'Retries of a failed scenario' (retries)"),
    ({"qa_deployment_id": ""}, "'QA deployment' (qa_deployment_id)"),
])
def test_create_scenario_refuses_bad_settings_before_any_call(sim, config, setting):
    estate = build_estate(sim, make_tests(1, duration=0.02))
    before = estate.design.request_count(path_contains="/dip/publicapi/")
    out = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, **config))
    assert not out.ok
    assert setting in out.error
    assert estate.design.request_count(path_contains="/dip/publicapi/") == before


def writes(estate):
    """Requests that changed something, on any node (DSS's own internal calls aside)."""
    nodes = [estate.design, estate.prod] + estate.qa_nodes
    return ["%s %s" % (r.method, r.path) for node in nodes for r in node.requests
            if r.method != "GET" and "/tintercom/" not in r.path]


def test_create_scenario_names_an_unknown_deployment_on_a_red_line_and_writes_nothing(sim):
    estate = build_estate(sim, make_tests(1, duration=0.02))
    out = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, prod_deployment_id="SHOP-on-prd"))
    assert out.ok, out.error
    text = check_html(out.result)
    assert "not written" in text and "Nothing was written" in text
    assert "deployment SHOP-on-prd" in text and "404" in text and "Fix the deployment id" in text
    assert generated(estate.design) == [] and writes(estate) == []


def test_create_scenario_refuses_a_pipeline_that_runs_itself_unless_told_to_write_anyway(sim):
    # The pipeline's own scenario is marked as a test in the bundle QA runs: the pipeline would run itself.
    estate = build_estate(sim, make_tests(1, duration=0.02))
    estate.qa.project(PROJECT).add_scenario(ScenarioSpec(id="AUTOMATE_DEPLOYMENT", marked_as_test=True))
    refused = run_plugin_macro(estate.design, CREATE, PROJECT, CREATE_CONFIG)
    assert "the pipeline's own scenario AUTOMATE_DEPLOYMENT is marked as a test" in check_html(refused.result)
    assert generated(estate.design) == [] and writes(estate) == []
    written = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, write_unchecked=True))
    text = check_html(written.result)
    assert "created" in text and "Written although the readiness check has 1 red line(s)" in text
    assert len(generated(estate.design)) == 1


def test_create_scenario_says_when_a_preset_gives_it_no_key_to_check_with(sim):
    # [U] DSS may keep a preset's PASSWORD value from the API: the scenario is written, the page says what was not
    # checked.
    estate = build_estate(sim, make_tests(1, duration=0.02))
    estate.design.plugin_presets = dict(estate.presets(), qa=dict(estate.presets()["qa"], api_key=""))
    out = run_plugin_macro(estate.design, CREATE, PROJECT, CREATE_CONFIG)
    text = check_html(out.result)
    assert "created" in text and "The readiness check was not run: preset 'qa' does not give this macro" in text
    assert len(generated(estate.design)) == 1


@pytest.mark.parametrize("config, setting", [
    ({"qa_node_presets": ["qa-automaton"]}, "'QA Automation node presets' (qa_node_presets)"),
    ({"deployer_preset": "deployr"}, "'Deployer preset' (deployer_preset)"),
    ({"govern_preset": "govrn"}, "'Govern preset' (govern_preset)"),
])
def test_create_scenario_refuses_a_misspelt_preset_before_writing(sim, config, setting):
    estate = build_estate(sim, make_tests(1, duration=0.02))
    out = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, **config))
    assert not out.ok
    typo = (config.get("qa_node_presets") or [config.get("deployer_preset") or config.get("govern_preset")])[0]
    assert setting in out.error and "'%s'" % typo in out.error and "Nothing was written" in out.error
    assert "'qa'" in out.error and "'deployer'" in out.error  # the presets it could have meant
    assert generated(estate.design) == []
    assert estate.design.request_count(path_contains="/scenarios/", method="POST") == 0
    assert estate.design.request_count(path_contains="/scenarios/", method="PUT") == 0


def test_create_scenario_refuses_a_report_folder_the_project_does_not_have(sim):
    estate = build_estate(sim, make_tests(1, duration=0.02))
    out = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, report_folder="reprots"))
    assert not out.ok
    assert "'Save reports to folder' (report_folder) names managed folder reprots" in out.error
    assert "its folders: reports (reports)" in out.error and "Nothing was written" in out.error
    assert generated(estate.design) == []


def test_create_scenario_without_admin_rights_checks_what_it_can(sim):
    estate = build_estate(sim, make_tests(1, duration=0.02))
    user = estate.design.issue_ticket(user="alice", projects=[PROJECT])
    # Only an administrator can list the instance's presets: a name found nowhere is refused, and says why...
    out = run_plugin_macro(estate.design, CREATE, PROJECT, CREATE_CONFIG, ticket=user)
    assert not out.ok
    assert "'qa'" in out.error and "the instance's presets (DSS answered 403" in out.error
    assert "'Write anyway' (write_unchecked)" in out.error
    assert generated(estate.design) == []
    # ...a project preset of that name is found...
    estate.design.project(PROJECT).plugin_presets = {"qa": estate.presets()["qa"]}
    out = run_plugin_macro(estate.design, CREATE, PROJECT, CREATE_CONFIG, ticket=user)
    assert out.ok, out.error
    assert "could not be read" not in check_html(out.result)
    # ...and, when told, it writes anyway and says which name it could not check.
    out = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, qa_node_presets=["qa2"],
                                                               write_unchecked=True), ticket=user)
    assert out.ok, out.error
    assert "Preset 'qa2' of setting 'QA Automation node presets'" in check_html(out.result)
    assert configs(generated(estate.design)[0][1])["run_tests_qa"]["automation_nodes"] == [
        {"mode": "PRESET", "name": "qa2"}]


def test_create_scenario_page_describes_each_step_in_words(sim):
    estate = build_estate(sim, make_tests(1, duration=0.02))
    out = run_plugin_macro(estate.design, CREATE, PROJECT, dict(CREATE_CONFIG, report_folder="reports"))
    assert out.ok, out.error
    text = check_html(out.result)
    deploy_prod = row(out.result, "deploy_prod")
    assert "Checks the same gate on QA again" in deploy_prod and "Gated on QA deployment: SHOP-on-qa" in deploy_prod
    run_tests = row(out.result, "run_tests_qa")
    assert "presets 'qa' (per-scenario results)" in run_tests and "Parallel runs: 2" in run_tests
    assert "Retries of a failed scenario: 1" in run_tests and "Reports saved to folder: reports" in run_tests
    assert "Bundle id: release" in row(out.result, "create_bundle")
    assert text.count("Stored settings") == 5


@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
def test_generated_scenario_runs_the_pipeline(sim, dirty):
    """The written scenario, run by the simulator's step engine: each plugin step as DSS runs it."""
    overrides = {"test_2": {"outcomes_by_bundle": {"release": "FAILED"}}} if dirty else {}
    estate = build_estate(sim, make_tests(2, duration=0.02, **overrides))
    out = run_plugin_macro(estate.design, CREATE, PROJECT, CREATE_CONFIG)
    assert out.ok, out.error
    [(scenario_id, _)] = generated(estate.design)
    run = api(estate.design).get_project(PROJECT).get_scenario(scenario_id).run_and_wait(no_fail=True)
    outcomes = [(s["step"]["id"], s["result"]["outcome"]) for s in run.get_details().steps]
    prod = estate.design.deployer.deployment("SHOP-on-prod")
    if dirty:
        assert run.outcome == "FAILED"
        # The run step records the failure; the gate stops the bundle.
        assert outcomes == [("create_bundle", "SUCCESS"), ("deploy_qa", "SUCCESS"), ("run_tests_qa", "SUCCESS"),
                            ("assert_qa_clean", "FAILED")]
        assert "test_2" in run.get_log("run_tests_qa") and "test_2" in run.get_log("assert_qa_clean")
        assert prod.bundle_id == "v1" and prod.settings_bundle_id == "v1"
    else:
        assert run.outcome == "SUCCESS", run.get_log()
        assert [o for _, o in outcomes] == ["SUCCESS"] * 5
        assert prod.bundle_id == "release" and estate.prod.active_bundle(PROJECT) == "release"
    assert estate.qa.active_bundle(PROJECT) == "release"
    assert all(node.admin_key not in run.get_log() for node in (estate.design, estate.qa, estate.prod))
    assert estate.design.active_runs() == [] and estate.qa.active_runs() == []


# ---- Promote tested bundle ----------------------------------------------------------------------------------------

PROMOTE = "promote-tested-bundle"


@pytest.fixture
def estate(sim):
    return promotion_estate(sim)


def promote(estate, **config):
    base = {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod"}
    base.update(config)
    return run_plugin_macro(estate.design, PROMOTE, PROJECT, base, presets=estate.presets())


def snapshot(estate):
    prod = estate.design.deployer.deployment("SHOP-on-prod")
    return prod.bundle_id, prod.settings_bundle_id, len(prod.updates), estate.prod.active_bundle(PROJECT)


def test_promote_dry_run_changes_nothing(estate):
    run_tests_on(estate.qa, TESTS)
    before = snapshot(estate)
    out = promote(estate)  # dry run is the default
    assert out.ok, out.error
    text = check_html(out.result)
    assert "dry run" in text and "PASS" in text and "would update deployment SHOP-on-prod from bundle v1" in text
    assert snapshot(estate) == before


def test_promote_dry_run_shows_a_refusal(estate):
    out = promote(estate)
    assert out.ok, out.error
    text = check_html(out.result)
    assert "INCONCLUSIVE" in text and "would be refused" in text


def test_promote_a_clean_bundle(estate):
    run_tests_on(estate.qa, TESTS)
    out = promote(estate, dry_run=False, deployer=preset_ref("deployer"), qa_automation_nodes=[preset_ref("qa")])
    assert out.ok, out.error
    text = check_html(out.result)
    assert "updated" in text and "Deployed bundle v2 to deployment SHOP-on-prod; health is HEALTHY" in text
    assert "Now v2 HEALTHY" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", out.result))
    assert snapshot(estate)[0::3] == ("v2", "v2")
    assert estate.design.admin_key not in out.result + out.log
    assert estate.qa.admin_key not in out.result + out.log


def test_promote_refuses_a_dirty_bundle(estate):
    estate.qa.project(PROJECT).add_scenario(
        ScenarioSpec(id="test_2", name="Test 2", marked_as_test=True, duration=0.02, outcome="FAILED"))
    run_tests_on(estate.qa, TESTS)
    before = snapshot(estate)
    out = promote(estate, dry_run=False, qa_automation_nodes=[preset_ref("qa")])
    assert out.ok, out.error  # a refusal is a result, shown on the page
    text = check_html(out.result)
    assert "refused" in text and "FAIL" in text and "test_2 FAILED" in text
    assert "Refused to deploy bundle v2 to deployment SHOP-on-prod, which was left unchanged" in text
    assert snapshot(estate) == before


def test_promote_rolls_back_an_unhealthy_update(estate):
    run_tests_on(estate.qa, TESTS)
    estate.design.deployer.set_update_behaviour("SHOP-on-prod", duration=0.02, health_by_bundle={"v2": "UNHEALTHY"})
    out = promote(estate, dry_run=False)
    assert out.ok, out.error
    text = check_html(out.result)
    assert "rolled back" in text and "UNHEALTHY" in text and "rolled back to bundle v1" in text
    assert snapshot(estate)[0] == "v1" and estate.design.deployer.deployment("SHOP-on-prod").health == "HEALTHY"


@pytest.mark.parametrize("config, setting", [
    ({"prod_deployment_id": "SHOP-on-qa"}, "'Production deployment' (prod_deployment_id)"),
    ({"dry_run": "perhaps"}, "'Dry run' (dry_run)"),
    ({"min_results": 0}, "'Minimum number of results' (min_results)"),
    ({"deployer": {"url": "ftp://x", "api_key": CANARY}}, "'Deployer' (deployer)"),
])
def test_promote_refuses_bad_settings_before_any_call(estate, config, setting):
    before = estate.design.request_count(path_contains="/dip/publicapi/")
    out = promote(estate, **dict({"dry_run": False}, **config))
    assert not out.ok
    assert setting in out.error and CANARY not in out.error + out.log
    assert estate.design.request_count(path_contains="/dip/publicapi/") == before


def test_promote_never_shows_a_refused_key(estate):
    estate.design.add_api_key(CANARY, user="canary", projects={"OTHER"})
    presets = dict(estate.presets(), canary={"url": estate.design.url, "api_key": CANARY})
    out = run_plugin_macro(estate.design, PROMOTE, PROJECT,
                           {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod",
                            "deployer": preset_ref("canary")}, presets=presets)
    assert not out.ok
    assert "403" in out.error and "SHOP-on-qa" in out.error
    assert CANARY not in out.error + out.log + json.dumps(out.extra)
