"""Govern: "Assert Govern sign-off", the sign-off gate of "Deploy bundle" and the QA verdict posted as feedback,
each through the real GovernClient against the simulated Govern node, judged by the simulator's state."""

import json
import re
import threading
import time

import pytest
from dss_simulator import ScenarioSpec
from dss_simulator.step_runner import run_step
from junitparser import JUnitXml
from macrokit import check_html, run_plugin_macro
from stepkit import ROOT, run_plugin_step
from worlds import PROJECT, preset_ref, promotion_estate, run_tests_on

PROD = "SHOP-on-prod"
FEEDBACK_KEY = "qa-feedback-key-0123456789"


@pytest.fixture
def estate(sim):
    estate = promotion_estate(sim)
    run_tests_on(estate.qa, ["test_1", "test_2"])
    return estate


@pytest.fixture
def gov(sim, estate):
    gov = sim.add_govern_node("govern")
    gov.add_api_key(FEEDBACK_KEY, user="qa-bot")
    gov.govern.add_feedback_group("qa-evidence", keys=[FEEDBACK_KEY])
    gov.govern.govern_project("design", PROJECT)
    for bundle in ("v1", "v2"):
        gov.govern.add_bundle("design", PROJECT, bundle)
    return gov


def presets(estate, gov, key=None):
    found = estate.presets()
    found["govern"] = {"url": gov.url, "api_key": key or gov.admin_key}
    return found


def signoff_of(gov, bundle="v2"):
    return gov.govern.bundle(PROJECT, bundle, node_id="design").signoff("review")


def assert_signoff(estate, gov, **config):
    base = {"govern": preset_ref("govern"), "bundle_id": "v2"}
    base.update(config)
    return run_plugin_step(estate.design, "assert-govern-signoff", PROJECT, base, presets=presets(estate, gov))


def fail_a_test(estate):
    estate.qa.project(PROJECT).add_scenario(
        ScenarioSpec(id="test_2", name="T2", marked_as_test=True, duration=0.02, outcome="FAILED"))
    run_tests_on(estate.qa, ["test_2"])


def last_line(out):
    return out.log.strip().splitlines()[-1]


def production(estate):
    dep = estate.design.deployer.deployment(PROD)
    return dep.settings_bundle_id, dep.bundle_id, dep.started_updates


def deploy(estate, gov, **config):
    base = {"deployment_id": PROD, "bundle_id": "v2", "gate_deployment_id": "SHOP-on-qa",
            "require_signoff": True, "govern": preset_ref("govern")}
    base.update(config)
    return run_plugin_step(estate.design, "deploy-bundle", PROJECT, base, presets=presets(estate, gov))


# -- Assert Govern sign-off ----------------------------------------------------------------------------------------

def test_an_approved_bundle_passes_and_says_who_approved(estate, gov):
    signoff_of(gov).approve(user="alice", comment="Reviewed the QA evidence")
    out = assert_signoff(estate, gov)
    assert out.ok, out.log
    assert out.variables["signoff_signoff"] == "APPROVED"
    assert out.variables["signoff_signoff_by"] == "alice"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", out.variables["signoff_signoff_on"])
    assert out.variables["signoff_govern_bundle"] == gov.govern.bundle(PROJECT, "v2", node_id="design").id
    assert "is APPROVED by alice" in out.log


def test_only_the_sign_off_of_exactly_this_bundle_counts(estate, gov):
    signoff_of(gov, "v1").approve(user="alice")
    out = assert_signoff(estate, gov)
    assert not out.ok
    assert out.variables["signoff_signoff"] == "PENDING"


def test_pending_then_approved_within_the_wait(estate, gov):
    approver = threading.Timer(0.5, lambda: signoff_of(gov).approve(user="bob"))
    approver.start()
    try:
        out = assert_signoff(estate, gov, signoff_wait_s=20, signoff_interval_s=1)
    finally:
        approver.cancel()
    assert out.ok, out.log
    assert "checking again" in out.log
    assert out.variables["signoff_signoff_by"] == "bob"


def test_pending_past_the_wait_fails_saying_so(estate, gov):
    started = time.monotonic()
    out = assert_signoff(estate, gov, signoff_wait_s=2, signoff_interval_s=1)
    assert not out.ok
    assert time.monotonic() - started < 15
    message = last_line(out)
    assert "Govern sign-off PENDING for bundle v2 of project SHOP (node design)" in message
    assert "WAITING_FOR_FEEDBACK" in message
    assert "still pending after" in message
    assert out.variables["signoff_signoff"] == "PENDING"


@pytest.mark.parametrize("decision", ["reject", "abandon"])
def test_a_rejected_or_abandoned_sign_off_fails(estate, gov, decision):
    getattr(signoff_of(gov), decision)(user="carol", comment="Missing the drift report")
    out = assert_signoff(estate, gov)
    assert not out.ok
    message = last_line(out)
    assert "Govern sign-off FAIL" in message
    assert ("REJECTED" if decision == "reject" else "ABANDONED") in message
    assert "Missing the drift report" in message


def test_a_bundle_not_synced_yet_is_pending_until_it_is(sim, estate):
    gov = sim.add_govern_node("govern")
    gov.govern.govern_project("design", PROJECT)
    syncer = threading.Timer(0.5, lambda: (gov.govern.add_bundle("design", PROJECT, "v2"),
                                          signoff_of(gov).approve(user="alice")))
    syncer.start()
    try:
        out = assert_signoff(estate, gov, signoff_wait_s=20, signoff_interval_s=1)
    finally:
        syncer.cancel()
    assert out.ok, out.log
    assert "has not synced it yet" in out.log


def test_an_ungoverned_project_fails_with_what_to_do(sim, estate):
    gov = sim.add_govern_node("govern")
    gov.govern.add_bundle("design", PROJECT, "v2")
    out = assert_signoff(estate, gov, signoff_wait_s=5, signoff_interval_s=1)
    assert not out.ok
    message = last_line(out)
    assert "it is not governed" in message
    assert "Govern project SHOP in Dataiku Govern" in message


def test_a_missing_sign_off_step_fails_naming_the_step(estate, gov):
    out = assert_signoff(estate, gov, signoff_step="production_review")
    assert not out.ok
    message = last_line(out)
    assert "no sign-off on workflow step production_review" in message
    assert "the standard workflow's is 'review'" in message


def test_the_bundle_a_deployment_runs(estate, gov):
    signoff_of(gov).approve(user="alice")
    out = assert_signoff(estate, gov, bundle_mode="from_deployment", deployment_id="SHOP-on-qa", bundle_id="")
    assert out.ok, out.log
    assert "bundle v2 of project SHOP" in out.log


def test_an_unreachable_govern_fails_naming_it(estate, gov):
    gov.faults.add(path_contains="/artifacts/search", status=503, times=1000)
    out = assert_signoff(estate, gov, retry_budget_s=1)
    assert not out.ok
    message = last_line(out)
    assert "Govern at %s" % gov.url in message
    assert "even after retrying" in message


# -- Deploy bundle with the sign-off -------------------------------------------------------------------------------

def test_deploy_waits_for_the_sign_off_then_promotes(estate, gov):
    approver = threading.Timer(0.5, lambda: signoff_of(gov).approve(user="alice"))
    approver.start()
    try:
        out = deploy(estate, gov, signoff_wait_s=20, signoff_interval_s=1)
    finally:
        approver.cancel()
    assert out.ok, out.log
    assert out.variables["deploy_signoff"] == "APPROVED"
    assert out.variables["deploy_signoff_by"] == "alice"
    assert production(estate)[:2] == ("v2", "v2")


def test_deploy_refuses_a_pending_sign_off_leaving_production_untouched(estate, gov):
    out = deploy(estate, gov)
    assert not out.ok
    message = last_line(out)
    assert "Refused to deploy bundle v2 to deployment SHOP-on-prod, which was left unchanged" in message
    assert "Govern sign-off PENDING" in message
    assert out.variables["deploy_outcome"] == "refused"
    assert production(estate) == ("v1", "v1", [])


def test_deploy_refuses_a_rejected_bundle(estate, gov):
    signoff_of(gov).reject(user="carol", comment="No")
    out = deploy(estate, gov)
    assert not out.ok
    assert "REJECTED by carol" in last_line(out)
    assert production(estate) == ("v1", "v1", [])


def test_the_test_gate_decides_first(estate, gov):
    signoff_of(gov).approve(user="alice")
    fail_a_test(estate)
    out = deploy(estate, gov)
    assert not out.ok
    assert "Test gate FAIL" in last_line(out)
    assert gov.request_count(path_contains="/signoff") == 0
    assert production(estate) == ("v1", "v1", [])


# -- The QA verdict as feedback -------------------------------------------------------------------------------------

def assert_tests(estate, gov, key=FEEDBACK_KEY, **config):
    base = {"deployment_id": "SHOP-on-qa", "post_feedback": True, "govern": preset_ref("govern"),
            "feedback_group": "qa-evidence"}
    base.update(config)
    return run_plugin_step(estate.design, "assert-test-status", PROJECT, base, presets=presets(estate, gov, key))


def test_a_pass_is_posted_as_approved_feedback(estate, gov):
    out = assert_tests(estate, gov)
    assert out.ok, out.log
    feedback = signoff_of(gov).feedback
    assert [f["status"] for f in feedback] == ["APPROVED"]
    assert feedback[0]["groupId"] == "qa-evidence"
    assert "Test gate PASS for bundle v2 of deployment SHOP-on-qa" in feedback[0]["comment"]
    assert "2 result(s): 0 failed" in feedback[0]["comment"]
    assert out.variables["gate_govern_feedback"] == "APPROVED"
    # Feedback only: the final approval stays a person's.
    assert signoff_of(gov).status != "APPROVED"


def test_a_fail_is_posted_as_a_major_issue_and_the_step_fails(estate, gov):
    fail_a_test(estate)
    out = assert_tests(estate, gov)
    assert not out.ok
    feedback = signoff_of(gov).feedback
    assert [f["status"] for f in feedback] == ["MAJOR_ISSUE"]
    assert "FAILED" in feedback[0]["comment"]


def test_a_waived_verdict_is_posted_as_a_minor_issue(estate, gov):
    out = assert_tests(estate, gov, bundle_mode="explicit", bundle_id="v1", allow_inconclusive=True)
    assert out.ok, out.log
    feedback = signoff_of(gov, "v1").feedback
    assert [f["status"] for f in feedback] == ["MINOR_ISSUE"]
    assert "WAIVED" in feedback[0]["comment"]


def test_a_key_outside_the_feedback_group_gets_what_to_set_up(estate, gov):
    out = assert_tests(estate, gov, key=gov.admin_key)
    assert not out.ok
    message = last_line(out)
    assert "The test gate's verdict is PASS (in the scenario variables), but it was not posted to Govern" in message
    assert "must be a reviewer of that sign-off for group qa-evidence" in message
    assert out.variables["gate_verdict"] == "PASS"
    assert signoff_of(gov).feedback == []
    assert gov.admin_key not in out.log


def test_a_lost_answer_to_the_feedback_posts_it_once(estate, gov):
    gov.faults.add(path_contains="/signoff/feedback", method="POST", status=502, after=True, times=1)
    out = assert_tests(estate, gov)
    assert out.ok, out.log
    assert [f["status"] for f in signoff_of(gov).feedback] == ["APPROVED"]


def test_the_record_is_attached_to_the_file_field(sim, estate):
    gov = sim.add_govern_node("govern")
    gov.add_api_key(FEEDBACK_KEY, user="qa-bot")
    gov.govern.add_feedback_group("qa-evidence", keys=[FEEDBACK_KEY])
    gov.govern.govern_project("design", PROJECT, file_field="qa_reports")
    gov.govern.add_bundle("design", PROJECT, "v2")
    out = assert_tests(estate, gov, attach_field="qa_reports")
    assert out.ok, out.log
    attached = gov.govern.bundle(PROJECT, "v2", node_id="design").fields["qa_reports"]
    names = sorted(gov.govern.uploaded_files[i][0] for i in attached)
    assert [n.rsplit(".", 1)[1] for n in names] == ["html", "json"]
    record = json.loads(next(gov.govern.uploaded_files[i][1] for i in attached
                             if gov.govern.uploaded_files[i][0].endswith(".json")))
    assert record["verdict"] == "PASS" and record["bundle"] == "v2"
    assert FEEDBACK_KEY not in out.log


def test_with_node_presets_dss_s_junit_report_is_attached_too(sim, estate):
    gov = govern_with_a_file_field(sim)
    out = assert_tests(estate, gov, attach_field="qa_reports", automation_nodes=[preset_ref("qa")])
    assert out.ok, out.log
    attached = gov.govern.bundle(PROJECT, "v2", node_id="design").fields["qa_reports"]
    files = {gov.govern.uploaded_files[i][0].rsplit(".", 1)[1]: gov.govern.uploaded_files[i][1] for i in attached}
    assert sorted(files) == ["html", "json", "xml"]
    cases = [case.name for suite in JUnitXml.fromstring(files["xml"]) for case in suite]
    assert any("test_1" in name for name in cases) and any("test_2" in name for name in cases)


def govern_with_a_file_field(sim, **project):
    gov = sim.add_govern_node("govern")
    gov.add_api_key(FEEDBACK_KEY, user="qa-bot")
    gov.govern.add_feedback_group("qa-evidence", keys=[FEEDBACK_KEY])
    gov.govern.govern_project("design", PROJECT, file_field="qa_reports", **project)
    gov.govern.add_bundle("design", PROJECT, "v2")
    return gov


def test_uploads_are_deleted_when_the_item_cannot_be_saved(sim, estate):
    gov = govern_with_a_file_field(sim)
    gov.govern.fail_artifact_save = True
    out = assert_tests(estate, gov, attach_field="qa_reports")
    assert not out.ok
    message = last_line(out)
    assert "posted to Govern as feedback APPROVED on the sign-off of Govern bundle" in message
    assert "its record was not attached" in message
    assert [f["status"] for f in signoff_of(gov).feedback] == ["APPROVED"]
    assert out.variables["gate_govern_feedback"] == "APPROVED"
    assert gov.govern.uploaded_files == {}
    assert gov.govern.bundle(PROJECT, "v2", node_id="design").fields.get("qa_reports") == []


def test_a_save_whose_answer_is_lost_keeps_the_files_it_attached(sim, estate):
    gov = govern_with_a_file_field(sim)
    gov.faults.add(path_regex=r"/dip/publicapi/artifact/[^/]+", method="PUT", status=502, after=True, times=1000)
    out = assert_tests(estate, gov, attach_field="qa_reports", retry_budget_s=1)
    assert out.ok, out.log
    attached = gov.govern.bundle(PROJECT, "v2", node_id="design").fields["qa_reports"]
    assert len(attached) == 2 and sorted(gov.govern.uploaded_files) == sorted(attached)
    assert "the item shows it was saved" in out.log


def test_an_upload_whose_answer_is_lost_is_sent_again_and_the_copy_named(sim, estate):
    gov = govern_with_a_file_field(sim)
    gov.faults.add(path_contains="/uploaded-files", method="POST", status=502, after=True, times=1)
    out = assert_tests(estate, gov, attach_field="qa_reports")
    assert out.ok, out.log
    attached = gov.govern.bundle(PROJECT, "v2", node_id="design").fields["qa_reports"]
    assert len(attached) == 2 and len(gov.govern.uploaded_files) == 3   # the lost answer's copy is left over
    (copy,) = set(gov.govern.uploaded_files) - set(attached)
    assert "keeps a copy of %s that nothing points at" % gov.govern.uploaded_files[copy][0] in out.log


def test_an_upload_that_keeps_failing_is_named_for_clean_up(sim, estate):
    gov = govern_with_a_file_field(sim)
    gov.faults.add(path_contains="/uploaded-files", method="POST", status=502, after=True, times=1000)
    out = assert_tests(estate, gov, attach_field="qa_reports", retry_budget_s=1)
    assert not out.ok
    assert "look for it among Govern's uploaded files and delete it" in last_line(out)
    assert [f["status"] for f in signoff_of(gov).feedback] == ["APPROVED"]
    assert gov.govern.bundle(PROJECT, "v2", node_id="design").fields.get("qa_reports") == []


@pytest.mark.parametrize("fault", [dict(status=429, retry_after=1), dict(drop=True)])
def test_an_upload_that_did_not_reach_govern_is_sent_again_with_a_body_of_its_own(sim, estate, fault):
    gov = govern_with_a_file_field(sim)
    gov.faults.add(path_contains="/uploaded-files", method="POST", times=1, **fault)
    started = time.monotonic()
    out = assert_tests(estate, gov, attach_field="qa_reports")
    assert time.monotonic() - started < 30
    assert out.ok, out.log
    attached = gov.govern.bundle(PROJECT, "v2", node_id="design").fields["qa_reports"]
    assert len(attached) == 2 and sorted(gov.govern.uploaded_files) == sorted(attached)
    assert all(len(data) > 100 for _, data in gov.govern.uploaded_files.values())


def test_a_step_retried_in_the_same_run_posts_its_feedback_once(estate, gov):
    ctx = estate.design.start_step_context(PROJECT, "pipeline")
    config = {"deployment_id": "SHOP-on-qa", "post_feedback": True, "govern": preset_ref("govern"),
              "feedback_group": "qa-evidence"}
    try:
        for _ in range(2):
            result = run_step(ROOT / "python-steps" / "assert-test-status", raw_config=config,
                              presets=presets(estate, gov, FEEDBACK_KEY), backend_url=estate.design.url,
                              ticket=ctx.ticket, project_key=PROJECT, timeout=60)
            assert result.exit_code == 0, result.log
    finally:
        ctx.finish("SUCCESS")
    assert [f["status"] for f in signoff_of(gov).feedback] == ["APPROVED"]
    assert "not posted again" in result.log


def test_a_sign_off_not_open_for_feedback_says_what_to_do(sim, estate):
    gov = sim.add_govern_node("govern")
    gov.add_api_key(FEEDBACK_KEY, user="qa-bot")
    gov.govern.add_feedback_group("qa-evidence", keys=[FEEDBACK_KEY])
    gov.govern.govern_project("design", PROJECT, signoff_status="NOT_STARTED")
    gov.govern.add_bundle("design", PROJECT, "v2")
    out = assert_tests(estate, gov)
    assert not out.ok
    message = last_line(out)
    assert "The sign-off is NOT_STARTED" in message and "request feedback on it in Govern" in message


def test_a_bundle_of_a_governed_project_not_linked_yet_is_pending(sim, estate):
    gov = sim.add_govern_node("govern")
    gov.govern.add_bundle("design", PROJECT, "v2")      # synced before its project was governed
    gov.govern.govern_project("design", PROJECT)
    out = assert_signoff(estate, gov)
    assert not out.ok
    assert out.variables["signoff_signoff"] == "PENDING"
    assert "has no Govern bundle yet, and its project is governed" in last_line(out)


def test_a_govern_key_refused_names_govern(estate, gov):
    out = run_plugin_step(estate.design, "assert-govern-signoff", PROJECT,
                          {"govern": preset_ref("govern"), "bundle_id": "v2"},
                          presets=presets(estate, gov, key="not-a-govern-key"))
    assert not out.ok
    message = last_line(out)
    assert "the API key was refused by Govern at %s (401)" % gov.url in message
    assert "not-a-govern-key" not in out.log


def test_an_approval_without_a_known_approver_key_shows_govern_s_answer(estate, gov):
    signoff_of(gov).decide("APPROVED", user="", comment="ok for prod")
    out = assert_signoff(estate, gov)
    assert out.ok, out.log
    assert "Govern's final-approval answer" in out.log and "ok for prod" in out.log


# -- The Promote macro -----------------------------------------------------------------------------------------------

def promote(estate, gov, **config):
    base = {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": PROD, "govern": preset_ref("govern"),
            "qa_automation_nodes": [preset_ref("qa")]}
    base.update(config)
    return run_plugin_macro(estate.design, "promote-tested-bundle", PROJECT, base,
                            presets=presets(estate, gov, FEEDBACK_KEY))


def test_a_dry_run_posts_qa_s_verdict_and_shows_the_pending_sign_off(estate, gov):
    out = promote(estate, gov, post_feedback=True, feedback_group="qa-evidence", require_signoff=True)
    assert out.ok, out.error + out.log
    page = check_html(out.result)
    assert "would be refused" in page and "Govern sign-off PENDING" in page
    assert "posted to the Govern sign-off of bundle v2 as feedback APPROVED" in page
    assert [f["status"] for f in signoff_of(gov).feedback] == ["APPROVED"]
    assert production(estate) == ("v1", "v1", [])


def test_the_macro_promotes_only_a_signed_off_bundle(estate, gov):
    refused = promote(estate, gov, dry_run=False, require_signoff=True)
    assert refused.ok, refused.error
    assert "Refused to deploy bundle v2" in check_html(refused.result)
    assert production(estate) == ("v1", "v1", [])
    signoff_of(gov).approve(user="alice")
    out = promote(estate, gov, dry_run=False, require_signoff=True)
    assert out.ok, out.error
    assert "APPROVED by alice" in check_html(out.result)
    assert production(estate)[:2] == ("v2", "v2")


def test_a_feedback_the_macro_could_not_post_is_shown_on_the_page(estate, gov):
    out = promote(estate, gov, post_feedback=True, feedback_group="reviewers")
    assert out.ok, out.error
    assert "QA's verdict was NOT posted to Govern" in check_html(out.result)
    assert FEEDBACK_KEY not in out.result + out.log


def test_a_node_that_cannot_say_its_id_names_the_bundle_and_the_setting(estate, gov):
    estate.design.faults.add(path_contains="/instance-info", status=500, dss_body=True, times=1)
    out = assert_signoff(estate, gov)
    assert not out.ok
    message = last_line(out)
    assert "Bundle v2 of project SHOP could not be looked for in Govern" in message
    assert "'Node id of the bundle's Design node' (bundle_node_id)" in message
    signoff_of(gov).approve(user="alice")
    assert assert_signoff(estate, gov, bundle_node_id="design").ok
