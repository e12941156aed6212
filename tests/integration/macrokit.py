"""Runs a plugin macro as DSS does (its own process, the stand-in runnables server), and checks its HTML page."""

from html.parser import HTMLParser
from typing import Any, Dict, List, Optional

from dss_simulator.macro_runner import MacroRun, run_macro
from stepkit import ROOT

# Elements that never have an end tag (HTML living standard).
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


def run_plugin_macro(node, macro_id: str, project_key: str, config: Dict[str, Any],
                     presets: Optional[Dict[str, Any]] = None, timeout: float = 60,
                     ticket: Optional[str] = None, extra_env: Optional[Dict[str, str]] = None) -> MacroRun:
    """Runs python-runnables/<macro_id>/runnable.py in `project_key` on `node`, as a user's macro process.

    `config` holds the params as the form stores them (presets as {"mode": "PRESET", "name": ...} references);
    they are resolved from `presets` as DSS does before the macro sees them. `ticket`: the user's (default: an
    administrator's).
    """
    return run_macro(ROOT / "python-runnables" / macro_id, config=config, presets=presets or {},
                     backend_url=node.url, ticket=ticket or node.issue_ticket(), project_key=project_key,
                     timeout=timeout, extra_env=extra_env)


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: List[str] = []
        self.problems: List[str] = []
        self.text: List[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(page: str) -> str:
    """Asserts the page's tags are balanced and properly nested; returns its text, entities decoded."""
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.problems == [], checker.problems
    assert checker.stack == [], "unclosed: %s" % checker.stack
    return "".join(checker.text)
