"""Assert test status clean, table-driven against the simulator: each case asserts the verdict, and that the
message names the bundle, the deployment and the node."""

import json
from dataclasses import dataclass, field
from typing import Callable, Dict

import dataikuapi
import pytest
from dss_simulator import ScenarioSpec
from macrokit import check_html
from stepkit import run_plugin_step
from worlds import PROJECT, build_estate, make_tests, preset_ref, report_folders, run_tests_on, update_deployment

STEP = "assert-test-status"
TESTS = ["test_1", "test_2", "test_3"]


@dataclass
class Case:
    name: str
    setup: Callable
    verdict: str
    config: Dict = field(default_factory=dict)
    qa_nodes: int = 1
    scenarios: Dict = field(default_factory=dict)
    with_presets: bool = False


def ran_clean(estate):
    for node in estate.qa_nodes:
        run_tests_on(node, TESTS)


def aborted_one(estate):
    run_tests_on(estate.qa, ["test_1", "test_2"])
    estate.qa.run_scenario(PROJECT, "test_3")  # hangs until aborted
    dataikuapi.DSSClient(estate.qa.url, estate.qa.admin_key).get_project(PROJECT).get_scenario("test_3").abort()


def nothing_ran(estate):
    pass


def only_previous_bundle(estate):
    run_tests_on(estate.qa, TESTS)
    estate.design.export_bundle(PROJECT, "v2")
    estate.design.deployer.publish_bundle(PROJECT, "v2")
    update_deployment(estate.design, "SHOP-on-qa", "v2")


def stale_after_update(estate):
    run_tests_on(estate.qa, TESTS)
    update_deployment(estate.design, "SHOP-on-qa", "v1")


def second_node_fails(estate):
    estate.qa_nodes[1].project(PROJECT).add_scenario(
        ScenarioSpec(id="test_2", name="Test 2", marked_as_test=True, duration=0.02, outcome="FAILED"))
    ran_clean(estate)


def one_never_ran(estate):
    run_tests_on(estate.qa, ["test_1", "test_2"])


CASES = [
    Case("clean", ran_clean, "PASS"),
    Case("one FAILED", ran_clean, "FAIL", scenarios={"test_2": {"outcome": "FAILED"}}),
    Case("one ABORTED", aborted_one, "FAIL", scenarios={"test_3": {"hangs": True}}),
    Case("WARNING allowed", ran_clean, "PASS", scenarios={"test_1": {"outcome": "WARNING"}}),
    Case("WARNING fails", ran_clean, "FAIL", {"fail_on_warning": True}, scenarios={"test_1": {"outcome": "WARNING"}}),
    Case("zero results", nothing_ran, "INCONCLUSIVE"),
    Case("zero results waived", nothing_ran, "INCONCLUSIVE", {"allow_inconclusive": True}),
    Case("previous bundle only", only_previous_bundle, "INCONCLUSIVE"),
    Case("stale", stale_after_update, "INCONCLUSIVE", with_presets=True),
    Case("multi-node, one node fails", second_node_fails, "FAIL", qa_nodes=2),
    Case("never ran", one_never_ran, "INCONCLUSIVE", with_presets=True),
    Case("explicit bundle", ran_clean, "PASS", {"bundle_mode": "explicit", "bundle_id": "${bundle_id}"}),
]


# Results older than the last update are seen only with the update history of the 14.1 client.
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.client("14.1")) if c.name == "stale" else c
                                  for c in CASES], ids=[c.name for c in CASES])
def test_verdicts(sim, case):
    estate = build_estate(sim, make_tests(3, duration=0.02, **case.scenarios), qa_nodes=case.qa_nodes)
    case.setup(estate)
    config = {"deployment_id": "SHOP-on-qa"}
    if case.with_presets:
        config["automation_nodes"] = [preset_ref(n.node_id) for n in estate.qa_nodes]
    config.update(case.config)
    out = run_plugin_step(estate.design, STEP, PROJECT, config, presets=estate.presets(),
                          variables={"bundle_id": "v1"})
    assert out.variables["gate_verdict"] == case.verdict, out.log
    expected_ok = case.verdict == "PASS" or case.config.get("allow_inconclusive")
    assert out.ok == bool(expected_ok), out.log
    if case.verdict != "PASS":
        message = out.log.splitlines()[-1] if not out.ok else " ".join(out.variables["gate_reasons"])
        bundle = "v2" if case.setup is only_previous_bundle else "v1"
        assert "bundle %s" % bundle in message and "SHOP-on-qa" in message and "Automation node" in message, message
    if case.setup is only_previous_bundle:
        assert "Results exist for bundle v1" in out.log
    if case.setup is second_node_fails:
        assert "Automation node qa2" in out.log.splitlines()[-1]
        assert "Automation node qa1" not in out.log.splitlines()[-1]
    if case.setup is one_never_ran:
        assert "test_3 never ran" in out.log.splitlines()[-1]
    if case.config.get("allow_inconclusive"):
        assert "WAIVED" in out.log


def test_recheck_turns_conclusive_before_the_deadline(sim):
    estate = build_estate(sim, make_tests(2, duration=1.5))
    for sid in ("test_1", "test_2"):
        estate.qa.run_scenario(PROJECT, sid)
    out = run_plugin_step(estate.design, STEP, PROJECT, {"deployment_id": "SHOP-on-qa", "recheck_until_s": 10,
                                                         "recheck_interval_s": 1}, presets=estate.presets())
    assert out.ok, out.log
    assert out.variables["gate_verdict"] == "PASS"
    assert "checking again" in out.log


def test_recheck_gives_up_at_the_deadline(sim):
    estate = build_estate(sim, make_tests(2))
    out = run_plugin_step(estate.design, STEP, PROJECT, {"deployment_id": "SHOP-on-qa", "recheck_until_s": 2,
                                                         "recheck_interval_s": 1}, presets=estate.presets())
    assert not out.ok
    assert out.variables["gate_verdict"] == "INCONCLUSIVE"
    assert out.log.count("checking again") >= 1


def test_project_on_this_node(sim, design):
    project = design.add_project("LOCAL")
    project.add_scenario(ScenarioSpec(id="pipeline", name="Pipeline"))
    project.add_scenario(ScenarioSpec(id="t1", name="T1", marked_as_test=True, duration=0.02, outcome="FAILED"))
    run_tests_on(design, ["t1"], project_key="LOCAL")
    out = run_plugin_step(design, STEP, "LOCAL", {"source": "project"})
    assert not out.ok
    assert out.variables["gate_verdict"] == "FAIL"
    assert "t1 FAILED" in out.log.splitlines()[-1] and "project LOCAL" in out.log.splitlines()[-1]


def test_gate_on_dss_13_3_works_without_the_update_history(sim):
    estate = build_estate(sim, make_tests(2, duration=0.02), dss_version="13.3.0")
    run_tests_on(estate.qa, ["test_1", "test_2"])
    out = run_plugin_step(estate.design, STEP, PROJECT, {"deployment_id": "SHOP-on-qa"}, presets=estate.presets())
    assert out.ok, out.log
    assert out.variables["gate_verdict"] == "PASS"
    assert "Reading the update history of deployment SHOP-on-qa needs DSS 14.1 or later" in out.log


@pytest.mark.client("14.1")  # the update history or run-test-scenarios of the 14.1 client
def test_the_verdict_is_saved_as_an_audit_record(sim, tmp_path):
    estate = build_estate(sim, make_tests(3), with_prod=False)
    ran_clean(estate)
    folders = report_folders(estate.design, tmp_path, "audit")
    out = run_plugin_step(estate.design, STEP, PROJECT, {"deployment_id": "SHOP-on-qa", "report_folder": "audit",
                                                         "automation_nodes": [preset_ref("qa")], "max_age_s": 3600},
                          presets=estate.presets())
    assert out.ok, out.log
    [page] = list((folders / "audit").rglob("*.html"))
    [record_file] = list((folders / "audit").rglob("*.json"))
    assert page.stem == record_file.stem
    record = json.loads(record_file.read_text())
    assert record["verdict"] == "PASS" and record["bundle"] == "v1" and record["subject"] == "deployment SHOP-on-qa"
    assert record["policy"] == {"min_results_per_node": 1, "fail_on_warning": False, "allow_inconclusive": False,
                                "max_age_s": 3600.0}
    [node] = record["nodes"]
    assert [(c["scenario"], c["outcome"]) for c in node["scenarios"]] == [(t, "SUCCESS") for t in TESTS]
    assert all(c["ran_at"].endswith("Z") and c["url"].startswith(estate.qa.url) for c in node["scenarios"])
    assert record["decided_at"] and record["last_update_of_subject"]
    assert record["decided_by"]["what"].endswith("scenario pipeline of project SHOP")
    assert record["decided_by"]["url"].startswith(estate.design.url)
    text = check_html(page.read_text())
    assert "PASS" in text and "test_2" in text and "at least 1 result(s) per node" in text


@pytest.mark.parametrize("step, config", [
    ("assert-test-status", {"deployment_id": "SHOP-on-qa"}),
    ("run-test-scenarios", {"target": "deployment", "deployment_id": "SHOP-on-qa"}),
], ids=["assert", "run"])
def test_a_missing_report_folder_is_refused_before_any_call(sim, tmp_path, step, config):
    estate = build_estate(sim, make_tests(3), with_prod=False)
    report_folders(estate.design, tmp_path, "audit")
    before = estate.design.request_count(path_contains="/dip/publicapi/")
    out = run_plugin_step(estate.design, step, PROJECT, dict(config, report_folder="audti"),
                          presets=estate.presets())
    assert not out.ok
    message = out.log.strip().splitlines()[-1]
    assert "(report_folder) names managed folder audti" in message
    assert "Managed folder audti in project SHOP does not exist" in message  # DSS's words, read from the package
    assert "Unexpected error" not in out.log and "Traceback" not in message
    assert estate.design.request_count(path_contains="/dip/publicapi/") == before
    assert estate.qa.request_count(path_contains="/dip/publicapi/") == 0


def test_a_report_that_cannot_be_saved_after_a_pass_keeps_the_pass(sim, tmp_path):
    estate = build_estate(sim, make_tests(3), with_prod=False)
    ran_clean(estate)
    folders = report_folders(estate.design, tmp_path, "audit")
    # The folder passes its check (first upload), then DSS refuses the verdict's page.
    estate.design.faults.add(path_contains="/managed-folders/upload-path", status=500, dss_body=True, skip=1,
                             times=5)
    out = run_plugin_step(estate.design, STEP, PROJECT, {"deployment_id": "SHOP-on-qa", "report_folder": "audit",
                                                         "automation_nodes": [preset_ref("qa")]},
                          presets=estate.presets())
    assert out.ok, out.log
    assert out.variables["gate_verdict"] == "PASS"
    assert "The verdict stands, but its record was not fully saved: Saving" in out.log
    assert "managed folder audit of project SHOP failed: DSS answered:" in out.log
    assert not list((folders / "audit").rglob("*.html"))
