"""Someone else changes the Production deployment while "Deploy bundle" promotes it.

Two ways of looking: at every request of a promotion, a person repoints the deployment at another bundle just
before DSS answers (a systematic exploration judged by the simulator's end state); and two pipelines promoting to the
same deployment at once, from several start offsets. In no case may a step report a bundle as deployed that the
nodes do not run, overwrite a change made after it read the deployment, or leave a bundle running that it did not
report.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from dss_simulator import ScenarioSpec, Simulator, shapes
from explorer import Ending, Flow, record
from stepkit import run_plugin_step
from worlds import PROJECT, promotion_estate, run_tests_on, update_deployment

PROD = "SHOP-on-prod"
TESTS = ["test_1", "test_2"]
SETTINGS_READ = "/deployments/%s/settings" % PROD
GATED_V2 = {"deployment_id": PROD, "bundle_id": "v2", "gate_deployment_id": "SHOP-on-qa",
            "http_timeout_s": 2, "retry_budget_s": 10}


def _estate(sim, update_s=0.05):
    """QA tested v2 clean; v3 is published too (someone else's bundle)."""
    estate = promotion_estate(sim)
    estate.design.export_bundle(PROJECT, "v3")
    estate.design.deployer.publish_bundle(PROJECT, "v3")
    run_tests_on(estate.qa, TESTS)
    estate.design.deployer.set_update_behaviour(PROD, duration=update_s)
    return estate


def repoint(estate, bundle_id):
    """What a person saving the deployment's settings in the Project Deployer does."""
    deployer = estate.design.deployer
    dep = deployer.deployment(PROD)
    settings = shapes.deployment_settings(dep)
    settings["bundleId"] = bundle_id
    deployer.save_settings(dep, settings)


def _promote(estate):
    out = run_plugin_step(estate.design, "deploy-bundle", PROJECT, GATED_V2, presets=estate.presets(), timeout=120)
    lines = out.log.strip().splitlines()
    return Ending(out.ok, out.log, lines[-1] if lines else "", 0.0)


FLOW = Flow("deploy with the gate, v3 published", _estate, _promote, (PROD,))


def _judge(ending, dep, started, after_snapshot):
    """The invariants that hold whatever the moment of the other change; returns what broke."""
    broken = []
    if ending.ok and dep.bundle_id != "v2":
        broken.append("reported a success while the nodes run %s" % dep.bundle_id)
    if dep.bundle_id == "v3" and (ending.ok or "v3" not in ending.last_line):
        broken.append("left v3 running without saying so: %r" % ending.last_line)
    if after_snapshot and dep.settings_bundle_id != "v3":
        broken.append("overwrote the change made after the step read the deployment (settings on %s)"
                      % dep.settings_bundle_id)
    if not ending.ok and PROD not in ending.last_line:
        broken.append("failure that does not name the deployment: %r" % ending.last_line)
    if dep.in_progress or len(started) > 1:
        broken.append("updates started %s, in progress %s" % (started, dep.in_progress))
    return broken


def test_a_change_by_someone_else_at_any_request_is_never_overwritten_nor_misreported():
    baseline = record(FLOW)
    assert baseline.ending.ok, baseline.ending.output
    requests = [r for r in baseline.requests if r.node == "design"]
    snapshot = next(i for i, r in enumerate(requests) if r.method == "GET" and r.path.endswith(SETTINGS_READ))
    failures, endings = [], {}
    for index, request in enumerate(requests):
        with Simulator() as sim:
            estate = _estate(sim)
            before = len(estate.design.deployer.deployment(PROD).started_updates)
            fault = estate.design.faults.add(path_regex=request.pattern, method=request.method,
                                             skip=request.occurrence, status=0,
                                             action=lambda estate=estate: repoint(estate, "v3"))
            ending = _promote(estate)
            dep = estate.design.deployer.deployment(PROD)
            assert fault.used == 1, "request %s not reached" % request
            # A save that lands at the very moment of the step's own save races it: DSS's public API has no
            # compare-and-set, so whichever save DSS applies last wins. Here the step's gated bundle wins, and it is
            # what the step reports; every other moment after the step's read must keep the other change.
            ours = request.method == "PUT" and request.path.endswith(SETTINGS_READ) and request.occurrence == 0
            broken = _judge(ending, dep, dep.started_updates[before:], after_snapshot=index > snapshot and not ours)
        failures += ["%s: %s" % (request, b) for b in broken]
        endings[str(request)] = "ok" if ending.ok else ending.last_line
    assert not failures, "\n".join(failures)
    # Each of the step's three checks met the change it is there for.
    said = "\n".join(endings.values())
    assert "was changed by someone else after this step read it (bundleId: 'v2' -> 'v3')" not in said
    assert "was changed by someone else after this step read it (bundleId: 'v1' -> 'v3')" in said
    assert "someone else pointed it at bundle v3, so no update was started" in said
    assert "someone else changed the deployment during this step's update" in said


def _race(estate, offset):
    """The gated pipeline (v2) starts, the hotfix pipeline (v3, no gate) `offset` seconds later; their outcomes."""
    hotfix = {"deployment_id": PROD, "bundle_id": "v3"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        gated = pool.submit(run_plugin_step, estate.design, "deploy-bundle", PROJECT, GATED_V2,
                            presets=estate.presets(), timeout=120)
        threading.Event().wait(offset)  # each offset is a start order to check, not a wait for an outcome
        other = pool.submit(run_plugin_step, estate.design, "deploy-bundle", PROJECT, hotfix, caller="hotfix",
                            presets=estate.presets(), timeout=120)
        return {"v2": gated.result(), "v3": other.result()}


def test_two_pipelines_promoting_at_once_each_report_what_they_did(sim):
    """A gated pipeline promotes v2 while a hotfix pipeline without a gate deploys v3, from several offsets."""
    estate = _estate(sim, update_s=0.3)
    estate.design.project(PROJECT).add_scenario(ScenarioSpec(id="hotfix", name="Hotfix"))
    deployer = estate.design.deployer
    for offset in (0.0, 0.15, 0.3, 0.6):
        repoint(estate, "v1")
        update_deployment(estate.design, PROD, "v1")  # back to v1 before each round
        updates_before = len(deployer.deployment(PROD).updates)
        results = _race(estate, offset)
        dep = deployer.deployment(PROD)
        done = dep.updates[updates_before:]
        where = "offset %.2fs: %s" % (offset, {b: r.log.strip().splitlines()[-1] for b, r in results.items()})
        for bundle_id, out in results.items():
            if out.ok:
                # A success is an update of that very bundle that ended well.
                assert any(u.bundle_id == bundle_id and u.status == "SUCCESS" for u in done), where
        # Whatever runs at the end, a step reported it: it succeeded with that bundle, or its failure names it.
        runs = dep.bundle_id
        if runs in results:
            owner = results[runs]
            assert owner.ok or runs in owner.log.strip().splitlines()[-1], where
        else:  # still on v1: neither may say it deployed
            assert not any(r.ok for r in results.values()), where
        # The last update ran the bundle of a step that says it succeeded, or the other step's failure says so.
        if done:
            last = done[-1].bundle_id
            assert results[last].ok or last in results["v2" if last == "v3" else "v3"].log, where
        assert not dep.in_progress, where


def test_an_aborted_update_leaves_a_bundle_someone_else_set_meanwhile(sim):
    # The update outlives its deadline; meanwhile a person points Production at v3. The step aborts its update and
    # must not put the settings back over v3.
    estate = _estate(sim, update_s=30.0)
    estate.design.faults.add(path_contains="/deployments/%s/actions/update" % PROD, method="POST", status=0,
                             action=lambda: threading.Timer(0.3, repoint, (estate, "v3")).start())
    out = run_plugin_step(estate.design, "deploy-bundle", PROJECT, dict(GATED_V2, update_timeout_s=2,
                                                                          rollback=False), presets=estate.presets())
    assert not out.ok
    message = out.log.strip().splitlines()[-1]
    assert "point at bundle v3, which someone else set after this step pointed them at bundle v2" in message
    dep = estate.design.deployer.deployment(PROD)
    assert (dep.settings_bundle_id, dep.bundle_id, dep.in_progress) == ("v3", "v1", False)
