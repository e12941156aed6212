"""The "Run test scenarios" step measured as DSS runs it: `python step.py` as a process, start-up included, against
the DSS simulator over HTTP, for the code of this tree ("new") and of a baseline commit ("today"), in one run.

Each case gets one simulator whose scenarios ran once before (their history, as on any node where tests have run),
then the step of each tree runs in turn on it. What is measured comes from the simulator's request log and runs:

- step wall: the process from its start to its exit;
- engine: the first run request to the last run's end (the simulator's clock), against the ideal ceil(N/P) x d;
- requests per run: public API requests while the step ran, over N;
- list calls per second: the most scenario-list calls of the project in any one second;
- end noticed: for each run, the first request that delivered its end (its details, or the lookup of its run)
  after the run's end, minus that end; the 95th percentile over the runs.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from dss_simulator import ScenarioSpec, Simulator
from dss_simulator.step_runner import run_step

REPO_ROOT = Path(__file__).resolve().parent.parent
# The last commit before runs were looked at on their expected ends: the "today" column.
BASELINE = "91c7aa2"
PROJECT = "BENCH"
CALLER = "pipeline"
STEP = "run-test-scenarios"
PUBLIC = "/dip/publicapi/"


@dataclass(frozen=True)
class Case:
    name: str
    count: int
    duration: float
    parallelism: int
    repeat: int = 1   # the median of this many step runs (for the shortest case, where start-up dominates)

    @property
    def ideal(self) -> float:
        return math.ceil(self.count / self.parallelism) * self.duration


CASES = (
    Case("40 x 0.5 s, P=8", 40, 0.5, 8),
    Case("200 x 0.5 s, P=8", 200, 0.5, 8),
    Case("3 x 20 s, P=3", 3, 20.0, 3),
    Case("1 x 0.05 s", 1, 0.05, 1, repeat=5),
)
QUICK_CASES = (CASES[0], CASES[3])


@dataclass
class Measure:
    wall: float = 0.0
    engine: float = 0.0
    requests: int = 0
    list_rate: int = 0
    notices: List[float] = field(default_factory=list)
    failed: str = ""

    @property
    def notice_p95(self) -> Optional[float]:
        if not self.notices:
            return None
        ordered = sorted(self.notices)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def baseline_tree(workdir: Path, ref: str = BASELINE) -> Optional[Path]:
    """The plugin as it was at `ref` (its python-lib and python-steps), or None when git cannot give it."""
    try:
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", ref, "python-lib",
                                  "python-steps", "plugin.json"], capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    root = workdir / ("baseline-%s" % ref)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(root)  # noqa: S202 - this repository's own archive
    return root


def _estate(sim: Simulator, case: Case):
    node = sim.add_design_node("design")
    project = node.add_project(PROJECT)
    project.add_scenario(ScenarioSpec(id=CALLER, name="Automate Deployment"))
    ids = ["T%03d" % i for i in range(case.count)]
    for sid in ids:
        project.add_scenario(ScenarioSpec(id=sid, name=sid, marked_as_test=True, duration=case.duration))
    for sid in ids:  # their history
        node.run_scenario(PROJECT, sid)
    deadline = time.monotonic() + case.duration + 30
    while any(r.running for sid in ids for r in node.runs(PROJECT, sid)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return node, ids


def _one_step(node, ids: List[str], case: Case, tree: Path) -> Measure:
    measure = Measure()
    since = time.time()
    context = node.start_step_context(PROJECT, CALLER)
    try:
        run = run_step(tree / "python-steps" / STEP, raw_config={"target": "this_project",
                                                                 "parallelism": case.parallelism},
                       backend_url=node.url, ticket=context.ticket, project_key=PROJECT,
                       timeout=case.ideal * 3 + 60)
    finally:
        context.finish("SUCCESS")
    measure.wall = run.duration
    if run.outcome != "SUCCESS":
        measure.failed = run.log.strip().splitlines()[-1] if run.log.strip() else run.outcome
        return measure
    requests = [r for r in node.requests if r.time >= since and r.path.startswith(PUBLIC)]
    measure.requests = len(requests)
    measure.list_rate = node.list_call_rate(PROJECT, since)
    runs = [r for sid in ids for r in node.runs(PROJECT, sid) if r.start >= since]
    starts = [r.time for r in requests if r.method == "POST" and r.path.endswith("/run")]
    measure.engine = max(r.end for r in runs) - min(starts) if runs and starts else 0.0
    for r in runs:
        delivered = [q.time for q in requests if q.time >= r.end and q.status == 200 and (
            q.path.endswith("/%s/%s/" % (r.scenario_id, r.run_id))
            or q.path.endswith("/%s/get-run-for-trigger" % r.scenario_id))]
        if delivered:
            measure.notices.append(min(delivered) - r.end)
    return measure


def measure_case(case: Case, trees: Dict[str, Path]) -> Dict[str, Measure]:
    """Each tree's step on the same estate, in turn; for a repeated case, the run with the median wall."""
    with Simulator() as sim:
        node, ids = _estate(sim, case)
        out = {}
        for label, tree in trees.items():
            tries = [_one_step(node, ids, case, tree) for _ in range(case.repeat)]
            out[label] = sorted(tries, key=lambda m: m.wall)[len(tries) // 2]
        return out


@dataclass(frozen=True)
class Row:
    what: str
    target: float
    today: Optional[float]
    new: Optional[float]
    digits: int = 2

    @property
    def met(self) -> Optional[bool]:
        return None if self.new is None else self.new <= self.target

    def cells(self) -> List[str]:
        shown = "%%.%df" % self.digits
        state = {None: "not measured", True: "met",
                 False: "missed by %.3f" % ((self.new or 0) - self.target)}[self.met]
        return [self.what, "-" if self.today is None else shown % self.today,
                "-" if self.new is None else shown % self.new, "<= " + shown % self.target, state]


def rows(results: Dict[str, Dict[str, Measure]]) -> List[Row]:
    def get(case: str, label: str, what) -> Optional[float]:
        found = results.get(case, {}).get(label)
        return None if found is None or found.failed else what(found)

    def pair(case: str, what) -> Tuple[Optional[float], Optional[float]]:
        return get(case, "today", what), get(case, "new", what)

    by_name = {c.name: c for c in CASES}
    short, big, long_, one = (c.name for c in CASES)
    out = [
        Row("40 x 0.5 s, P=8: step wall / ideal", 1.15, *pair(short, lambda m: m.wall / by_name[short].ideal)),
        Row("the same, engine alone / ideal", 1.03, *pair(short, lambda m: m.engine / by_name[short].ideal)),
        Row("200 x 0.5 s, P=8: step wall / ideal", 1.05, *pair(big, lambda m: m.wall / by_name[big].ideal)),
        Row("requests to DSS per run, short runs", 4.0, *pair(short, lambda m: m.requests / 40), digits=1),
        Row("requests per run, 3 x 20 s", 6.0, *pair(long_, lambda m: m.requests / 3), digits=1),
    ]
    rates = {label: [m.list_rate for name in results for lab, m in results[name].items()
                     if lab == label and not m.failed] for label in ("today", "new")}
    out.append(Row("scenario-list calls per second per project (most in any second)", 4.0,
                   max(rates["today"]) if rates["today"] else None, max(rates["new"]) if rates["new"] else None,
                   digits=0))
    out += [
        Row("a run's end noticed, p95: short runs (s)", 0.10, *pair(short, lambda m: m.notice_p95), digits=3),
        Row("a run's end noticed, p95: 20 s runs (s)", 0.25, *pair(long_, lambda m: m.notice_p95), digits=3),
        Row("one scenario of 0.05 s: step wall (s)", 0.35, *pair(one, lambda m: m.wall), digits=3),
    ]
    return [r for r in out if r.today is not None or r.new is not None]


HEADERS = ["case", "today", "new", "target", ""]


def import_times(tree: Path) -> Dict[str, float]:
    """`python -X importtime` of the run-tests step's imports: the total, the DSS client's share, ours (ms)."""
    script = (tree / "python-steps" / STEP / "step.py").read_text(encoding="utf-8").split("run_step(")[0]
    stand_in = REPO_ROOT / "tooling" / "standin"
    env = {"PYTHONPATH": "%s:%s" % (tree / "python-lib", stand_in), "PATH": "/usr/bin:/bin"}
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", script], env=env, capture_output=True,
                         text=True, check=False, timeout=60).stderr
    shares = {"total": 0.0, "dataikuapi and requests": 0.0, "test_gated_deployment": 0.0, "jinja2": 0.0}
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[0].split(":")[-1].strip().isdigit():
            continue
        self_us, name = int(parts[0].split(":")[-1]), parts[2].strip()
        top = name.split(".")[0]
        shares["total"] += self_us / 1000
        if top in ("dataikuapi", "requests", "urllib3", "charset_normalizer", "idna", "certifi", "dateutil"):
            shares["dataikuapi and requests"] += self_us / 1000
        elif top in shares:
            shares[top] += self_us / 1000
        elif top in ("markupsafe",):
            shares["jinja2"] += self_us / 1000
    return shares


def run(quick: bool = False) -> Tuple[List[Row], List[str], Dict[str, float]]:
    """The step-level table (today and new), notes, and the wall of each tree's step on the first case (40 x
    0.5 s), to set beside the tutorial's loop."""
    workdir = Path(tempfile.mkdtemp(prefix="tgd-bench-"))
    notes = []
    try:
        trees = {}
        baseline = baseline_tree(workdir)
        if baseline is None:
            notes.append("today's column is empty: git could not give commit %s" % BASELINE)
        else:
            trees["today"] = baseline
        trees["new"] = REPO_ROOT
        results = {}
        for case in (QUICK_CASES if quick else CASES):
            print("running the step, %s ..." % case.name, flush=True)
            results[case.name] = measure_case(case, trees)
            for label, found in results[case.name].items():
                if found.failed:
                    notes.append("%s, %s: the step failed: %s" % (case.name, label, found.failed))
        for label, tree in trees.items():
            shares = import_times(tree)
            notes.append("%s: the run-tests step's imports take %.0f ms: the DSS client and requests %.0f ms, the "
                         "plugin's package %.0f ms, Jinja2 %.0f ms (python -X importtime, self times)"
                         % (label, shares["total"], shares["dataikuapi and requests"],
                            shares["test_gated_deployment"], shares["jinja2"]))
        first = results[CASES[0].name]
        return rows(results), notes, {label: m.wall for label, m in first.items() if not m.failed}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
