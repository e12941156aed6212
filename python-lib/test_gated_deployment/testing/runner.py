"""Runs test scenarios with bounded parallelism and follows the runs it started until they end.

One loop in the calling thread drives every run: each tick makes one scenario-list call per project to see
which scenarios are still running, and fetches a run's details only when its scenario has stopped (or takes its end
from the lookup that found the run, when the run has already ended by then). The request rate therefore depends on
the number of projects, not on the number of scenarios.

When the ticks come: a scenario that ran before (its last run's duration, read once per project) is looked at just
after its run should end, and before that at least every quarter of that duration (at most every 10 s), so that a
run that fails early is seen; a run past its expected end is looked at again soon, then less and less often; a
scenario without history is looked at on the age-based timer: a tenth of the run's age, between `poll_min` and
`poll_max`. There are never more than 4 ticks in a second.

A run request whose answer is lost or garbled (`answers.Kind.UNKNOWN`) is reconciled, never sent twice blindly:
the job looks for a run DSS started since the request, and asks again only once it is clear none did. When the
step ends early (abort, crash), every run it may have started is aborted, including those of lost requests.
"""

import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from ..dss.answers import ClientError, Kind, classify, describe_call_error, describe_unanswered
from ..dss.interrupts import StopSignal
from ..dss.scenarios import RunState, Scenario, list_scenarios
from ..dss.transport import CLOCK_MARGIN_MS, for_cleanup, limit_retries, server_clock_offset_ms
from ..errors import PluginError, StepInterrupted
from .discovery import Target
from .jobs import IN_FLIGHT, STARTED, Abort, Attempt, Job, JobState
from .results import ABORTED, FAILED, NOT_RUN, SUCCESS, UNKNOWN_OUTCOME, WARNING, RunSummary, ScenarioResult

log = logging.getLogger(__name__)

IF_RUNNING_WAIT = "wait"
IF_RUNNING_FAIL = "fail"
IF_RUNNING_ABORT = "abort"
IF_RUNNING_POLICIES = [IF_RUNNING_WAIT, IF_RUNNING_FAIL, IF_RUNNING_ABORT]

# How long an abort may take to show in the run before the step stops waiting for it.
ABORT_GRACE_SECONDS = 30.0
# A run whose scenario still shows as running is refreshed directly at least this often, in case the scenario
# was started again by someone else right after our run ended.
DIRECT_REFRESH_SECONDS = 15.0
# After a run request whose answer was lost, how long to look for the run DSS may have started before asking again.
RECONCILE_SECONDS = 10.0
# Whether DSS cancelled a run request is asked every this many polls, not every poll.
CANCEL_CHECK_EVERY = 5
# DSS cancelling the run request this many times in a row means something else keeps the scenario busy.
MAX_CANCELLATIONS = 10
# A run with an expected end (its request's answer plus its last run's duration) is looked at this long after it,
# and before it at least every this share of its expected duration, but never less often than every
# PREDICTED_LOOK_MAX seconds; still running then, it is looked at OVERDUE_LOOKS more times, OVERDUE_MIN_SECONDS
# apart and more, then followed on the sweeps like a run without history.
END_MARGIN_SECONDS = 0.005
OVERDUE_MIN_SECONDS = 0.05
OVERDUE_LOOKS = 2
PREDICTED_LOOK_SHARE = 0.25
PREDICTED_LOOK_MAX = 10.0
# Jobs due to be looked at on a sweep within this long of the first one are looked at in the same sweep.
COALESCE_SECONDS = 0.05
# The scenario list read to find the tests stands for the first sweep if it is this fresh (seconds).
LISTED_FRESH = 1.0
# The most ticks (each one scenario-list call per project) in any second.
MAX_TICKS_PER_SECOND = 4
# When the step itself is aborted, each run it started gets this many abort requests at most, this far apart.
FINAL_ABORT_TRIES = 3
FINAL_ABORT_PAUSE_SECONDS = 0.5
# ...and the runs of run requests not seen yet are looked for this long, in case DSS starts them late (the step
# must end before DSS, which sent SIGTERM, kills it).
FINAL_LOOK_SECONDS = 5.0


@dataclass(frozen=True)
class RunOptions:
    parallelism: int = 1
    scenario_timeout: float = 3600.0
    deadline: Optional[float] = None
    retries: int = 0
    fail_fast: bool = False
    fail_on_warning: bool = False
    if_running: str = IF_RUNNING_WAIT
    collect_junit: bool = False
    poll_min: float = 0.25
    poll_max: float = 1.0
    # How long following the runs may keep failing (each call already retried) before the step gives up.
    poll_budget: float = 60.0


class TestRunner:
    def __init__(self, targets: List[Target], options: RunOptions,
                 on_progress: Optional[Callable[[int, int], None]] = None, stop: Optional[StopSignal] = None):
        self.targets = targets
        self.options = options
        self.on_progress = on_progress
        self.stop = stop or StopSignal()
        self.jobs = [Job(target=t, scenario=s, handle=Scenario(t.client, t.project_key, s.id))
                     for t in targets for s in t.scenarios]
        self._running_by_target: Dict[int, Dict[str, bool]] = {}
        self._stop_reason = ""
        self._deadline_exceeded = False
        self._poll_failing_since: Optional[float] = None
        self._ticks: deque = deque(maxlen=MAX_TICKS_PER_SECOND)

    def run(self) -> RunSummary:
        start = time.monotonic()
        deadline = start + self.options.deadline if self.options.deadline else None
        for target in self.targets:
            # Past the deadline, a failing call is not retried: the aborts that follow must not wait behind it.
            limit_retries(target.client, deadline)
        clean_exit = False
        try:
            sweep_at = 0.0
            while any(job.state != JobState.DONE for job in self.jobs):
                self.stop.check()
                sweep = time.monotonic() >= sweep_at
                if sweep:
                    self._ticks.append(time.monotonic())
                answered = self._tick(deadline, sweep)
                self._report_progress()
                if all(job.state == JobState.DONE for job in self.jobs):
                    break
                sweep_at, wake = self._schedule()
                if not answered:  # DSS failed this tick: no look is sent again before a pause
                    wake = max(wake, time.monotonic() + self.options.poll_min)
                self.stop.sleep(max(0.0, wake - time.monotonic()))
            clean_exit = True
        finally:
            for target in self.targets:
                limit_retries(target.client, None)
            if not clean_exit:
                self._abort_in_flight_now()
        return RunSummary(
            results=[job.result for job in self.jobs if job.result is not None],
            fail_on_warning=self.options.fail_on_warning,
            deadline_exceeded=self._deadline_exceeded,
        )

    def _schedule(self) -> Tuple[float, float]:
        """When the next sweep is due, and when to wake (the sweep, or the first direct look before it).

        A sweep is put off to take the jobs due soon after the first one along, and there are at most
        MAX_TICKS_PER_SECOND sweeps in a second; a direct look costs one request for its own run, so it comes when
        that run should end, and its slot is filled again at once.
        """
        now = time.monotonic()
        # Counted from the last sweep, so that direct looks in between never put the next sweep off.
        last = self._ticks[-1] if self._ticks else now
        sweeps, directs = [], []
        for job in self.jobs:
            if job.state not in IN_FLIGHT:
                continue
            if self._predicted(job):
                directs.append(job.attempt.next_look)
                sweeps.append(last + max(self._timer(now - job.attempt.requested_at),
                                         min(PREDICTED_LOOK_MAX, PREDICTED_LOOK_SHARE * self._expected(job))))
            elif job.attempt is None:  # waiting for someone else's run: no hurry
                sweeps.append(last + self.options.poll_max)
            else:
                sweeps.append(last + self._timer(now - job.attempt.requested_at))
        sweep_at = _gathered(sweeps) if sweeps else last + self.options.poll_max
        if len(self._ticks) == MAX_TICKS_PER_SECOND:
            # A little over a second: the list calls go out a few milliseconds after their ticks, not always alike.
            sweep_at = max(sweep_at, self._ticks[0] + 1.05)
        return sweep_at, min([sweep_at, *directs])

    def _timer(self, age: float) -> float:
        return min(self.options.poll_max, max(self.options.poll_min, 0.1 * age))

    def _expected(self, job: Job) -> Optional[float]:
        return job.target.expected.get(job.scenario.id)

    def _predicted(self, job: Job) -> bool:
        """Whether the job's run is looked at directly when it should end, rather than on the sweeps' timer."""
        return (job.state in (JobState.TRIGGERED, JobState.RUNNING) and job.attempt is not None
                and job.attempt.next_look > 0)

    def _due(self, job: Job, now: float, sweep: bool) -> bool:
        """Whether to look at the job in this tick: on a sweep, every job whose run is not predicted, or that the
        list shows stopped; a predicted run when its look is due. A run requested in this very tick is looked at
        from the next one on: DSS has hardly started it."""
        if job.attempt is not None and job.attempt.requested_at >= now:
            return False
        if self._predicted(job):
            # On a sweep too when the list shows the scenario stopped, or when the run was last looked at long ago
            # (someone may have started the scenario again right after our run ended).
            last_look = job.attempt.last_refresh or job.attempt.requested_at
            return now >= job.attempt.next_look or (sweep and (
                self._is_running(job) is False or now - last_look >= DIRECT_REFRESH_SECONDS))
        return sweep

    # -- one tick -----------------------------------------------------------------------------------------------

    def _tick(self, deadline: Optional[float], sweep: bool) -> bool:
        """A sweep reads each project's scenario list and looks at every job; between sweeps, a tick looks only at
        the runs due to end, directly."""
        try:
            if sweep:
                self._sweep()
            now = time.monotonic()
            if deadline is not None and now > deadline and not self._stop_reason:
                self._deadline_exceeded = True
                self._stop("the step deadline of %.0fs passed" % self.options.deadline)
            for job in self.jobs:
                was_in_flight = job.state in IN_FLIGHT
                if self._due(job, now, sweep):
                    self._advance(job, now)
                else:
                    self._check_timeout(job, now)
                if was_in_flight and job.state not in IN_FLIGHT:
                    self._launch()  # a slot is free: fill it before looking at the other runs
            self._launch()
        except Exception as error:  # noqa: BLE001 - the classifier decides; what it does not know is raised
            if classify(error) is None:
                raise
            self._on_poll_error(error)
            return False
        self._poll_failing_since = None
        return True

    def _on_poll_error(self, error):
        where = ", ".join(sorted({"project %s on %s" % (t.project_key, t.node) for t in self.targets}))
        what = "Following the test runs of %s" % where
        if classify(error) is Kind.REFUSED:
            raise PluginError(describe_call_error(error, what, "DSS")) from error
        now = time.monotonic()
        if self._poll_failing_since is None:
            self._poll_failing_since = now
        log.warning("DSS did not answer while following the test runs (%s); trying again.", error)
        if now - self._poll_failing_since > self.options.poll_budget:
            raise PluginError(
                "DSS kept failing for %.0fs while the step followed the test runs of %s (%s). Check that the node is "
                "up, or raise 'Retry budget per call', then run the step again."
                % (self.options.poll_budget, where, error)) from error

    def _sweep(self):
        """One scenario-list call per target that has runs to follow or launch (none on the first tick for a target
        whose list was just read to find its scenarios)."""
        first = not self._running_by_target
        for index, target in enumerate(self.targets):
            active = [j for j in self.jobs if j.target is target and (j.state in IN_FLIGHT or
                                                                       j.state == JobState.PENDING)]
            if not active:
                continue
            if first and target.listed_running is not None and time.monotonic() - target.listed_at < LISTED_FRESH:
                self._running_by_target[index] = dict(target.listed_running)
                # That read was this sweep's list call: the tick rate counts it from when it was made.
                self._ticks[-1] = min(self._ticks[-1], target.listed_at)
                continue
            items = list_scenarios(target.client, target.project_key)
            self._running_by_target[index] = {item.id: item.running for item in items}

    def _is_running(self, job: Job) -> Optional[bool]:
        states = self._running_by_target.get(self.targets.index(job.target), {})
        return states.get(job.scenario.id)

    def _advance(self, job: Job, now: float):
        if job.abort is not None and not job.abort.sent:
            self._send_abort(job)
        if job.state == JobState.WAITING_IDLE:
            if self._stop_reason:
                self._finish(job, NOT_RUN, "not started: %s" % self._stop_reason)
            elif not self._is_running(job):
                job.waiting_since = None
                self._trigger(job)
            elif now - job.waiting_since > self.options.scenario_timeout:
                self._conclude(job, NOT_RUN, "still running after %.0fs, started by someone else; not run"
                               % self.options.scenario_timeout)
        elif job.state == JobState.REQUESTED:
            self._look_for_run(job, now)
        elif job.state == JobState.TRIGGERED or (job.state == JobState.ABORTING and job.run is None):
            self._follow_request(job, now)
        elif job.state in (JobState.RUNNING, JobState.ABORTING):
            self._follow_run(job, now)
        if self._predicted(job) and now >= job.attempt.next_look:
            # Looked at when it should have ended, and still running: again soon, twice, then on the sweeps.
            attempt = job.attempt
            attempt.overdue_looks += 1
            attempt.next_look = (now + OVERDUE_MIN_SECONDS * attempt.overdue_looks
                                 if attempt.overdue_looks <= OVERDUE_LOOKS else 0.0)

    def _launch(self):
        for target in self.targets:
            in_flight = sum(1 for j in self.jobs if j.target is target and j.state in IN_FLIGHT)
            for job in [j for j in self.jobs if j.target is target and j.state == JobState.PENDING]:
                if self._stop_reason:
                    self._finish(job, NOT_RUN, "not started: %s" % self._stop_reason)
                    continue
                if in_flight >= self.options.parallelism:
                    break
                in_flight += 1
                if self._is_running(job):
                    self._handle_already_running(job)
                else:
                    self._trigger(job)

    # -- transitions ----------------------------------------------------------------------------------------------

    def _handle_already_running(self, job: Job):
        policy = self.options.if_running
        if policy == IF_RUNNING_FAIL:
            self._conclude(job, NOT_RUN, "it was already running, started by someone else (policy: fail)")
            return
        if policy == IF_RUNNING_ABORT:
            log.info("%s is already running, started by someone else: aborting that run (policy: abort).", job.label)
            job.handle.abort()
        else:
            log.info("%s is already running, started by someone else: waiting for it to end (policy: wait).",
                     job.label)
        job.move(JobState.WAITING_IDLE)
        if job.waiting_since is None:
            job.waiting_since = time.monotonic()

    def _trigger(self, job: Job):
        now = time.monotonic()
        job.attempt = Attempt(requested_at=now, requested_epoch_ms=int(time.time() * 1000),
                              look_until=now + RECONCILE_SECONDS)
        # From here on a run may exist: if the step is aborted before the answer arrives, the cleanup must abort it.
        job.move(JobState.REQUESTED)
        try:
            job.attempt.request = job.handle.request_run()
        except StepInterrupted:
            # Raised from the transport's sleep between attempts: a run request is only sent again after an answer
            # that it was not done, so this one started nothing.
            job.move(JobState.PENDING)
            raise
        except Exception as error:  # noqa: BLE001 - the classifier decides; what it does not know is raised
            kind = classify(error)
            if kind is Kind.UNKNOWN:
                # The request may have started a run: look for it rather than start a second one.
                if job.unanswered_since is None:
                    job.unanswered_since = now
                log.warning("The run request for %s got no clear answer (%s): checking whether DSS started it "
                            "anyway.", job.label, error)
                return
            if kind is None:
                raise
            job.move(JobState.PENDING)  # refused, or never reached DSS within the budget: nothing started
            what = "Starting test scenario %s" % job.label
            message = describe_call_error(error, what, job.target.node) if kind is Kind.REFUSED else None
            raise PluginError(message or describe_unanswered(error, what, job.target.node)) from error
        self._expect_end(job, time.monotonic())
        job.unanswered_since = None
        job.attempts += 1
        job.move(JobState.TRIGGERED)
        log.info("Started %s (attempt %d).", job.label, job.attempts)

    def _expect_end(self, job: Job, started: float):
        """When the run DSS started at `started` should end, from its scenario's last run, if DSS told it."""
        expected = self._expected(job)
        if expected is not None:
            job.attempt.expected_end = started + expected + END_MARGIN_SECONDS
            job.attempt.next_look = job.attempt.expected_end

    def _look_for_run(self, job: Job, now: float):
        """Adopts the run a lost request started, or asks again once DSS has had time to start it."""
        # [I] A run that started (server clock) at or after our request is ours: the scenario was idle when we
        # asked, and DSS cancels a manual trigger on a running scenario, so nothing else started it meanwhile.
        attempt = job.attempt
        since = attempt.requested_epoch_ms + server_clock_offset_ms(job.target.client) - CLOCK_MARGIN_MS
        for run in job.handle.last_runs(limit=3):
            if run.state.start_ms >= since:
                attempt.run = run
                attempt.last_refresh = now
                job.attempts += 1
                job.unanswered_since = None
                job.move(JobState.RUNNING)
                self._expect_end(job, attempt.requested_at)
                log.info("DSS had started %s (run %s): following that run.", job.label, run.id)
                if self._stop_reason:
                    self._request_abort(job, "aborted: %s" % self._stop_reason)
                return
        if now <= attempt.look_until:
            return
        if self._stop_reason:
            self._finish(job, NOT_RUN, "not started: %s" % self._stop_reason)
        elif now - job.unanswered_since > RECONCILE_SECONDS + self.options.poll_budget:
            job.move(JobState.PENDING)
            raise PluginError("DSS gave no clear answer to the run requests of test scenario %s for %.0fs, and "
                              "started no run. Check that the node is up, or raise 'Retry budget per call', then "
                              "run the step again." % (job.label, now - job.unanswered_since))
        else:
            log.info("DSS did not start %s after the lost request: asking again.", job.label)
            job.move(JobState.PENDING)

    def _follow_request(self, job: Job, now: float):
        """TRIGGERED, or ABORTING before the run exists: waits for the run DSS starts for the request."""
        attempt = job.attempt
        run = attempt.request.run()
        if run is not None:
            attempt.run = run
            attempt.last_refresh = now
            log.info("%s runs as run %s.", job.label, run.id)
            if job.state == JobState.ABORTING:
                # The abort was asked before the run existed: make sure it reaches the run, unless the run has
                # ended already (the scenario may run someone else's run by now).
                if run.state.running:
                    self._send_abort(job)
            else:
                job.move(JobState.RUNNING)
            if not run.state.running:
                # The lookup already shows the run's end: no poll of its own is needed.
                self._take_end(job, run.state, now)
            return
        attempt.polls_without_run += 1
        if attempt.polls_without_run % CANCEL_CHECK_EVERY == 0 and attempt.request.cancelled():
            job.attempts -= 1
            job.cancellations += 1
            if job.abort is not None:
                self._finish(job, NOT_RUN, job.abort.reason)
            elif job.cancellations >= MAX_CANCELLATIONS:
                self._conclude(job, NOT_RUN, "DSS cancelled %d run requests in a row: something else keeps the "
                               "scenario busy" % job.cancellations)
            else:
                log.info("DSS cancelled the run request for %s: the scenario was started by someone else.",
                         job.label)
                self._handle_already_running(job)
        elif job.abort is not None and now - job.abort.since > ABORT_GRACE_SECONDS:
            self._end_attempt(job, ABORTED, "%s; DSS never started the run" % job.abort.reason)
        else:
            self._check_timeout(job, now)

    def _follow_run(self, job: Job, now: float):
        attempt = job.attempt
        if job.state == JobState.ABORTING and now - job.abort.since > ABORT_GRACE_SECONDS:
            self._end_attempt(job, ABORTED, "%s; the abort was requested but DSS did not confirm it within %.0fs"
                              % (job.abort.reason, ABORT_GRACE_SECONDS))
            return
        expected_now = self._predicted(job) and now >= attempt.next_look
        if (not expected_now and self._is_running(job) is not False
                and now - attempt.last_refresh < DIRECT_REFRESH_SECONDS):
            self._check_timeout(job, now)
            return
        state = attempt.run.refresh()
        attempt.last_refresh = now
        if state.running:
            self._check_timeout(job, now)
            return
        self._take_end(job, state, now)

    def _take_end(self, job: Job, state: RunState, now: float):
        """Our run has ended, so the scenario is idle unless someone starts it again: a retry must not be held
        back by a scenario list read before the end."""
        self._running_by_target.setdefault(self.targets.index(job.target), {})[job.scenario.id] = False
        if state.start_ms and state.end_ms:
            job.duration += max(0.0, (state.end_ms - state.start_ms) / 1000.0)
        else:
            job.duration += now - job.attempt.requested_at
        # [U] A finished run without an outcome is no evidence of a pass.
        self._end_attempt(job, state.outcome or UNKNOWN_OUTCOME, job.abort.reason if job.abort is not None else "")

    def _check_timeout(self, job: Job, now: float):
        if job.state not in (JobState.TRIGGERED, JobState.RUNNING):
            return
        if now - job.attempt.requested_at > self.options.scenario_timeout:
            self._request_abort(job, "timed out after %.0fs and was aborted" % self.options.scenario_timeout)

    def _request_abort(self, job: Job, reason: str):
        log.warning("Aborting %s: %s.", job.label, reason)
        job.abort = Abort(reason=reason, since=time.monotonic())
        job.move(JobState.ABORTING)
        self._send_abort(job)

    def _send_abort(self, job: Job):
        """Sends the abort; without a clear answer it is sent again at the next tick (aborting twice is harmless)."""
        try:
            job.handle.abort()
            job.abort.sent = True
        except Exception as error:  # noqa: BLE001 - the classifier decides; what it does not know is raised
            kind = classify(error)
            if kind is None:
                raise
            if kind is Kind.REFUSED:
                log.error("DSS refused to abort %s (%s): abort it by hand in DSS.", job.label, error)
                job.abort.sent = True
            else:
                log.warning("Aborting %s got no clear answer (%s): sending it again.", job.label, error)

    def _end_attempt(self, job: Job, outcome: str, message: str):
        job.attempt_outcomes.append(outcome)
        timed_out = outcome == ABORTED and message.startswith("timed out")
        retryable = outcome == FAILED or timed_out
        if retryable and job.attempts <= self.options.retries and not self._stop_reason:
            log.warning("%s ended %s on attempt %d: retrying.", job.label, outcome, job.attempts)
            job.move(JobState.PENDING)
            job.attempt = None
            job.abort = None
            return
        self._conclude(job, outcome, message)

    def _conclude(self, job: Job, outcome: str, message: str):
        """Records a scenario's final result, and stops everything on a failure under fail-fast."""
        junit_xml = self._fetch_junit(job) if self.options.collect_junit and job.run is not None else None
        self._finish(job, outcome, message)
        job.result.junit_xml = junit_xml
        if job.result.is_failure(self.options.fail_on_warning) and self.options.fail_fast and not self._stop_reason:
            self._stop("fail-fast after %s ended %s" % (job.scenario.id, outcome))

    def _fetch_junit(self, job: Job) -> Optional[bytes]:
        try:
            return job.run.junit_report()
        except Exception as error:  # noqa: BLE001 - a missing report is a warning, whatever DSS answered
            if classify(error) is None and not isinstance(error, ClientError):
                raise
            log.warning("Could not fetch the JUnit report of %s run %s: %s", job.label, job.run.id, error)
            return None

    def _finish(self, job: Job, outcome: str, message: str):
        if outcome in (SUCCESS, WARNING) and job.attempt_outcomes[:-1]:
            message = (message + "; " if message else "") + "flaky: passed on attempt %d after %s" % (
                job.attempts, ", ".join(job.attempt_outcomes[:-1]))
        job.move(JobState.DONE)
        job.result = ScenarioResult(
            scenario_id=job.scenario.id,
            scenario_name=job.scenario.name,
            project_key=job.target.project_key,
            node=job.target.node,
            outcome=outcome,
            attempts=job.attempts,
            duration=job.duration,
            run_id=job.run.id if job.run is not None else None,
            message=message,
            attempt_outcomes=list(job.attempt_outcomes),
            node_key=job.target.node_key,
            node_url=job.target.node_url,
        )
        log.info("%s: %s%s", job.label, outcome, " (%s)" % message if message else "")

    def _stop(self, reason: str):
        """Stops launching runs and aborts the ones in flight (fail-fast or deadline)."""
        self._stop_reason = reason
        log.warning("Stopping: %s. Aborting the runs in flight.", reason)
        for job in self.jobs:
            if job.state in (JobState.TRIGGERED, JobState.RUNNING):
                self._request_abort(job, "aborted: %s" % reason)

    def _abort_in_flight_now(self):
        """Last-chance cleanup when the step itself is interrupted or crashes: abort every run it may have started.

        It runs on the cleanup policy (short, not cut short by the abort that ends the step). Aborting twice is
        harmless, so an abort without a clear answer is sent again a few times. The run of a request whose answer
        was lost may show up late: it is looked for a little longer, and aborted too.
        """
        cleanup = {id(t): for_cleanup(t.client) for t in self.targets}
        started = [job for job in self.jobs if job.state in STARTED]
        for job in started:
            self._final_abort(job, Scenario(cleanup[id(job.target)], job.target.project_key, job.scenario.id))
        unseen = [job for job in started if job.run is None]
        look_until = time.monotonic() + FINAL_LOOK_SECONDS
        while unseen and time.monotonic() < look_until:
            time.sleep(FINAL_ABORT_PAUSE_SECONDS)
            for job in list(unseen):
                handle = Scenario(cleanup[id(job.target)], job.target.project_key, job.scenario.id)
                try:
                    late = self._late_run(job, handle)
                except Exception as error:  # noqa: BLE001 - cleanup must go on for the other runs
                    log.warning("Could not look for the run of %s: %s.", job.label, error)
                    continue
                if late is not None:
                    unseen.remove(job)
                    if late.running:
                        self._final_abort(job, handle)

    def _late_run(self, job: Job, handle: Scenario) -> Optional[RunState]:
        """The run a request of the job started after all, if DSS shows it now."""
        if job.attempt.request is not None:
            run = job.attempt.request.run()  # the request was answered: its trigger fire knows its run
            return run.state if run is not None else None
        since = job.attempt.requested_epoch_ms + server_clock_offset_ms(job.target.client) - CLOCK_MARGIN_MS
        return next((run.state for run in handle.last_runs(limit=3) if run.state.start_ms >= since), None)

    def _final_abort(self, job: Job, handle: Scenario):
        for attempt in range(1, FINAL_ABORT_TRIES + 1):
            try:
                handle.abort()
                log.warning("Aborted %s (run %s), which this step had started.", job.label,
                            job.run.id if job.run is not None else "not seen yet")
                return
            except Exception as error:  # noqa: BLE001 - cleanup must try every run
                if classify(error) is Kind.REFUSED or attempt == FINAL_ABORT_TRIES:
                    log.error("Could not abort %s: %s. Abort it by hand in DSS.", job.label, error)
                    return
                time.sleep(FINAL_ABORT_PAUSE_SECONDS)

    def _report_progress(self):
        if self.on_progress is not None:
            self.on_progress(sum(1 for j in self.jobs if j.state == JobState.DONE), len(self.jobs))


def _gathered(times: List[float]) -> float:
    """The first of the times, put off to the last one that comes within COALESCE_SECONDS of it."""
    first = min(times)
    return max(t for t in times if t <= first + COALESCE_SECONDS)
