"""make screenshots: every page the plugin shows a person, as headless Chromium draws it, into docs/screenshots/.

It runs the demo into a temporary folder (so each page holds real results: a failing run with a flaky test, a FAIL
and a PASS verdict, the five macros' pages), then takes one PNG per page. It needs Chromium
(`apt-get install chromium`).

Usage: python tooling/screenshots.py [--out DIR]   (default DIR: docs/screenshots/)
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tooling"))

import demo  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Headless, offline and with no profile left behind: nothing is fetched, nothing is kept.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
         "--force-device-scale-factor=1")
WIDTH = 1280


def browser() -> Optional[str]:
    return next((found for found in map(shutil.which, BROWSERS) if found), None)


def pages(out: Path) -> List[Tuple[str, Path, int]]:
    """(picture name, page, window height) of every page kind the demo wrote."""
    reports = demo.report_dir(out / "managed-folders")
    summaries = sorted(reports.glob("test-reports/*/summary.html"))
    verdicts = sorted(reports.glob("gate-reports/*.html"))
    macros = out / "macro-pages"
    return [
        ("run-report-failing", summaries[0], 260),
        ("verdict-fail", verdicts[0], 500),
        ("verdict-pass", verdicts[-1], 500),
        ("macro-create-automate-deployment-scenario", macros / (demo.CREATE[0] + ".html"), 1250),
        ("macro-run-tests-now", macros / (demo.RUN_TESTS_NOW[0] + ".html"), 260),
        ("macro-promote-tested-bundle-dry-run", macros / (demo.PROMOTE_DRY_RUN[0] + ".html"), 360),
        ("macro-deployment-test-status", macros / (demo.STATUS[0] + ".html"), 300),
        ("macro-pipeline-readiness", macros / (demo.READINESS[0] + ".html"), 560),
    ]


def shoot(chromium: str, page: Path, picture: Path, height: int, profile: Path):
    subprocess.run([chromium, *FLAGS, "--user-data-dir=%s" % profile, "--window-size=%d,%d" % (WIDTH, height),
                    "--screenshot=%s" % picture, page.as_uri()],
                   check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not picture.is_file():
        raise RuntimeError("Chromium wrote no picture of %s" % page)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="where the pictures go")
    args = parser.parse_args(argv)
    chromium = browser()
    if chromium is None:
        print("No Chromium found (looked for %s): install it, e.g. apt-get install chromium." % ", ".join(BROWSERS),
              file=sys.stderr)
        return 2
    target = Path(args.out).resolve()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        run = Path(work) / "demo"
        if demo.main(["--out", str(run)]) != 0:
            print("The demo failed, so there are no pages to take.", file=sys.stderr)
            return 1
        for name, page, height in pages(run):
            picture = target / (name + ".png")
            shoot(chromium, page, picture, height, Path(work) / "profile")
            print("  %s  (from %s)" % (picture.relative_to(ROOT) if ROOT in picture.parents else picture,
                                        page.relative_to(run)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
