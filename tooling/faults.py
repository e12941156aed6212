"""`make faults`: every point of the single-fault exploration (tests/integration/explorer.py), in parallel workers.

Prints one line per failing point and the summary line, and writes the figures into docs/reliability.md between
its `<!-- figures -->` markers. Usage: python tooling/faults.py [--workers N] [--flow NAME]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "integration"), str(ROOT / "tooling"), str(ROOT / "python-lib")]

import explorer  # noqa: E402

DOC = ROOT / "docs" / "reliability.md"
MARKERS = re.compile(r"(<!-- figures -->\n).*?(<!-- /figures -->)", re.S)


def _explore(args):
    flow_name, baseline, request, kind_name = args
    return explorer.explore(explorer.FLOWS_BY_NAME[flow_name], baseline, request, explorer.KINDS_BY_NAME[kind_name])


def _table(results, baselines) -> str:
    lines = ["| flow | requests in a clean run | points | reached | held | failed |", "|---|---|---|---|---|---|"]
    for name, baseline in baselines.items():
        mine = [r for r in results if r.flow == name]
        reached = [r for r in mine if r.reached]
        failed = sum(1 for r in reached if not r.held)
        lines.append("| %s | %d | %d | %d | %d | %d |" % (name, len(baseline.requests), len(mine), len(reached),
                                                          len(reached) - failed, failed))
    by_kind = Counter(r.kind for r in results if r.reached and not r.held)
    lines += ["", "| fault kind | points | failed |", "|---|---|---|"]
    for kind in explorer.KINDS:
        lines.append("| %s | %d | %d |" % (kind.name, sum(1 for r in results if r.kind == kind.name),
                                           by_kind.get(kind.name, 0)))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--flow", action="append", help="only this flow (repeatable)")
    args = parser.parse_args()
    flows = [f for f in explorer.FLOWS if not args.flow or f.name in args.flow]
    started = time.monotonic()
    print("Recording the clean run of %d flow(s)..." % len(flows), flush=True)
    baselines = {f.name: explorer.record(f) for f in flows}
    points = explorer.all_points(baselines)
    print("Exploring %d points with %d worker(s)..." % (len(points), args.workers), flush=True)
    work = [(name, baselines[name], request, kind) for name, request, kind in points]
    results = []
    with multiprocessing.Pool(args.workers) as pool:
        for done, result in enumerate(pool.imap_unordered(_explore, work, chunksize=1), 1):
            results.append(result)
            if result.reached and not result.held:
                print("FAILED %s | %s | %s: %s" % (result.flow, result.kind, result.request,
                                                   "; ".join(result.broken)), flush=True)
            if done % 50 == 0:
                print("  %d/%d points, %.0fs" % (done, len(work), time.monotonic() - started), flush=True)
    elapsed = time.monotonic() - started
    line = explorer.summary(results)
    print(line)
    print("make faults took %.0fs" % elapsed)
    if not args.flow and DOC.exists():
        figures = "%s\n\n`make faults` took %.0f s on this machine (%d workers).\n\n%s\n" % (
            line, elapsed, args.workers, _table(results, baselines))
        DOC.write_text(MARKERS.sub(lambda m: m.group(1) + figures + m.group(2), DOC.read_text(encoding="utf-8")),
                       encoding="utf-8")
        print("Figures written to %s" % DOC.relative_to(ROOT))
    return 0 if all(r.held for r in results if r.reached) else 1


if __name__ == "__main__":
    sys.exit(main())
