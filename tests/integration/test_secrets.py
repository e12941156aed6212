"""A canary API key goes through every step and macro failure path (and paths that write reports and pages):
it must never appear in a log, a message, a scenario variable, a report or a macro page."""

import json

import pytest
from faultkit import LEDGER
from macrokit import run_plugin_macro
from stepkit import run_plugin_step
from worlds import PROJECT, build_estate, make_tests, preset_ref, report_folders, run_tests_on

CANARY = "dkuaps-CANARY-7f3e9b1c5a"


def canary_estate(sim, node_name, registered):
    """An estate where test_2 failed on QA, and presets holding the canary key.

    `registered`: True (a valid key on the node), False (unknown: 401), or "403" (valid for another project only).
    """
    estate = build_estate(sim, make_tests(3, duration=0.02, test_2={"outcome": "FAILED"}))
    run_tests_on(estate.qa, ["test_1", "test_2", "test_3"])
    node = estate.design if node_name == "design" else estate.qa
    if registered == "403":
        node.add_api_key(CANARY, user="canary", projects={"OTHER"})
    elif registered:
        node.add_api_key(CANARY, user="canary")
    presets = estate.presets()
    presets["canary"] = {"url": node.url, "api_key": CANARY}
    if node_name == "design" and registered is True:
        estate.qa.add_api_key(CANARY, user="canary")
        presets["canary-qa"] = {"url": estate.qa.url, "api_key": CANARY}
    presets["badurl"] = {"url": "ftp://%s@qa.example" % CANARY, "api_key": CANARY}
    return estate, presets


CASES = [
    ("run tests: key refused (401)", "run-test-scenarios",
     {"target": "deployment", "deployment_id": "SHOP-on-qa", "automation_nodes": [preset_ref("canary")]}, "qa", False),
    ("run tests: key without rights (403)", "run-test-scenarios",
     {"target": "deployment", "deployment_id": "SHOP-on-qa", "automation_nodes": [preset_ref("canary")]}, "qa", "403"),
    ("run tests: a test fails, reports saved", "run-test-scenarios",
     {"target": "deployment", "deployment_id": "SHOP-on-qa", "automation_nodes": [preset_ref("canary")],
      "report_folder": "reports"}, "qa", True),
    ("assert: Deployer key refused", "assert-test-status",
     {"deployment_id": "SHOP-on-qa", "deployer": preset_ref("canary")}, "design", False),
    ("assert: node key refused", "assert-test-status",
     {"deployment_id": "SHOP-on-qa", "automation_nodes": [preset_ref("canary")]}, "qa", False),
    ("assert: gate fails, report saved", "assert-test-status",
     {"deployment_id": "SHOP-on-qa", "automation_nodes": [preset_ref("canary")], "report_folder": "reports"},
     "qa", True),
    ("deploy: Deployer key refused", "deploy-bundle",
     {"deployment_id": "SHOP-on-prod", "bundle_id": "v1", "deployer": preset_ref("canary")}, "design", False),
    ("deploy: gate node key refused", "deploy-bundle",
     {"deployment_id": "SHOP-on-prod", "bundle_id": "v1", "gate_deployment_id": "SHOP-on-qa", "force_update": True,
      "gate_automation_nodes": [preset_ref("canary")]}, "qa", False),
    ("deploy: gate refuses", "deploy-bundle",
     {"deployment_id": "SHOP-on-prod", "bundle_id": "v1", "gate_deployment_id": "SHOP-on-qa", "force_update": True,
      "deployer": preset_ref("canary")}, "design", True),
    ("bad preset URL", "run-test-scenarios",
     {"target": "deployment", "deployment_id": "SHOP-on-qa", "automation_nodes": [preset_ref("badurl")]}, "qa", True),
]


@pytest.mark.parametrize("name, step, config, node_name, registered", CASES, ids=[c[0] for c in CASES])
def test_canary_key_never_leaks(sim, tmp_path, name, step, config, node_name, registered):
    estate, presets = canary_estate(sim, node_name, registered)
    report_folders(estate.design, tmp_path, "reports")
    out = run_plugin_step(estate.design, step, PROJECT, config, presets=presets)
    texts = [out.log, repr(out.variables)]
    texts += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    leaks = sum(text.count(CANARY) for text in texts)
    LEDGER.record("canary: " + name, leaks == 0 and not out.ok, leaks=leaks)
    assert not out.ok, out.log
    assert leaks == 0, out.log


MACRO_CASES = [
    ("status: Deployer key refused", "deployment-test-status", {"deployer": preset_ref("canary")}, "design", False,
     False),
    # A key limited to other projects sees no deployment of this one: an empty matrix, not an error.
    ("status: Deployer key without rights", "deployment-test-status", {"deployer": preset_ref("canary")}, "design",
     "403", True),
    ("status: page with a failing gate", "deployment-test-status", {"deployer": preset_ref("canary")}, "design", True,
     True),
    ("promote: Deployer key refused", "promote-tested-bundle",
     {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod", "deployer": preset_ref("canary")},
     "design", False, False),
    ("promote: QA node key refused", "promote-tested-bundle",
     {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod",
      "qa_automation_nodes": [preset_ref("canary")]}, "qa", False, False),
    ("promote: refused promotion page", "promote-tested-bundle",
     {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod", "dry_run": False,
      "deployer": preset_ref("canary"), "qa_automation_nodes": [preset_ref("canary-qa")]}, "design", True, True),
    ("promote: bad preset URL", "promote-tested-bundle",
     {"qa_deployment_id": "SHOP-on-qa", "prod_deployment_id": "SHOP-on-prod", "deployer": preset_ref("badurl")},
     "design", True, False),
]


@pytest.mark.parametrize("name, macro, config, node_name, registered, page_expected", MACRO_CASES,
                         ids=[c[0] for c in MACRO_CASES])
def test_canary_key_never_leaks_from_macros(sim, name, macro, config, node_name, registered, page_expected):
    estate, presets = canary_estate(sim, node_name, registered)
    out = run_plugin_macro(estate.design, macro, PROJECT, config, presets=presets)
    texts = [out.result, out.error, out.log, json.dumps(out.extra)]
    leaks = sum(text.count(CANARY) for text in texts)
    LEDGER.record("canary: " + name, leaks == 0 and out.ok == page_expected, leaks=leaks)
    assert out.ok == page_expected, out.error + out.log
    assert leaks == 0, texts


GOVERN_CASES = [
    ("sign-off: Govern key refused (401)", "assert-govern-signoff", {"bundle_id": "v1"}, False),
    ("sign-off: pending", "assert-govern-signoff", {"bundle_id": "v1"}, True),
    ("sign-off: rejected with the key in the reviewer's comment", "assert-govern-signoff", {"bundle_id": "v1"},
     "rejected"),
    ("sign-off: bad Govern preset URL", "assert-govern-signoff", {"bundle_id": "v1", "govern": preset_ref("badurl")},
     True),
    ("deploy: sign-off pending", "deploy-bundle",
     {"deployment_id": "SHOP-on-prod", "bundle_id": "v1", "force_update": True, "require_signoff": True}, True),
    ("assert: feedback refused (403), record attached", "assert-test-status",
     {"deployment_id": "SHOP-on-qa", "post_feedback": True, "feedback_group": "reviewers",
      "attach_field": "qa_reports"}, True),
    ("assert: gate fails, feedback posted with the record", "assert-test-status",
     {"deployment_id": "SHOP-on-qa", "post_feedback": True, "feedback_group": "qa-evidence",
      "attach_field": "qa_reports"}, True),
]


@pytest.mark.parametrize("name, step, config, registered", GOVERN_CASES, ids=[c[0] for c in GOVERN_CASES])
def test_canary_key_never_leaks_through_govern(sim, name, step, config, registered):
    estate, presets = canary_estate(sim, "design", False)
    gov = sim.add_govern_node("govern")
    if registered:
        gov.add_api_key(CANARY, user="canary")
    gov.govern.add_feedback_group("qa-evidence", keys=[CANARY])
    gov.govern.add_feedback_group("reviewers", users=["alice"])
    gov.govern.govern_project("design", PROJECT, file_field="qa_reports")
    gov.govern.add_bundle("design", PROJECT, "v1")
    if registered == "rejected":
        # A reviewer pasted the key into their answer: Govern's raw answer is logged when it names no approver.
        signoff = gov.govern.bundle(PROJECT, "v1", node_id="design").signoff("review")
        signoff.decide("REJECTED", user="", comment="key %s leaked in a ticket" % CANARY)
    presets["canary-govern"] = {"url": gov.url, "api_key": CANARY}
    config = dict({"govern": preset_ref("canary-govern")}, **config)
    out = run_plugin_step(estate.design, step, PROJECT, config, presets=presets)
    texts = [out.log, repr(out.variables)]
    signoff = gov.govern.bundle(PROJECT, "v1", node_id="design").signoff("review")
    texts += [repr(signoff.feedback)] + [data.decode("utf-8", "replace")
                                         for _, data in gov.govern.uploaded_files.values()]
    leaks = sum(text.count(CANARY) for text in texts)
    LEDGER.record("canary: " + name, leaks == 0 and not out.ok, leaks=leaks)
    assert not out.ok, out.log
    assert leaks == 0, out.log
    if config.get("feedback_group") == "qa-evidence":
        # The path that writes to Govern was taken: the texts checked above include what it wrote.
        assert [f["status"] for f in signoff.feedback] == ["MAJOR_ISSUE"]
        assert len(gov.govern.uploaded_files) == 2
