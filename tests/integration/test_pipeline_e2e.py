"""The demo story with assertions: the Automate Deployment scenario, written by the plugin's macro and made only
of UI steps, stops a bundle with a failing test at the gate and promotes the fixed one once a reviewer signed it off
in Govern."""

import dataikuapi
import demo
from dss_simulator import Simulator
from junit_rules import schema_problems
from junitparser.xunit2 import JUnitXml


def test_gate_stops_the_failing_bundle_and_promotes_the_fixed_one(tmp_path):
    with Simulator() as sim:
        world = demo.build_world(sim, tmp_path)
        macro = demo.create_pipeline(world)
        assert macro.ok, macro.error + macro.log

        client = dataikuapi.DSSClient(world.design.url, world.design.admin_key)
        raw = client.get_project(demo.PROJECT).get_scenario(demo.pipeline_id(client)).get_settings().get_raw()
        types = [step["type"] for step in raw["params"]["steps"]]
        assert types[0] == "prepare_bundle"
        assert all(t.startswith("pystep_test-gated-deployment_") for t in types[1:]) and len(types) == 5
        assert "custom_python" not in str(raw)

        demo.set_tests(world.design, failing="test_orders")
        first = demo.run_pipeline(world, say=lambda text: None)
        assert first.outcome == "FAILED"
        failed = [s for s in first.steps if s["outcome"] == "FAILED"]
        # The test results are recorded by the run step; the gate is what stops the bundle.
        assert len(failed) == 1 and failed[0]["type"].split("_")[-1] in ("assert-test-status", "deploy-bundle")
        states = demo.deployment_states(world)
        assert states[demo.PROD_DEPLOYMENT]["bundle"] == "v0"
        first_bundle = states[demo.QA_DEPLOYMENT]["bundle"]
        assert first_bundle != "v0"  # QA got the failing bundle

        demo.set_tests(world.design)
        reviewer = demo.Reviewer(world, say=lambda text: None)
        reviewer.start()
        try:
            second = demo.run_pipeline(world, say=lambda text: None)
        finally:
            reviewer.done.set()
            reviewer.join()
        assert second.outcome == "SUCCESS", second.log_by_step
        states = demo.deployment_states(world)
        # QA's verdicts are on each bundle's sign-off as feedback; Production waited for the reviewer's approval.
        assert demo.govern_feedback(world) == {first_bundle: ["MAJOR_ISSUE"],
                                               states[demo.PROD_DEPLOYMENT]["bundle"]: ["APPROVED"]}
        assert reviewer.approved == [states[demo.PROD_DEPLOYMENT]["bundle"]]
        assert "Govern sign-off PENDING" in second.log_by_step["Deploy bundle to Production"]
        assert states[demo.PROD_DEPLOYMENT]["bundle"] == states[demo.QA_DEPLOYMENT]["bundle"]
        assert states[demo.PROD_DEPLOYMENT]["bundle"] not in ("v0", first_bundle)
        assert states[demo.PROD_DEPLOYMENT]["health"] == "HEALTHY"
        assert world.qa.active_runs() == [] and world.prod.active_runs() == []

    reports = [p for p in tmp_path.rglob("*") if p.is_file()]
    junit = [p for p in reports if p.suffix == ".xml"]
    html = [p for p in reports if p.suffix == ".html"]
    assert len(junit) == 2 and len(html) >= 2
    for path in junit:
        assert path.name == "junit-qa-infra.xml" and schema_problems(path.read_bytes()) == []
    counts = sorted((suite.tests, suite.failures) for p in junit for suite in JUnitXml.fromstring(p.read_bytes()))
    assert counts == [(3, 0), (3, 1)]  # the fixed run, then the failing one
    assert all("<html" in p.read_text() for p in html)


def test_the_demo_never_empties_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    assert demo.main(["--out", str(tmp_path)]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert demo.prepare_output(tmp_path / "file-free") is None  # a new folder is the demo's, with its marker
    (tmp_path / "file-free" / "summary.html").write_text("from the last demo")
    assert demo.prepare_output(tmp_path / "file-free") is None
    assert [p.name for p in (tmp_path / "file-free").iterdir()] == [demo.MARKER]
