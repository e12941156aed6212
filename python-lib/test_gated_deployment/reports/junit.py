"""Writing JUnit XML: DSS's reports of each run merged into one document per node."""

import contextlib
import xml.etree.ElementTree as ET  # noqa: S405 - reports come from the DSS node the user chose to trust
from collections import OrderedDict
from typing import Dict, List

from ..testing.results import RunSummary


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


def junit_by_node(summary: RunSummary) -> Dict[str, bytes]:
    """One merged JUnit document per node, from the reports DSS produced for each run."""
    per_node: Dict[str, List[bytes]] = OrderedDict()
    for result in summary.results:
        if result.junit_xml:
            per_node.setdefault(result.node, []).append(result.junit_xml)
    return OrderedDict((node, merge_reports(reports, node)) for node, reports in per_node.items())
