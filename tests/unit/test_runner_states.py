"""The runner's state machine against a fake of the plugin's own DSS layer (`dss.scenarios`), for timings the
simulator cannot pin down: here the scenario list is always one step behind the runs."""

from types import SimpleNamespace

import pytest
from test_gated_deployment.dss.scenarios import RunState, ScenarioItem
from test_gated_deployment.testing import discovery, runner
from test_gated_deployment.testing.jobs import Job, JobState

# A client the runner only hands to the (fake) DSS layer, and whose transport it limits.
CLIENT = SimpleNamespace(_session=SimpleNamespace(deadline=None, server_clock_offset_ms=0))


def target():
    return discovery.Target(client=CLIENT, project_key="P", node="qa", scenarios=[discovery.TestScenario("t1", "T1")])


class FakeNode:
    """Runs of one scenario, outcome by attempt; the list keeps saying "running" once a run was asked for."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.requests = 0
        self.stale_running = False

    def items(self, client, project_key):
        return [ScenarioItem(id="t1", name="T1", marked_as_test=True, running=self.stale_running)]

    def scenario(self, client, project_key, scenario_id):
        node = self

        class Run:
            def __init__(self, outcome):
                self.id = "run-%d" % node.requests
                self.state = RunState(running=False, outcome=outcome, start_ms=1, end_ms=2)

            def refresh(self):
                return self.state

        class Request:
            def __init__(self):
                self._run = Run(node.outcomes[node.requests - 1])

            def run(self):
                return self._run

            def cancelled(self):
                return False

        class Scenario:
            def request_run(self):
                node.requests += 1
                node.stale_running = True
                return Request()

            def abort(self):
                pass

            def last_runs(self, limit):
                return []

        return Scenario()


@pytest.fixture
def fake(monkeypatch):
    node = FakeNode(["FAILED", "SUCCESS"])
    monkeypatch.setattr(runner, "list_scenarios", node.items)
    monkeypatch.setattr(runner, "Scenario", node.scenario)
    monkeypatch.setattr(runner, "DIRECT_REFRESH_SECONDS", 0.0)  # refresh a run even while the list says running
    return node


def test_a_retry_is_not_blocked_by_a_list_read_before_the_run_ended(fake):
    options = runner.RunOptions(retries=1, if_running="fail", poll_min=0.0, poll_max=0.0)
    summary = runner.TestRunner([target()], options).run()
    assert fake.requests == 2
    [result] = summary.results
    assert result.outcome == "SUCCESS" and result.flaky and result.attempt_outcomes == ["FAILED", "SUCCESS"]


def test_a_move_the_state_machine_does_not_allow_is_refused():
    job = Job(target=target(), scenario=discovery.TestScenario("t1", "T1"), handle=None)
    with pytest.raises(AssertionError, match="cannot go from pending to running"):
        job.move(JobState.RUNNING)
    job.move(JobState.DONE)
    with pytest.raises(AssertionError):
        job.move(JobState.PENDING)
