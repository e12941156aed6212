"""How often "Run test scenarios" asks DSS, judged from the simulator's request log: counts, never times.

A scenario that ran before is looked at just after its run should end (its last run's duration, from the project's
last-test-runs report), so a workload of known runs costs a bounded number of requests, and the scenario list of a
project is never read more than 4 times in a second.
"""

import time

from dss_simulator import ScenarioSpec
from stepkit import run_plugin_step
from worlds import PIPELINE, PROJECT, run_tests_on

PUBLIC = "/dip/publicapi/"


def _project(design, count, duration):
    project = design.add_project(PROJECT)
    project.add_scenario(ScenarioSpec(id=PIPELINE, name="Automate Deployment"))
    ids = ["test_%d" % (i + 1) for i in range(count)]
    for sid in ids:
        project.add_scenario(ScenarioSpec(id=sid, name=sid, marked_as_test=True, duration=duration))
    return ids


def _run(design, parallelism):
    since = time.time()
    out = run_plugin_step(design, "run-test-scenarios", PROJECT, {"target": "this_project",
                                                                  "parallelism": parallelism})
    assert out.ok, out.log
    return out, [r for r in design.requests if r.time >= since and r.path.startswith(PUBLIC)]


def test_known_runs_cost_a_bounded_number_of_requests(design):
    ids = _project(design, 3, duration=1.0)
    run_tests_on(design, ids)  # their history: each ran for 1 s
    since = time.time()
    _, requests = _run(design, parallelism=3)
    # Per run: its request, the lookup of its run, its details; the list calls and the history are shared: 1 s runs
    # are looked at every quarter of their duration, then just after their end.
    assert len(requests) <= 6 * len(ids), [r.path for r in requests]
    assert design.request_count(path_contains="last-test-scenario-runs-report") == 1
    assert design.list_call_rate(PROJECT, since) <= 4


def test_a_run_already_ended_when_looked_up_is_taken_from_the_lookup(design):
    ids = _project(design, 4, duration=0.05)
    run_tests_on(design, ids)
    _, requests = _run(design, parallelism=4)
    for sid in ids:
        run = design.runs(PROJECT, sid)[-1]
        lookups = [r for r in requests if r.path.endswith("/scenarios/%s/get-run-for-trigger" % sid)]
        details = [r for r in requests if r.path.endswith("/scenarios/%s/%s/" % (sid, run.run_id))]
        assert lookups, sid
        if lookups[0].time >= run.end:
            assert details == [], "%s: the lookup showed the run's end, yet its details were read" % sid


def test_without_history_the_list_is_read_at_most_4_times_a_second(design):
    _project(design, 3, duration=1.5)
    since = time.time()
    _, requests = _run(design, parallelism=3)
    assert design.list_call_rate(PROJECT, since) <= 4
    assert len([r for r in requests if r.path.endswith("/%s/scenarios/" % PROJECT)]) <= 4 * 2 + 2


def test_a_run_past_its_expected_end_does_not_hold_back_the_others(design):
    # "slow" ran for 0.1 s last time and now runs 3 s: its looks past the expected end must not keep the sweeps from
    # noticing that "quick" (no history) ended long before.
    project = design.add_project(PROJECT)
    project.add_scenario(ScenarioSpec(id=PIPELINE, name="Automate Deployment"))
    project.add_scenario(ScenarioSpec(id="slow", name="slow", marked_as_test=True, duration=0.1))
    run_tests_on(design, ["slow"])
    project.add_scenario(ScenarioSpec(id="slow", name="slow", marked_as_test=True, duration=3.0))
    project.add_scenario(ScenarioSpec(id="quick", name="quick", marked_as_test=True, duration=0.3))
    _, requests = _run(design, parallelism=2)
    slow, quick = design.runs(PROJECT, "slow")[-1], design.runs(PROJECT, "quick")[-1]
    delivered = [r.time for r in requests if r.time >= quick.end and (
        r.path.endswith("/quick/%s/" % quick.run_id) or r.path.endswith("/quick/get-run-for-trigger"))]
    assert delivered and min(delivered) < slow.end, "quick's end was only taken when slow ended"
