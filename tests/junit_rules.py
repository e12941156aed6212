"""The rules of the Jenkins xunit plugin's JUnit schema (`junit-10.xsd`), checked on a document: which elements may
hold which attributes and children, and which attributes are required."""

import re
import xml.etree.ElementTree as ET  # noqa: S405 - documents the tests themselves produced

_RESULT = {"attrs": {"type", "message"}, "required": set(), "children": set()}
_INTERIM = {"attrs": {"type", "message"}, "required": {"type"}, "children": {"stackTrace", "system-out", "system-err"}}
RULES = {
    "testsuites": {"attrs": {"name", "time", "tests", "failures", "errors"}, "required": set(),
                   "children": {"testsuite"}},
    "testsuite": {"attrs": {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp", "hostname",
                            "id", "package", "file", "log", "url"},
                  "required": {"name", "tests", "failures", "errors"},
                  "children": {"testsuite", "properties", "testcase", "system-out", "system-err"}},
    "testcase": {"attrs": {"name", "time", "classname", "group"}, "required": {"name"},
                 "children": {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure", "flakyError",
                              "system-out", "system-err"}},
    "skipped": _RESULT, "error": _RESULT, "failure": _RESULT,
    "rerunFailure": _INTERIM, "rerunError": _INTERIM, "flakyFailure": _INTERIM, "flakyError": _INTERIM,
    "properties": {"attrs": set(), "required": set(), "children": {"property"}},
    "property": {"attrs": {"name", "value"}, "required": {"name", "value"}, "children": set()},
    "system-out": {"attrs": set(), "required": set(), "children": set()},
    "system-err": {"attrs": set(), "required": set(), "children": set()},
    "stackTrace": {"attrs": set(), "required": set(), "children": set()},
}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")


def schema_problems(document: bytes):
    """Every way the document breaks the schema's rules (an empty list when it keeps them)."""
    root = ET.fromstring(document)  # noqa: S314
    problems = [] if root.tag in ("testsuites", "testsuite") else ["root element %s" % root.tag]
    for element in root.iter():
        rule = RULES.get(element.tag)
        if rule is None:
            problems.append("unknown element %s" % element.tag)
            continue
        problems += ["%s@%s" % (element.tag, a) for a in set(element.attrib) - rule["attrs"]]
        problems += ["%s without @%s" % (element.tag, a) for a in rule["required"] - set(element.attrib)]
        problems += ["%s in %s" % (child.tag, element.tag) for child in element if child.tag not in rule["children"]]
        if element.tag in ("testsuites", "testsuite") and "time" in element.attrib \
                and not SUREFIRE_TIME.fullmatch(element.attrib["time"]):
            problems.append("%s@time %r" % (element.tag, element.attrib["time"]))
    return problems
