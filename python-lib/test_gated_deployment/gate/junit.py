"""Reading DSS's JUnit XML test reports into per-case results."""

import re
import xml.etree.ElementTree as ET  # noqa: S405 - reports come from the DSS node the user chose to trust
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple

from ..testing.results import ABORTED, FAILED, NOT_RUN, SUCCESS


@dataclass(frozen=True)
class CaseResult:
    """One test case of a JUnit report."""

    suite: str
    name: str
    outcome: str
    timestamp_ms: Optional[int]
    message: str = ""

    classname: str = ""
    # The report's time had no zone: `timestamp_ms` reads it as UTC, which it may not be (the server's local time).
    zone_less: bool = False
    seconds: Optional[float] = None   # how long the case ran, when the report says

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
        suite_time = _timestamp(suite.get("timestamp"))
        for case in suite.findall("testcase"):
            outcome, message = SUCCESS, ""
            # A skipped case did not run: it is no evidence either way.
            for child, mapped in (("failure", FAILED), ("error", ABORTED), ("skipped", NOT_RUN)):
                element = case.find(child)
                if element is not None:
                    outcome, message = mapped, (element.get("message") or element.text or "").strip()
                    break
            stamp = _timestamp(case.get("timestamp")) or suite_time
            cases.append(CaseResult(
                suite=suite.get("name") or "",
                name=case.get("name") or "",
                classname=case.get("classname") or "",
                outcome=outcome,
                timestamp_ms=stamp[0] if stamp else None,
                message=message,
                zone_less=bool(stamp and stamp[1]),
                seconds=_seconds(case.get("time")),
            ))
    return cases


def run_durations(cases: List[CaseResult]) -> Dict[str, float]:
    """How long each scenario's run took, from a report's cases (the cases of a scenario's steps add up)."""
    durations: Dict[str, float] = {}
    for case in cases:
        if case.seconds is not None and case.outcome != NOT_RUN:
            durations[case.scenario_id] = durations.get(case.scenario_id, 0.0) + case.seconds
    return durations


def _seconds(text: Optional[str]) -> Optional[float]:
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value < float("inf") else None


def _timestamp(text: Optional[str]) -> Optional[Tuple[int, bool]]:
    """(epoch ms, whether the text had no zone) of a report time; a zone-less time is read as UTC here."""
    if not text:
        return None
    text = text.strip()
    if text.isdigit():
        return int(text), False
    # Python 3.9's fromisoformat reads neither "Z" nor "+0000": write both as "+00:00".
    text = re.sub(r"(Z|[+-]\d\d:?\d\d)$", lambda m: "+00:00" if m.group(1) == "Z" else
                  m.group(1)[:3] + ":" + m.group(1)[-2:], text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    zone_less = parsed.tzinfo is None
    if zone_less:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000), zone_less
