"""JUnit XML and HTML test reports (DSS 13.3 Project Testing).

[I] The exact JUnit layout DSS writes is not documented; this one is standard JUnit: `tests`/`failures`/`errors`
counts, `time` in seconds, a `failure` for FAILED and an `error` for ABORTED, the scenario id in `name`/`classname`.
[U] WARNING is a pass with a `system-out` note (JUnit has no warning state).
"""

from __future__ import annotations

import html
import time
import xml.etree.ElementTree as ET
from typing import List, Optional, Sequence, Tuple

from . import clock
from .project import SimScenario
from .runs import Run, StepRun


def _seconds(start: float, end: Optional[float]) -> str:
    return "%.3f" % max(0.0, (end or clock.now()) - start)


def _mark(case: ET.Element, outcome: Optional[str], what: str) -> Tuple[int, int]:
    """Add the failure/error child for an outcome; returns (failures, errors) added."""
    if outcome == "FAILED":
        ET.SubElement(case, "failure", message="%s ended FAILED" % what, type="FAILED").text = what + ": FAILED"
        return 1, 0
    if outcome == "ABORTED":
        ET.SubElement(case, "error", message="%s was ABORTED" % what, type="ABORTED").text = what + ": ABORTED"
        return 0, 1
    if outcome == "WARNING":
        ET.SubElement(case, "system-out").text = "%s ended with WARNING" % what
    elif outcome is None:
        ET.SubElement(case, "skipped", message="%s is still running" % what)
    return 0, 0


def _properties(parent: ET.Element, **props: Optional[str]) -> None:
    node = ET.SubElement(parent, "properties")
    for key, value in props.items():
        if value is not None:
            ET.SubElement(node, "property", name=key, value=value)


def _scenario_case(suite: ET.Element, project_key: str, run: Run, now: float,
                   zone: Optional[float]) -> Tuple[int, int]:
    # [U] A per-case timestamp (the run's start) is what lets a gate tell fresh results from stale ones.
    case = ET.SubElement(suite, "testcase", name=run.scenario_id, classname="%s.%s" % (project_key, run.scenario_id),
                         time=_seconds(run.start, run.end_at(now)), timestamp=clock_iso(run.start, zone))
    _properties(case, runId=run.run_id, outcome=run.outcome_at(now) or "RUNNING")
    return _mark(case, run.outcome_at(now), "Scenario %s (run %s)" % (run.scenario_id, run.run_id))


def _step_case(suite: ET.Element, project_key: str, run: Run, step: StepRun) -> Tuple[int, int]:
    case = ET.SubElement(suite, "testcase", name=step.name or step.step_id,
                         classname="%s.%s" % (project_key, run.scenario_id), time=_seconds(step.start, step.end))
    what = "Step %s of scenario %s" % (step.name or step.step_id, run.scenario_id)
    failures, errs = _mark(case, step.outcome, what)
    if step.error and case.find("failure") is not None:
        case.find("failure").text = step.error
    return failures, errs


def _finish(root: ET.Element, suite: ET.Element, counts: List[Tuple[int, int]], total_time: float) -> str:
    attrs = {"tests": str(len(counts)), "failures": str(sum(c[0] for c in counts)),
             "errors": str(sum(c[1] for c in counts)), "time": "%.3f" % total_time}
    suite.attrib.update(attrs)
    suite.set("skipped", str(len(suite.findall("testcase/skipped"))))
    root.attrib.update(attrs)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def run_report(project_key: str, run: Run, now: float, zone: Optional[float] = None) -> str:
    """One testsuite for the run: a testcase per step run, or one for the scenario when it has no steps."""
    root = ET.Element("testsuites", name=project_key)
    suite = ET.SubElement(root, "testsuite", name="%s.%s" % (project_key, run.scenario_id),
                          timestamp=clock_iso(run.start, zone))
    _properties(suite, projectKey=project_key, scenarioId=run.scenario_id, runId=run.run_id, bundleId=run.bundle_id)
    if run.step_runs:
        counts = [_step_case(suite, project_key, run, s) for s in run.step_runs]
    else:
        counts = [_scenario_case(suite, project_key, run, now, zone)]
    return _finish(root, suite, counts, (run.end_at(now) or now) - run.start)


def last_runs_report(project_key: str, pairs: Sequence[Tuple[SimScenario, Run]], bundle_id: Optional[str],
                     now: float, zone: Optional[float] = None) -> str:
    """One testsuite with a testcase per test scenario's last finished run (for that bundle)."""
    root = ET.Element("testsuites", name=project_key)
    suite = ET.SubElement(root, "testsuite", name=project_key, timestamp=clock_iso(now, zone))
    _properties(suite, projectKey=project_key, bundleId=bundle_id)
    counts = [_scenario_case(suite, project_key, run, now, zone) for _sc, run in pairs]
    total = sum((run.end_at(now) or now) - run.start for _sc, run in pairs)
    return _finish(root, suite, counts, total)


def last_runs_html(project_key: str, pairs: Sequence[Tuple[SimScenario, Run]], bundle_id: Optional[str],
                   now: float) -> str:
    rows = "".join(
        "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
        % (html.escape(sc.id), html.escape(sc.name), html.escape(run.run_id), html.escape(run.outcome_at(now) or ""))
        for sc, run in pairs
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Test report %s</title></head><body>"
        "<h1>Test scenarios of %s</h1><p>Bundle: %s</p><table><tr><th>Scenario</th><th>Name</th><th>Run</th>"
        "<th>Outcome</th></tr>%s</table></body></html>"
        % (html.escape(project_key), html.escape(project_key), html.escape(bundle_id or "-"), rows)
    )


def clock_iso(t: float, utc_offset_hours: Optional[float] = None) -> str:
    """ISO 8601 in UTC with a "Z"; with `utc_offset_hours`, the server's local time at that offset with no zone."""
    # The same milliseconds as `clock.to_ms`, so that a report time and an epoch time of one instant agree.
    ms = clock.to_ms(t) + int(round((utc_offset_hours or 0) * 3600 * 1000))
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)
    return text + ("Z" if utc_offset_hours is None else "")
