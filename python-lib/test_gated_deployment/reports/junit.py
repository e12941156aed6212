"""Writing JUnit XML that CI tools count right: one document per node, one testcase per test scenario handled.

Surefire's conventions (what Jenkins and GitLab read): a scenario that was not run is `skipped`, with the reason;
each earlier failed attempt of a flaky pass is a `flakyFailure`, of a final failure a `rerunFailure`; a case's time
is that of all its attempts; a failure names the failing step and its error, from DSS's report of the run. The
attributes stay within the Jenkins xunit JUnit schema (no `skipped` on `testsuites`, no case timestamps).
"""

import xml.etree.ElementTree as ET  # noqa: S405 - reports come from the DSS node the user chose to trust
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

from junitparser import Error, Failure, Skipped
from junitparser.xunit2 import FlakyFailure, JUnitXml, RerunFailure, TestCase, TestSuite

from ..gate.junit import parse_report
from ..testing.results import ABORTED, CLEAN, NOT_RUN, RunSummary, ScenarioResult, is_clean


def junit_by_node(summary: RunSummary) -> Dict[str, bytes]:
    """One JUnit document per node (by its short key), for the scenarios the step handled there."""
    per_node: Dict[str, Tuple[str, List[ScenarioResult]]] = OrderedDict()
    for result in summary.results:
        per_node.setdefault(result.node_key, (result.node, []))[1].append(result)
    return OrderedDict((key, _document(label, results, summary.fail_on_warning))
                       for key, (label, results) in per_node.items())


def _document(node: str, results: List[ScenarioResult], fail_on_warning: bool) -> bytes:
    document = JUnitXml(name="Test scenarios on %s" % node)
    suites: Dict[str, TestSuite] = OrderedDict()
    for result in results:
        if result.project_key not in suites:
            suites[result.project_key] = TestSuite("%s on %s" % (result.project_key, node))
        suites[result.project_key].add_testcase(_case(result, fail_on_warning))
    for suite in suites.values():
        suite.update_statistics()
        document.add_testsuite(suite)
    # Set by hand: junitparser would also write `skipped`, which the Jenkins xunit schema has no room for.
    document.tests = sum(s.tests for s in suites.values())
    document.failures = sum(s.failures for s in suites.values())
    document.errors = sum(s.errors for s in suites.values())
    document.time = round(sum(s.time or 0 for s in suites.values()), 3)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + document.tostring()


def _case(result: ScenarioResult, fail_on_warning: bool) -> TestCase:
    case = TestCase(result.scenario_id, "%s.%s" % (result.project_key, result.scenario_id), round(result.duration, 3))
    if result.outcome == NOT_RUN:
        case.result = [Skipped(result.message or "not run")]
    elif result.outcome == ABORTED:
        case.result = [_final(Error, result)]
    elif not is_clean(result.outcome, fail_on_warning):
        case.result = [_final(Failure, result)]
    earlier = result.attempt_outcomes[:-1] if result.outcome != NOT_RUN else result.attempt_outcomes
    interim = FlakyFailure if result.outcome in CLEAN else RerunFailure
    for attempt, outcome in enumerate(earlier, 1):
        if outcome not in CLEAN:
            case.add_interim_result(interim("attempt %d ended %s" % (attempt, outcome), outcome))
    notes = ["run %s on %s" % (result.run_id, result.node) if result.run_id else "not started on %s" % result.node]
    if result.message:
        notes.append(result.message)
    case.system_out = "\n".join(notes)
    return case


def _final(kind, result: ScenarioResult):
    failing = _failing_step(result.junit_xml)
    message = "%s ended %s%s" % (result.scenario_id, result.outcome,
                                 " at step %s" % failing[0] if failing else "")
    if result.message:
        message += " (%s)" % result.message
    final = kind(message, result.outcome)
    if failing and failing[1]:
        final.text = failing[1]
    return final


def _failing_step(report: Optional[bytes]) -> Optional[Tuple[str, str]]:
    """(step, error) of the first failing case in DSS's report of the run, when the report says."""
    if not report:
        return None
    try:
        cases = parse_report(report)
    except ET.ParseError:
        return None
    failing = next((c for c in cases if c.outcome not in CLEAN and c.outcome != NOT_RUN), None)
    return (failing.name, failing.message) if failing is not None else None
