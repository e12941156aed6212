"""The gate engine's verdicts on hand-made evidence (the integration tests get the evidence from the simulator)."""

import pytest
from test_gated_deployment.gate.junit import CaseResult, parse_report
from test_gated_deployment.gate.verdict import (
    FAIL,
    INCONCLUSIVE,
    PASS,
    GateEvidence,
    GatePolicy,
    NodeEvidence,
    evaluate,
)


def case(name, outcome="SUCCESS", ts=2_000):
    return CaseResult(suite=name, name=name, outcome=outcome, timestamp_ms=ts)


def node(total, outcomes, **kw):
    return NodeEvidence(node="node qa1", total=total, per_outcome=outcomes, **kw)


CASES = [
    ("clean", [node(2, {"SUCCESS": 2})], {}, PASS),
    ("failed", [node(2, {"SUCCESS": 1, "FAILED": 1})], {}, FAIL),
    ("aborted", [node(1, {"ABORTED": 1})], {}, FAIL),
    ("warning allowed", [node(1, {"WARNING": 1})], {}, PASS),
    ("warning fails", [node(1, {"WARNING": 1})], {"fail_on_warning": True}, FAIL),
    ("no results", [node(0, {})], {}, INCONCLUSIVE),
    ("other bundle", [node(0, {}, other_bundle_with_results="v1")], {}, INCONCLUSIVE),
    ("below minimum", [node(2, {"SUCCESS": 2})], {"min_results": 3}, INCONCLUSIVE),
    ("never ran", [node(1, {"SUCCESS": 1}, cases=[case("t1")], expected_tests=["t1", "t2"])], {}, INCONCLUSIVE),
    ("stale", [node(1, {"SUCCESS": 1}, cases=[case("t1", ts=500)])], {}, INCONCLUSIVE),
    ("one node of two fails", [node(1, {"SUCCESS": 1}), NodeEvidence("node qa2", 1, {"FAILED": 1})], {}, FAIL),
    ("fail beats inconclusive", [node(0, {}), NodeEvidence("node qa2", 1, {"FAILED": 1})], {}, FAIL),
    # The counts say clean, the report names a failure: any failing evidence fails the gate.
    ("report fails where counts pass", [node(2, {"SUCCESS": 2}, cases=[case("t1"), case("t2", "FAILED")])], {},
     FAIL),
    ("report aborted where counts pass", [node(1, {"SUCCESS": 1}, cases=[case("t1", "ABORTED")])], {}, FAIL),
    ("unknown outcome", [node(1, {"SKIPPED": 1})], {"allow_inconclusive": True}, FAIL),
]


@pytest.mark.parametrize("name, nodes, policy, expected", CASES, ids=[c[0] for c in CASES])
def test_verdicts(name, nodes, policy, expected):
    verdict = evaluate(GateEvidence("deployment SHOP-on-qa", "v2", nodes, last_update_ms=1_000), GatePolicy(**policy))
    assert verdict.status == expected
    if expected != PASS:
        assert all("v2" in r and "SHOP-on-qa" in r for r in verdict.reasons)
        assert "v2" in verdict.message() and "SHOP-on-qa" in verdict.message()


def test_inconclusive_blocks_unless_allowed():
    verdict = evaluate(GateEvidence("d", "v2", [node(0, {})]), GatePolicy())
    assert verdict.blocks(GatePolicy()) and not verdict.blocks(GatePolicy(allow_inconclusive=True))


REPORT = b"""<?xml version="1.0"?><testsuites>
<testsuite name="t1" tests="1" failures="1" errors="0" time="0.5" timestamp="2026-11-29T10:00:00Z">
  <testcase name="step 1" classname="t1" time="0.5"><failure message="boom">trace</failure></testcase></testsuite>
<testsuite name="t2" tests="1" failures="0" errors="1" time="0.1">
  <testcase name="step 1" classname="t2" time="0.1"><error message="aborted"/></testcase></testsuite>
</testsuites>"""


def test_parse_reports():
    cases = parse_report(REPORT)
    assert [(c.scenario_id, c.outcome) for c in cases] == [("t1", "FAILED"), ("t2", "ABORTED")]
    assert cases[0].timestamp_ms == 1795946400000 and cases[0].message == "boom"


@pytest.mark.parametrize("stamp", ["2026-11-29T10:00:00Z", "2026-11-29T10:00:00+00:00", "2026-11-29T10:00:00+0000",
                                   "2026-11-29T11:00:00+01:00", "1795946400000"])
def test_timestamps_in_every_form_dss_may_write(stamp):
    xml = ('<testsuite name="S"><testcase name="t1" timestamp="%s"/></testsuite>' % stamp).encode()
    assert parse_report(xml)[0].timestamp_ms == 1795946400000


def test_skipped_cases_did_not_run_and_unknown_outcomes_are_not_clean():
    xml = b'<testsuite name="S"><testcase name="t1"/><testcase name="t2"><skipped/></testcase></testsuite>'
    cases = parse_report(xml)
    verdict = evaluate(GateEvidence("d", "v2", [node(2, {"SUCCESS": 2}, cases=cases, expected_tests=["t1", "t2"])]),
                       GatePolicy())
    assert verdict.status == INCONCLUSIVE and "t2 never ran" in verdict.message()
    verdict = evaluate(GateEvidence("d", "v2", [node(2, {"SUCCESS": 1, "RUNNING": 1})]),
                       GatePolicy(allow_inconclusive=True))
    assert verdict.status == FAIL and "RUNNING" in verdict.message()


def test_a_failure_only_the_report_shows_is_named():
    verdict = evaluate(GateEvidence("deployment D", "v2", [node(2, {"SUCCESS": 2},
                                                                cases=[case("t1"), case("t2", "FAILED")])],
                                    last_update_ms=1_000, now_ms=3_000), GatePolicy())
    assert verdict.status == FAIL
    assert "t2 FAILED" in verdict.message() and "does not count" in verdict.message()


def test_a_zone_less_report_time_is_marked():
    report = (b'<testsuites><testsuite name="P"><testcase name="t1" classname="P.t1" '
              b'timestamp="2026-01-01T10:00:00"/><testcase name="t2" timestamp="2026-01-01T10:00:00Z"/>'
              b'</testsuite></testsuites>')
    first, second = parse_report(report)
    assert first.zone_less and not second.zone_less
    assert first.timestamp_ms == second.timestamp_ms  # read as UTC until the server's zone is known
