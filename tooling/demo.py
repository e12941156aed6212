"""make demo: the Automate Deployment pipeline, built and run only from the plugin's UI components.

It starts the DSS simulator (a Design node with its Project Deployer, a QA and a Production Automation node),
writes the step-based "Automate Deployment" scenario with the plugin's macro, and runs it twice through the real
dataikuapi client: bundle v1 has a failing test, so QA gets it, the gate stops it and Production keeps its bundle;
then the test is fixed and the same scenario promotes the new bundle to Production. A simulated Dataiku Govern node
keeps a human in the loop: QA's verdict is posted as feedback on the bundle's sign-off, the Production deploy waits
while the sign-off is pending, and a reviewer approves it in Govern.

Usage: python tooling/demo.py [--out DIR]   (default DIR: demo-output/)
DIR is emptied first only if it is empty or an earlier demo wrote it (it holds the demo's marker file).
"""

import argparse
import re
import shutil
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "tooling", ROOT / "python-lib"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import dataikuapi  # noqa: E402
from dss_simulator import ScenarioSpec, Simulator  # noqa: E402
from dss_simulator.macro_runner import run_macro  # noqa: E402
from test_gated_deployment.dss.scenario_writer import find_scenario  # noqa: E402
from test_gated_deployment.dss.scenarios import list_scenarios  # noqa: E402

PLUGIN_ID = "test-gated-deployment"
PROJECT = "SHOP"
QA_DEPLOYMENT = "SHOP-on-qa"
PROD_DEPLOYMENT = "SHOP-on-prod"
# The id asked of the macro; DSS may pick another when it creates the scenario (see pipeline_id()).
PIPELINE_ID = "AUTOMATE_DEPLOYMENT"
REPORT_FOLDER = "test_reports"
# The Govern key the pipeline posts QA's verdict with: a reviewer of the sign-off for this feedback group.
GOVERN_KEY = "demo-govern-qa-bot-key"
FEEDBACK_GROUP = "qa-evidence"
# Left in the output folder, so that the next demo knows the folder is its own to empty.
MARKER = ".test-gated-deployment-demo"
TESTS = {
    "test_orders": "Orders are complete",
    "test_customers": "Customers are unique",
    "test_scoring_api": "Scoring API answers",
}


@dataclass
class DemoWorld:
    sim: Simulator
    design: object
    qa: object
    prod: object
    folders: Path
    govern: object


def set_tests(design, failing: str = ""):
    """Declares the SHOP test scenarios on the Design node; `failing` ends FAILED. The next bundle captures them."""
    project = design.project(PROJECT)
    for sid, name in TESTS.items():
        project.add_scenario(ScenarioSpec(
            id=sid, name=name, marked_as_test=True, tags=("ci",), duration=0.4,
            outcome="FAILED" if sid == failing else "SUCCESS",
            # The scoring API test is flaky on its first run on each node: the pipeline retries it once.
            fail_first=1 if sid == "test_scoring_api" else 0))


def build_world(sim: Simulator, folders: Path) -> DemoWorld:
    design = sim.add_design_node("design")
    qa = sim.add_automation_node("qa")
    prod = sim.add_automation_node("prod")
    design.add_project(PROJECT)
    set_tests(design)
    design.deployer.add_infra("qa-infra", stage="QA", nodes=[qa])
    design.deployer.add_infra("prod-infra", stage="Production", nodes=[prod])
    design.export_bundle(PROJECT, "v0")
    design.deployer.publish_bundle(PROJECT, "v0")
    design.deployer.add_deployment(QA_DEPLOYMENT, published_project_key=PROJECT, infra_id="qa-infra", bundle_id="v0")
    design.deployer.add_deployment(PROD_DEPLOYMENT, published_project_key=PROJECT, infra_id="prod-infra",
                                   bundle_id="v0")
    for dep in (QA_DEPLOYMENT, PROD_DEPLOYMENT):
        design.deployer.set_update_behaviour(dep, duration=0.3)
    govern = sim.add_govern_node("govern")
    govern.add_api_key(GOVERN_KEY, user="qa-bot")
    govern.govern.add_feedback_group(FEEDBACK_GROUP, keys=[GOVERN_KEY])
    govern.govern.govern_project(design.node_id, PROJECT)
    govern.govern.watch(design)   # every bundle the pipeline creates is synced to Govern
    design.install_plugin(ROOT, PLUGIN_ID)
    design.plugin_presets = {"qa-automation": {"url": qa.url, "api_key": qa.admin_key, "verify_tls": True},
                             "govern": {"url": govern.url, "api_key": GOVERN_KEY, "verify_tls": True}}
    # The report folder's files are kept on disk: <folders>/SHOP/test_reports/.
    design.folders_root = folders
    design.project(PROJECT).add_folder(REPORT_FOLDER)
    return DemoWorld(sim=sim, design=design, qa=qa, prod=prod, folders=folders, govern=govern)


def run_plugin_macro(world: DemoWorld, macro_id: str, config: Dict[str, object]):
    """One of the plugin's macros, run as a user runs it from the project's Macros menu."""
    return run_macro(ROOT / "python-runnables" / macro_id, config=config, presets=world.design.plugin_presets,
                     backend_url=world.design.url, ticket=world.design.issue_ticket(), project_key=PROJECT)


# The macros a user would run around the pipeline, and the configs they would give.
RUN_TESTS_NOW = ("run-tests-now", {"parallelism": 3, "retries": 1})
PROMOTE_DRY_RUN = ("promote-tested-bundle", {
    "qa_deployment_id": QA_DEPLOYMENT, "prod_deployment_id": PROD_DEPLOYMENT, "dry_run": True,
    "qa_automation_nodes": [{"mode": "PRESET", "name": "qa-automation"}]})
STATUS = ("deployment-test-status", {})
READINESS = ("pipeline-readiness", {
    "qa_deployment_id": QA_DEPLOYMENT, "prod_deployment_id": PROD_DEPLOYMENT,
    "qa_automation_nodes": [{"mode": "PRESET", "name": "qa-automation"}]})
CREATE = ("create-automate-deployment-scenario", {
    "qa_deployment_id": QA_DEPLOYMENT, "prod_deployment_id": PROD_DEPLOYMENT, "scenario_id": PIPELINE_ID,
    "qa_node_presets": ["qa-automation"], "bundle_id_pattern": "release", "parallelism": 3,
    "scenario_timeout_s": 60, "retries": 1, "report_folder": REPORT_FOLDER, "rollback": True,
    "govern_preset": "govern", "feedback_group": FEEDBACK_GROUP, "signoff_wait_s": 30})


def create_pipeline(world: DemoWorld):
    """Writes the Automate Deployment scenario with the plugin's macro, as a user would from the Macros menu."""
    return run_plugin_macro(world, *CREATE)


def run_page(world: DemoWorld, out: Path, macro: Tuple[str, Dict[str, object]], say: Callable[[str], None]) -> bool:
    """Runs a macro and keeps its page; False (and said) if the macro failed."""
    macro_id, config = macro
    result = run_plugin_macro(world, macro_id, config)
    if not result.ok:
        say("Macro %s failed: %s" % (macro_id, result.error))
        return False
    save_page(out, macro_id + ".html", result.result)
    say("Macro %s: page saved" % macro_id)
    return True


def save_page(out: Path, name: str, html: str) -> Path:
    """A macro's page, kept beside the reports (DSS shows it in the macro's result panel)."""
    path = out / "macro-pages" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def pipeline_id(client) -> str:
    """The id of the scenario the macro wrote: DSS may derive it from the name, so look it up as the macro does."""
    return find_scenario(list_scenarios(client, PROJECT), PIPELINE_ID, PROJECT).id


# Log lines worth showing under a step as the demo goes: the test summary, the gate verdict, the deployment.
_HIGHLIGHTS = re.compile(
    r"\d+ test scenario\(s\), |Test gate: |  reason: |Deployed bundle |already runs bundle |Flaky |Govern sign-off "
    r"|Posted feedback ")


_PREFIXES = re.compile(r"^(\[[^\]]*\] \[[^\]]*\] )?(\d{4}-\d\d-\d\d [\d:,]+ [A-Z]+ )?")


def step_highlights(log: str, outcome: str) -> List[str]:
    """The lines worth showing under a step: its summary lines, and its failure message when it failed."""
    lines = [_PREFIXES.sub("", line) for line in log.splitlines() if line.strip()]
    own = [line for line in lines if not line.startswith("[simulator]")]
    shown = [line for line in own if _HIGHLIGHTS.search(line)]
    if outcome == "FAILED" and own and own[-1] not in shown:
        shown.append(own[-1])
    return shown


@dataclass
class PipelineRun:
    outcome: str
    steps: List[Dict[str, str]]   # name, type, outcome, in order
    log_by_step: Dict[str, str]


def run_pipeline(world: DemoWorld, say: Callable[[str], None], timeout: float = 120.0) -> PipelineRun:
    """Runs the scenario through the public API and reports each step as it ends."""
    client = dataikuapi.DSSClient(world.design.url, world.design.admin_key)
    scenario_id = pipeline_id(client)
    scenario = client.get_project(PROJECT).get_scenario(scenario_id)
    run = scenario.run().wait_for_scenario_run()
    say("  run %s started" % run.id)
    reported, deadline = set(), time.monotonic() + timeout
    while True:
        details = run.get_details()
        for step in details.get("stepRuns") or []:
            outcome = (step.get("result") or {}).get("outcome")
            name = (step.get("step") or {}).get("name") or step.get("stepId")
            if outcome and name not in reported:
                reported.add(name)
                say("  %-8s %s" % (outcome, name))
                for line in step_highlights(run.get_log((step.get("step") or {}).get("id")), outcome):
                    say("             %s" % textwrap.shorten(line, 150))
        run.refresh()
        if not run.running:
            break
        if time.monotonic() > deadline:
            scenario.abort()
            raise RuntimeError("The pipeline did not end within %.0fs" % timeout)
        time.sleep(0.2)
    world.design.wait_for_run(PROJECT, scenario_id, run.id, timeout=30)
    details = run.get_details()
    steps, logs = [], {}
    for step in details.get("stepRuns") or []:
        definition = step.get("step") or {}
        name = definition.get("name") or ""
        steps.append({"name": name, "type": definition.get("type") or "",
                      "outcome": (step.get("result") or {}).get("outcome") or ""})
        logs[name] = run.get_log(definition.get("id"))
    return PipelineRun(outcome=run.outcome, steps=steps, log_by_step=logs)


class Reviewer(threading.Thread):
    """A person in Govern: once QA's verdict is on a bundle's sign-off as APPROVED feedback, and the Production deploy
    has looked at the sign-off at least once (and found it pending), approves it."""

    def __init__(self, world: DemoWorld, say: Callable[[str], None]):
        super().__init__(daemon=True)
        self.world, self.say = world, say
        self.done = threading.Event()
        self.approved: List[str] = []

    def run(self):
        govern = self.world.govern
        looks_before = {}   # Govern bundle id -> reads of its sign-off when QA's feedback was first seen there
        while not self.done.wait(0.1):
            for item in govern.govern.visible_artifacts():
                if item.blueprint_id != "bp.system.govern_bundle" or "review" not in item.signoffs:
                    continue
                signoff = item.signoff("review")
                feedback = [f["status"] for f in signoff.feedback]
                looks = govern.request_count(path_contains="/artifact/%s/workflow/step/review/signoff" % item.id,
                                             method="GET")
                if signoff.approval is not None or "APPROVED" not in feedback:
                    continue
                looks_before.setdefault(item.id, looks)
                if looks > looks_before[item.id]:
                    self.say("  Govern: bundle %s's sign-off holds QA's feedback %s and the Production deploy waits "
                             "on it; a reviewer approves it" % (item.name, ", ".join(feedback)))
                    signoff.approve(user="release-manager", comment="QA evidence reviewed")
                    self.approved.append(item.name)


def deployment_states(world: DemoWorld) -> Dict[str, Dict[str, str]]:
    states = {}
    for dep_id in (QA_DEPLOYMENT, PROD_DEPLOYMENT):
        dep = world.design.deployer.deployment(dep_id)
        states[dep_id] = {"bundle": dep.bundle_id, "health": dep.health}
    return states


def govern_feedback(world: DemoWorld) -> Dict[str, List[str]]:
    """The feedback on each bundle's Govern sign-off, by bundle id."""
    found = {}
    for item in world.govern.govern.visible_artifacts():
        if item.blueprint_id == "bp.system.govern_bundle" and "review" in item.signoffs:
            statuses = [f["status"] for f in item.signoff("review").feedback]
            if statuses:
                found[item.name] = statuses
    return found


def report_dir(folders: Path) -> Path:
    """Where the report folder's files are on disk."""
    return folders / PROJECT / REPORT_FOLDER


def prepare_output(out: Path) -> Optional[str]:
    """Empties `out` for a new demo, or says why not: a folder the demo did not write is never emptied."""
    if out.exists() and not out.is_dir():
        return "%s is a file: give --out a folder." % out
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            return ("%s is not empty and was not written by the demo: nothing was deleted. Give --out an empty or "
                    "new folder." % out)
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("Written by tooling/demo.py: the next demo empties this folder.\n")
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "demo-output"), help="where the reports are written")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    refused = prepare_output(out)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    folders = out / "managed-folders"
    folders.mkdir()
    started = time.monotonic()

    def say(text):
        print("[%5.1fs] %s" % (time.monotonic() - started, text), flush=True)

    with Simulator() as sim:
        world = build_world(sim, folders)
        say("DSS simulator up: Design node %s (with the Project Deployer), QA %s, Production %s"
            % (world.design.url, world.qa.url, world.prod.url))
        say("Project %s runs bundle v0 on %s and %s" % (PROJECT, QA_DEPLOYMENT, PROD_DEPLOYMENT))
        ready = run_page(world, out, READINESS, say)
        macro = create_pipeline(world)
        if not macro.ok:
            say("The 'Create Automate Deployment scenario' macro failed: %s" % macro.error)
            return 1
        client = dataikuapi.DSSClient(world.design.url, world.design.admin_key)
        save_page(out, CREATE[0] + ".html", macro.result)
        say("Macro 'Create Automate Deployment scenario' wrote scenario %s (UI steps only)" % pipeline_id(client))

        set_tests(world.design, failing="test_orders")
        pages = [ready, run_page(world, out, RUN_TESTS_NOW, say)]
        say("Run 1: test_orders is broken in the project; running the pipeline")
        first = run_pipeline(world, say)
        say("Run 1 ended %s; Production runs bundle %s" % (first.outcome, deployment_states(world)[PROD_DEPLOYMENT]
                                                             ["bundle"]))
        pages.append(run_page(world, out, PROMOTE_DRY_RUN, say))

        set_tests(world.design)
        say("Run 2: test_orders is fixed in the project; running the pipeline again")
        reviewer = Reviewer(world, say)
        reviewer.start()
        try:
            second = run_pipeline(world, say)
        finally:
            reviewer.done.set()
            reviewer.join()
        say("Run 2 ended %s" % second.outcome)
        feedback = govern_feedback(world)
        for bundle, statuses in sorted(feedback.items()):
            say("Govern: the sign-off of bundle %s holds QA's feedback %s" % (bundle, ", ".join(statuses)))

        states = deployment_states(world)
        pages.append(run_page(world, out, STATUS, say))
        print()
        print("Final state of the deployments:")
        for dep_id, state in states.items():
            print("  %-14s bundle %-12s health %s" % (dep_id, state["bundle"], state["health"]))
        reports = sorted(p for p in folders.rglob("*") if p.is_file())
        print()
        print("Reports (managed folder '%s', kept on disk at %s):" % (REPORT_FOLDER, report_dir(folders)))
        for path in reports + sorted((out / "macro-pages").glob("*.html")):
            print("  %s" % path.relative_to(out.parent) if out.parent in path.parents else path)
        ok = (first.outcome == "FAILED" and second.outcome == "SUCCESS" and states[PROD_DEPLOYMENT]["bundle"] != "v0"
              and all(pages) and reviewer.approved == [states[PROD_DEPLOYMENT]["bundle"]]
              and sorted(feedback.values()) == [["APPROVED"], ["MAJOR_ISSUE"]])
        print()
        print("Demo %s in %.0fs: the gate stopped the failing bundle and promoted the fixed one once signed off in "
              "Govern." % (
            "passed" if ok else "FAILED", time.monotonic() - started) if ok else
            "Demo did not go as expected: run 1 %s, run 2 %s." % (first.outcome, second.outcome))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
