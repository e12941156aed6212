"""HTML pages rendered with Jinja2 (autoescaped), links into the DSS UI, and saving reports into a managed folder."""

import re
import time
from pathlib import Path
from typing import List, Optional
from urllib.parse import quote

import jinja2

from ..testing.results import RunSummary
from .junit import junit_by_node

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render(template: str, **values) -> str:
    return _TEMPLATES.get_template(template).render(**values)


def run_url(dss_url: Optional[str], project_key: str, scenario_id: str, run_id: Optional[str]) -> Optional[str]:
    """A link to a scenario (or one of its runs) in the DSS UI, when the DSS URL is known."""
    if not dss_url:
        return None
    base = "%s/projects/%s/scenarios/%s/" % (dss_url.rstrip("/"), project_key, scenario_id)
    return base + ("runs/list/%s" % run_id if run_id else "runs/list/")


def ui_path(*parts: str) -> str:
    """A site-relative link into the DSS UI. A macro does not know the DSS URL, but its HTML is shown by DSS."""
    return "/" + "/".join(quote(str(part), safe="") for part in parts)


def render_run_report(summary: RunSummary, where: str) -> str:
    # Each run links to the node it ran on.
    rows = [
        {"result": r, "url": run_url(r.node_url, r.project_key, r.scenario_id, r.run_id)}
        for r in summary.results
    ]
    return render("run_report.html", summary=summary, where=where, rows=rows,
                  generated=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))


def slug(text: str) -> str:
    """A text made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80] or "node"


def save_reports(folder, summary: RunSummary, where: str) -> List[str]:
    """Writes the HTML summary and one JUnit file per node (`junit-<node>.xml`) into a managed folder; returns the
    paths."""
    prefix = "test-reports/%s" % time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    paths = []
    html_path = "%s/summary.html" % prefix
    folder.upload_data(html_path, render_run_report(summary, where).encode("utf-8"))
    paths.append(html_path)
    for node, xml in junit_by_node(summary).items():
        path = "%s/junit-%s.xml" % (prefix, slug(node))
        folder.upload_data(path, xml)
        paths.append(path)
    return paths
