"""Reading DSS's JUnit XML test reports, and merging several into one file."""

import contextlib
import re
import xml.etree.ElementTree as ET  # noqa: S405 - reports come from the DSS node the user chose to trust
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Optional

from .results import ABORTED, FAILED, NOT_RUN, SUCCESS


@dataclass(frozen=True)
class CaseResult:
    """One test case of a JUnit report."""

    suite: str
    name: str
    outcome: str
    timestamp_ms: Optional[int]
    message: str = ""

    classname: str = ""

    @property
    def names(self) -> List[str]:
        """Every name this case may carry its scenario id under.

        [U] DSS's JUnit naming is undocumented: a case per scenario (name = scenario id, classname =
        PROJECT.scenario) or a case per step (suite = PROJECT.scenario). Callers match any of them.
        """
        found = [self.name, self.classname.rsplit(".", 1)[-1], self.suite.rsplit(".", 1)[-1]]
        return [n for n in found if n]

    @property
    def scenario_id(self) -> str:
        return self.classname.rsplit(".", 1)[-1] if self.classname else self.name


def parse_report(xml_bytes: bytes) -> List[CaseResult]:
    """Every test case in a report, with its outcome: failure -> FAILED, error -> ABORTED, skipped -> NOT_RUN."""
    root = ET.fromstring(xml_bytes)  # noqa: S314
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    cases = []
    for suite in suites:
        suite_time = _timestamp_ms(suite.get("timestamp"))
        for case in suite.findall("testcase"):
            outcome, message = SUCCESS, ""
            # A skipped case did not run: it is no evidence either way.
            for child, mapped in (("failure", FAILED), ("error", ABORTED), ("skipped", NOT_RUN)):
                element = case.find(child)
                if element is not None:
                    outcome, message = mapped, (element.get("message") or element.text or "").strip()
                    break
            cases.append(CaseResult(
                suite=suite.get("name") or "",
                name=case.get("name") or "",
                classname=case.get("classname") or "",
                outcome=outcome,
                timestamp_ms=_timestamp_ms(case.get("timestamp")) or suite_time,
                message=message,
            ))
    return cases


def _timestamp_ms(text: Optional[str]) -> Optional[int]:
    if not text:
        return None
    text = text.strip()
    if text.isdigit():
        return int(text)
    # Python 3.9's fromisoformat reads neither "Z" nor "+0000": write both as "+00:00".
    text = re.sub(r"(Z|[+-]\d\d:?\d\d)$", lambda m: "+00:00" if m.group(1) == "Z" else
                  m.group(1)[:3] + ":" + m.group(1)[-2:], text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


def merge_reports(reports: List[bytes], name: str) -> bytes:
    """One <testsuites> document holding every <testsuite> of the given reports, with totals recomputed."""
    merged = ET.Element("testsuites", {"name": name})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for report in reports:
        root = ET.fromstring(report)  # noqa: S314
        for suite in [root] if root.tag == "testsuite" else list(root.iter("testsuite")):
            merged.append(suite)
            cases = suite.findall("testcase")
            totals["tests"] += len(cases)
            totals["failures"] += sum(1 for c in cases if c.find("failure") is not None)
            totals["errors"] += sum(1 for c in cases if c.find("error") is not None)
            totals["skipped"] += sum(1 for c in cases if c.find("skipped") is not None)
            with contextlib.suppress(ValueError):
                total_time += float(suite.get("time") or 0)
    for key, value in totals.items():
        merged.set(key, str(value))
    merged.set("time", "%.3f" % total_time)
    return ET.tostring(merged, encoding="utf-8", xml_declaration=True)
