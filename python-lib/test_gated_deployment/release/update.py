"""Updating a deployment to a bundle: its settings, the update with a deadline, its health, and its abort.

Every action that must not happen twice is sent once. When DSS's answer leaves open whether it was done
(`answers.Kind.UNKNOWN`), the deployment is looked at before anything else is decided (act, then reconcile):
- pointing the settings at the bundle: the settings are read back;
- starting the update: an update of this deployment that still runs (its future), or that started since the
  request (the update history, DSS 14.1+). When neither shows, nothing started and the request is sent again
  within the retry budget; when DSS cannot tell (no history, and the nodes do not run the bundle), nothing more is
  sent and the outcome says what to check;
- aborting the update: its future is read until it no longer runs.
The settings are put back on the bundle the nodes run only once it is known that no update runs with them.
"""

import logging
import time
from dataclasses import dataclass
from typing import Optional, Tuple

from ..dss.answers import DSSCallError, Kind, classify, describe_call_error, describe_unanswered, dss_call
from ..dss.deployments import (
    DeploymentInfo,
    Health,
    SettingsChanged,
    read_deployment,
    read_health,
    read_update_history,
    running_update,
    set_bundle,
    settings_bundle,
    start_update,
)
from ..dss.futures import FutureState, UpdateFuture
from ..dss.interrupts import StopSignal
from ..dss.testing_status import deployment_testing_status
from ..dss.transport import CLOCK_MARGIN_MS, for_cleanup, server_now_ms
from ..errors import PluginError, StepInterrupted

log = logging.getLogger(__name__)

HEALTH_OK = ("HEALTHY",)
HEALTH_ACCEPTED = ("HEALTHY", "WARNING")
# The update's progress is read soon after it starts, then less and less often, up to once a second.
FUTURE_POLL_FIRST_SECONDS = 0.1
FUTURE_POLL_SECONDS = 1.0
CONFLICT_RETRY_SECONDS = 2.0
# How long an aborted update may take to stop before the step says it could not confirm the abort.
ABORT_CONFIRM_SECONDS = 10.0


class UpdateBusy(PluginError):
    """Another update of the deployment is in progress and the policy is not to wait."""


class _NotStarted(Exception):
    """No update started: the settings can be put back."""


class _StartUnknown(Exception):
    """An update may have started, and DSS cannot tell: nothing more may be sent."""


@dataclass(frozen=True)
class UpdateOptions:
    timeout: float = 1800.0
    wait_if_running: bool = True
    reachable_window: float = 0.0
    # How long update requests that got no clear answer, and found to have started nothing, are sent again.
    retry_budget: float = 60.0
    # Save the bundle despite the warnings of the Deployer's Govern check (WARN policy).
    ignore_govern_warnings: bool = False


@dataclass
class UpdateOutcome:
    ok: bool
    health: str
    story: str          # what happened, in one or two sentences
    # False when the deployment's state is not known for sure: nothing may be done to it blindly (no rollback);
    # the story says what to check.
    settled: bool = True
    # True when the deployment is left as it was: the update was aborted and the settings put back.
    unchanged: bool = False


@dataclass
class _Progress:
    """How far the update went, for the cleanup when the step is aborted."""

    sent_at_ms: int = 0                       # server clock; 0 while no update request was sent
    future: Optional[UpdateFuture] = None
    # When the last update in the history started, before ours was asked for (None: no history to read).
    last_before_ms: Optional[int] = None


def update_to(deployer, info: DeploymentInfo, bundle_id: str, options: UpdateOptions, where: str,
              stop: Optional[StopSignal] = None) -> UpdateOutcome:
    """Points the deployment at a bundle, updates it, waits up to the deadline and reads its health.

    `info` must say what the nodes run now: the settings go back to that bundle when no update could start.
    """
    stop = stop or StopSignal()
    deadline = time.monotonic() + options.timeout
    progress = _Progress()
    try:
        _point_at(deployer, info, bundle_id, where, options.ignore_govern_warnings)
        log.info("Deployment %s now points at bundle %s; starting the update.", info.deployment_id, bundle_id)
        progress.last_before_ms = _last_update_start(deployer, info, where)
        final = _follow(_start(deployer, info, bundle_id, options, deadline, where, stop, progress), deployer,
                        info, bundle_id, deadline, where, stop, progress)
    except _NotStarted as error:
        raise PluginError("%s %s" % (error, _put_back(deployer, info, bundle_id, where)[1])) from None
    except _StartUnknown as error:
        return UpdateOutcome(False, "UNKNOWN", str(error), settled=False)
    except SettingsChanged:
        raise  # the settings are someone else's now: nothing of this step's to put back
    except StepInterrupted:
        log.warning("The step was aborted: aborting the update of %s to bundle %s.", info.subject, bundle_id)
        log.warning(_end_after_abort(deployer, info, bundle_id, where, progress)[1])
        raise
    except BaseException:
        if not progress.sent_at_ms:
            # No update started: put the settings back, so that nobody deploys this bundle later by pressing
            # Update without knowing it.
            log.warning(_put_back(deployer, info, bundle_id, where)[1])
        raise
    if final is None:
        settled, story = _end_after_abort(deployer, info, bundle_id, where, progress)
        health = _health(deployer, info, where)
        return UpdateOutcome(False, health.status if health else "UNKNOWN",
                             "The update of %s to bundle %s did not end within %.0fs; %s"
                             % (info.subject, bundle_id, options.timeout, story), settled=settled,
                             unchanged=settled and story.startswith("the update was aborted"))
    _wait_reachable(deployer, info, options.reachable_window, stop)
    health = _health(deployer, info, where)
    status = health.status if health else "UNKNOWN"
    if final.failed or not final.has_result:
        why = ("the update ended in ERROR (%s)" % ("; ".join(final.result_messages) or "no details") if final.failed
               else "the update stopped without a result")
        return UpdateOutcome(False, status, "Deploying bundle %s to %s failed: %s; health is %s."
                             % (bundle_id, info.subject, why, status))
    other = _someone_elses(deployer, info, bundle_id, where)
    if other:
        return UpdateOutcome(False, status, other, settled=False)
    if health is None:
        return UpdateOutcome(False, status, "Bundle %s was deployed to %s, but its health could not be read after "
                             "retrying: check the deployment in the Project Deployer before using it."
                             % (bundle_id, info.subject), settled=False)
    if status not in HEALTH_ACCEPTED:
        return UpdateOutcome(False, status, "After the update to bundle %s, %s is %s%s."
                             % (bundle_id, info.subject, status,
                                ": " + "; ".join(health.messages) if health.messages else ""))
    if status == "WARNING":
        log.warning("%s is in WARNING after the update to bundle %s: %s", info.subject, bundle_id,
                    "; ".join(health.messages) or "no details")
    return UpdateOutcome(True, status, "Deployed bundle %s to %s; health is %s." % (bundle_id, info.subject, status))


def _point_at(deployer, info: DeploymentInfo, bundle_id: str, where: str, ignore_govern_warnings: bool = False):
    """Saves the bundle in the settings, unless someone changed them since `info` was read; when the save got no
    clear answer, the settings are read back."""
    try:
        set_bundle(deployer, info.deployment_id, bundle_id, where, expected=info.settings or None,
                   ignore_govern_warnings=ignore_govern_warnings)
    except PluginError as error:  # a SettingsChanged has no DSS answer behind it: raised as it is
        if classify(error.__cause__) is not Kind.UNKNOWN:
            raise
        if settings_bundle(deployer, info.deployment_id, where) != bundle_id:
            raise
        log.info("Saving the settings of deployment %s got no clear answer, but they point at bundle %s.",
                 info.deployment_id, bundle_id)


def _still_ours(deployer, info: DeploymentInfo, bundle_id: str, where: str):
    """Right before an update starts: its settings still point at our bundle, else someone else pointed them
    elsewhere since the step saved them, and the update would deploy a bundle no gate of this step passed."""
    now = settings_bundle(deployer, info.deployment_id, where)
    if now != bundle_id:
        raise SettingsChanged(
            "After this step pointed %s at bundle %s, someone else pointed it at bundle %s, so no update was started "
            "and their change was kept. Check who changed it and why (the Project Deployer), then run the step "
            "again." % (info.subject, bundle_id, now or "(none)"))


def _start(deployer, info: DeploymentInfo, bundle_id: str, options: UpdateOptions, deadline: float, where: str,
           stop: StopSignal, progress: _Progress) -> FutureState:
    """Starts the update once; returns its first state (or its last one, when it has already ended)."""
    what = "Starting the update of %s to bundle %s" % (info.subject, bundle_id)
    unanswered_since = None
    while True:
        _still_ours(deployer, info, bundle_id, where)
        sent_at_ms = server_now_ms(deployer) - CLOCK_MARGIN_MS
        try:
            progress.sent_at_ms = progress.sent_at_ms or sent_at_ms
            progress.future = start_update(deployer, info.deployment_id)
            return progress.future.first_state
        except Exception as error:  # noqa: BLE001 - the classifier decides; what it does not know is raised
            kind = classify(error)
            if kind is None:
                raise
            if kind is Kind.REFUSED and _busy(error):
                if unanswered_since is not None:
                    # The update that runs may be the one our unanswered request started.
                    found = _find_update(deployer, info, bundle_id, sent_at_ms, where, progress)
                    if found is not None:
                        return found
                    raise _StartUnknown(_cannot_tell(info, bundle_id, "another update runs, and an earlier request "
                                                     "for this one got no clear answer")) from None
                progress.sent_at_ms = 0
                _wait_for_other_update(info, bundle_id, options, deadline, stop, error)
                continue
            if kind is not Kind.UNKNOWN:
                progress.sent_at_ms = 0
                message = describe_call_error(error, what, where) if kind is Kind.REFUSED else None
                raise _NotStarted(message or describe_unanswered(error, what, where)) from None
            log.warning("%s got no clear answer (%s): checking whether it started.", what, error)
            found = _find_update(deployer, info, bundle_id, sent_at_ms, where, progress)
            if found is not None:
                return found
            progress.sent_at_ms = 0
            now = time.monotonic()
            unanswered_since = unanswered_since or now
            if now - unanswered_since > options.retry_budget:
                raise _NotStarted("%s: DSS gave no clear answer for %.0fs, and no update started."
                                  % (what, now - unanswered_since)) from None
            log.info("No update of %s started: sending the request again.", info.subject)
            stop.sleep(FUTURE_POLL_SECONDS)


def _someone_elses(deployer, info: DeploymentInfo, bundle_id: str, where: str) -> str:
    """After an update that ended well, what shows that the deployment is not on our bundle (someone else changed
    it between our last check and the update, or during it); "" when it is, or when it cannot be read (the health
    read that follows then says so)."""
    try:
        after = read_deployment(deployer, info.deployment_id, where)
    except PluginError as error:
        log.warning("%s could not be read after the update: %s", info.subject, error)
        return ""
    runs = after.nodes_bundle_id
    if (not runs or runs == bundle_id) and after.bundle_id == bundle_id:
        return ""
    return ("The update of %s ended, but its Automation node(s) run bundle %s and its settings ask for bundle %s, "
            "not bundle %s: someone else changed the deployment during this step's update. It was not rolled back; "
            "check it in the Project Deployer." % (info.subject, runs or "(not said)", after.bundle_id, bundle_id))


def _busy(error) -> bool:
    # [I] DSS refuses a second update of a deployment while one runs (409 or 400 "already").
    return isinstance(error, DSSCallError) and (
        error.status == 409 or (error.status == 400 and "already" in str(error).lower()))


def _wait_for_other_update(info, bundle_id, options, deadline, stop, error):
    if not options.wait_if_running:
        raise UpdateBusy("Another update of %s is in progress, so bundle %s was not deployed. Wait for it to end, or "
                         "choose to wait in 'If an update is already running'." % (info.subject, bundle_id)) from error
    if time.monotonic() > deadline:
        raise _NotStarted("Another update of %s was still in progress at the deadline; bundle %s was not deployed."
                          % (info.subject, bundle_id)) from None
    log.info("Another update of %s is in progress: waiting for it to end before deploying bundle %s.",
             info.subject, bundle_id)
    stop.sleep(CONFLICT_RETRY_SECONDS)


class _Found:
    """What looking for an update found: a future to follow, or the end state of an update already over."""

    def __init__(self, future: Optional[UpdateFuture] = None, ended: Optional[FutureState] = None):
        self.future = future
        self.ended = ended


def _look(deployer, info: DeploymentInfo, bundle_id: str, since_ms: int, where: str,
          progress: _Progress) -> Optional[_Found]:
    """The update of the deployment asked for since `since_ms`: still running, or ended; None when it is known
    that none started. Raises _StartUnknown when DSS cannot tell."""
    what = "Looking for the update of %s" % info.subject
    try:
        future = dss_call(what, where, running_update, deployer, info.deployment_id, since_ms)
        if future is not None:
            return _Found(future=future)
        history = dss_call(what, where, read_update_history, deployer, info.deployment_id)
        last = history.last
        if last is not None and _is_new(last.start_ms, since_ms, progress):
            if not last.end_ms:
                raise _StartUnknown(_cannot_tell(info, bundle_id, "an update started and has not ended, and DSS "
                                                 "gives no handle to follow it"))
            return _Found(ended=FutureState.ended(last.status))
        if history.available:
            return None
        # [I] Before DSS 14.1 there is no history: a quick update may have come and gone. Only a bundle DSS says
        # the nodes run proves it did; the settings' bundle is the one just written.
        if bundle_id != info.running_bundle_id and read_deployment(deployer, info.deployment_id,
                                                                   where).nodes_bundle_id == bundle_id:
            return _Found(ended=FutureState.ended("SUCCESS"))
        reason = "this DSS keeps no update history, and does not say the nodes run bundle %s" % bundle_id
    except PluginError as error:
        reason = str(error)
    raise _StartUnknown(_cannot_tell(info, bundle_id, reason))


def _cannot_tell(info: DeploymentInfo, bundle_id: str, reason: str) -> str:
    return ("Whether the update of %s to bundle %s started, or how it ended, cannot be told (%s). The deployment's "
            "settings point at bundle %s: it may be OUT_OF_SYNC. Check it in the Project Deployer, then update it or "
            "point it back at bundle %s." % (info.subject, bundle_id, reason, bundle_id,
                                             info.running_bundle_id or "the one it ran"))


def _find_update(deployer, info: DeploymentInfo, bundle_id: str, since_ms: int, where: str,
                 progress: _Progress) -> Optional[FutureState]:
    """The state of the update a request with no clear answer started, or None when it is known none did."""
    found = _look(deployer, info, bundle_id, since_ms, where, progress)
    if found is None:
        return None
    if found.future is not None:
        progress.future = found.future
        log.info("DSS had started the update of %s to bundle %s: following it.", info.subject, bundle_id)
        return found.future.first_state
    log.info("DSS had started the update of %s to bundle %s, and it has ended (%s).", info.subject, bundle_id,
             found.ended.result_status)
    return found.ended


def _last_update_start(deployer, info: DeploymentInfo, where: str) -> Optional[int]:
    """When the last update in the history started (0: none yet), or None when there is no history to read."""
    try:
        history = dss_call("Reading the update history of %s" % info.subject, where, read_update_history, deployer,
                           info.deployment_id)
    except PluginError as error:
        log.info("The update history of %s could not be read before the update (%s).", info.subject, error)
        return None
    if not history.available:
        return None
    return history.last.start_ms if history.last is not None else 0


def _is_new(start_ms: int, since_ms: int, progress: _Progress) -> bool:
    """Whether a history entry is the update asked for: newer than the last one before, else (no history read
    before) started since the request."""
    if progress.last_before_ms is not None:
        return start_ms > progress.last_before_ms
    return start_ms >= since_ms


def _follow(state: FutureState, deployer, info: DeploymentInfo, bundle_id: str, deadline: float, where: str,
            stop: StopSignal, progress: _Progress) -> Optional[FutureState]:
    """Follows the update to its end; None when the deadline passes first."""
    interval = FUTURE_POLL_FIRST_SECONDS
    while True:
        if state.unknown:
            state = _lost(deployer, info, bundle_id, progress, where)
            continue
        if state.has_result or state.alive is False or progress.future is None:
            return state
        if time.monotonic() > deadline:
            return None
        stop.sleep(interval)
        interval = min(FUTURE_POLL_SECONDS, interval * 2)
        try:
            state = progress.future.poll()
        except Exception as error:  # noqa: BLE001 - the classifier decides; what it does not know is raised
            kind = classify(error)
            if kind is None:
                raise
            if kind is Kind.REFUSED:
                # [V] DSS's own UI takes an HTTP error on a future's poll as the task failing (FutureWatcher). It
                # may only be the poll that failed: look at the update first.
                found = _look(deployer, info, bundle_id, progress.sent_at_ms, where, progress)
                if found is not None and found.future is not None:
                    log.warning("DSS answered the progress of the update of %s with %s, but the update still runs: "
                                "following it.", info.subject, error)
                    progress.future = found.future
                    continue
                if found is not None:
                    return found.ended
                return FutureState(has_result=True, alive=False, result_status="ERROR",
                                   result_messages=["DSS answered the update's progress with %s" % error])
            log.warning("Following the update of %s failed for now (%s): trying again.", info.subject, error)


def _lost(deployer, info: DeploymentInfo, bundle_id: str, progress: _Progress, where: str) -> FutureState:
    """The end of an update whose future DSS no longer knows, from the update history or the nodes."""
    log.warning("DSS lost track of the update of %s (its future answers 'unknown'): looking at the deployment.",
                info.subject)
    found = _look(deployer, info, bundle_id, progress.sent_at_ms, where, progress)
    if found is not None and found.future is not None:
        progress.future = found.future
        return found.future.first_state
    if found is not None:
        return found.ended
    if read_deployment(deployer, info.deployment_id, where).nodes_bundle_id == bundle_id:
        return FutureState.ended("SUCCESS")
    return FutureState(has_result=True, alive=False, result_status="ERROR", result_messages=[
        "DSS lost track of the update (its future answers 'unknown') and nothing shows how it ended"])


def _end_after_abort(deployer, info: DeploymentInfo, bundle_id: str, where: str,
                     progress: _Progress) -> Tuple[bool, str]:
    """Aborts the update the step may have started, confirms it stopped, and says what the deployment is left on:
    (whether that is known for sure, the sentence).

    It runs on the cleanup policy: the step's own abort must not cut it short.
    """
    cleanup = for_cleanup(deployer)
    future = progress.future
    if future is None and progress.sent_at_ms:
        try:
            found = _look(cleanup, info, bundle_id, progress.sent_at_ms, where, progress)
        except _StartUnknown as error:
            return False, str(error)
        if found is not None and found.ended is not None:
            if found.ended.failed:
                return _put_back(cleanup, info, bundle_id, where)
            return True, "the update had already ended before the abort: %s runs bundle %s." % (info.subject,
                                                                                                bundle_id)
        future = found.future if found is not None else None
    if future is None:
        return _put_back(cleanup, info, bundle_id, where)
    future = future.on(cleanup)
    try:
        future.abort()
    except Exception as error:  # noqa: BLE001 - the abort is confirmed below, whatever this answer was
        log.warning("Aborting the update of %s got no clear answer (%s).", info.subject, error)
    until = time.monotonic() + ABORT_CONFIRM_SECONDS
    while time.monotonic() < until:
        try:
            state = future.poll()
        except Exception as error:  # noqa: BLE001 - whatever the poll answered, the futures list tells
            if classify(error) is Kind.REFUSED and not _still_runs(cleanup, info, progress):
                break
            time.sleep(0.5)
            continue
        if state.has_result and not state.failed:
            return True, "the update had already ended before the abort: %s runs bundle %s." % (info.subject,
                                                                                                  bundle_id)
        if state.has_result or state.alive is False or state.unknown:
            break
        time.sleep(0.5)
    else:
        return False, ("the update was aborted, but DSS did not confirm that it stopped within %.0fs: check %s in "
                       "the Project Deployer; its settings point at bundle %s and it may be OUT_OF_SYNC."
                       % (ABORT_CONFIRM_SECONDS, info.subject, bundle_id))
    settled, story = _put_back(cleanup, info, bundle_id, where)
    return settled, "the update was aborted. " + story


def _still_runs(deployer, info: DeploymentInfo, progress: _Progress) -> bool:
    try:
        return running_update(deployer, info.deployment_id, progress.sent_at_ms) is not None
    except Exception as error:  # noqa: BLE001 - when it cannot be told, it may still run
        log.warning("Whether the update of %s still runs could not be read: %s.", info.subject, error)
        return True


def _put_back(deployer, info: DeploymentInfo, ours: str, where: str) -> Tuple[bool, str]:
    """Points the settings back at the bundle the nodes ran, if they still point at `ours`: (whether the
    deployment's state is known, the sentence). A bundle someone else has set since is left as they set it.

    The save ignores the Deployer's Govern warnings: it only puts back the bundle the nodes already run.
    """
    previous = info.running_bundle_id or info.bundle_id
    try:
        now = settings_bundle(deployer, info.deployment_id, where)
        if now == previous:
            return True, "The settings of %s point at bundle %s, the bundle its nodes run." % (info.subject, previous)
        if now != ours:
            return False, ("The settings of %s point at bundle %s, which someone else set after this step pointed "
                           "them at bundle %s: they were left so, while its nodes run bundle %s. Check with whoever "
                           "changed them." % (info.subject, now or "(none)", ours, previous))
        set_bundle(deployer, info.deployment_id, previous, where, ignore_govern_warnings=True)
    except PluginError as error:
        return False, ("Its settings could not be pointed back at bundle %s (%s): %s may be OUT_OF_SYNC; point it "
                       "back at bundle %s in the Project Deployer." % (previous, error, info.subject, previous))
    return True, "The settings of %s point at bundle %s again, the bundle its nodes run." % (info.subject, previous)


def _wait_reachable(deployer, info: DeploymentInfo, window: float, stop: StopSignal):
    """After an update, Automation nodes may restart: wait until the Deployer reaches them again."""
    if window <= 0:
        return
    until = time.monotonic() + window
    while True:
        try:
            for node in info.nodes:
                deployment_testing_status(deployer, info.deployment_id, info.bundle_id, node.node_id)
            return
        except Exception as error:  # noqa: BLE001 - the classifier decides; what it does not know is raised
            kind = classify(error)
            if kind is None:
                raise
            if kind is Kind.REFUSED:
                return
            if time.monotonic() > until:
                log.warning("The Automation node(s) of %s were still unreachable %.0fs after the update (%s).",
                            info.subject, window, error)
                return
            log.info("Waiting for the Automation node(s) of %s to come back after the update (%s).",
                     info.subject, error)
            stop.sleep(1.0)


def _health(deployer, info: DeploymentInfo, where: str) -> Optional[Health]:
    """The health after the update, or None when it could not be read even after retrying."""
    try:
        return read_health(deployer, info.deployment_id, where)
    except PluginError as error:
        log.warning("The health of %s could not be read: %s", info.subject, error)
        return None


def is_in_place(deployer, info: DeploymentInfo, bundle_id: str, where: str) -> Optional[str]:
    """The health when the deployment already runs this bundle and is healthy, else None."""
    if info.running_bundle_id != bundle_id or info.bundle_id != bundle_id:
        return None
    health = read_health(deployer, info.deployment_id, where).status
    return health if health in HEALTH_OK else None
