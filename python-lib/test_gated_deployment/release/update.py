"""Updating a deployment to a bundle: wait with a deadline, check health, roll back when asked.

Each function names the deployment and bundle in what it logs and raises. The update start (a POST) is never
repeated blindly: a conflict means another update runs, which the caller's policy handles.
"""

import logging
import time
from dataclasses import dataclass
from typing import List, Optional

import requests

from ..dss.answers import DSSCallError
from ..dss.deployments import DeploymentInfo, Health, read_health, set_bundle, start_update
from ..dss.futures import UpdateFuture
from ..dss.interrupts import shielded
from ..dss.testing_status import deployment_testing_status
from ..errors import PluginError, StepInterrupted

log = logging.getLogger(__name__)

HEALTH_OK = ("HEALTHY",)
HEALTH_ACCEPTED = ("HEALTHY", "WARNING")
FUTURE_POLL_SECONDS = 1.0
CONFLICT_RETRY_SECONDS = 2.0


class UpdateBusy(PluginError):
    """Another update of the deployment is in progress and the policy is not to wait."""


class UpdateStartUnknown(PluginError):
    """The request to start an update got no answer: it may or may not have started."""


@dataclass(frozen=True)
class UpdateOptions:
    timeout: float = 1800.0
    wait_if_running: bool = True
    reachable_window: float = 0.0


@dataclass
class UpdateOutcome:
    ok: bool
    health: str
    story: str          # what happened, in one or two sentences


def _start(deployer, info: DeploymentInfo, bundle_id: str, options: UpdateOptions, deadline: float, where: str,
           started: List[UpdateFuture]) -> UpdateFuture:
    """Starts the update; its future also goes into `started`, so that an abort right after still finds it."""
    while True:
        try:
            with shielded():
                started.append(start_update(deployer, info.deployment_id))
            return started[0]
        except (requests.ConnectionError, requests.Timeout) as error:
            # The request may or may not have started the update: it is not sent again blindly.
            raise UpdateStartUnknown(
                "The request to start the update of %s to bundle %s got no answer (%s): the update may or may not "
                "have started. Check the deployment in the Project Deployer, then run the step again."
                % (info.subject, bundle_id, error)) from error
        except DSSCallError as error:
            # [I] DSS refuses a second update of a deployment while one runs (409 or 400 "already").
            busy = error.status == 409 or (error.status == 400 and "already" in str(error).lower())
            if not busy:
                raise PluginError("Starting the update of %s to bundle %s failed on %s: %s"
                                  % (info.subject, bundle_id, where, error)) from error
            if not options.wait_if_running:
                busy_message = ("Another update of %s is in progress, so bundle %s was not deployed. Wait for it to "
                                "end, or choose to wait in 'If an update is already running'.")
                raise UpdateBusy(busy_message % (info.subject, bundle_id)) from error
            if time.monotonic() > deadline:
                raise PluginError("Another update of %s was still in progress at the deadline; bundle %s was not "
                                  "deployed." % (info.subject, bundle_id)) from error
            log.info("Another update of %s is in progress: waiting for it to end before deploying bundle %s.",
                     info.subject, bundle_id)
            time.sleep(CONFLICT_RETRY_SECONDS)


def _wait_future(future: UpdateFuture, info: DeploymentInfo, bundle_id: str, deadline: float):
    """Waits for an update future; returns (finished, failure message or '')."""
    state = future.first_state
    while True:
        if not state.has_result and future.job_id:
            try:
                state = future.poll()
            except (requests.RequestException, DSSCallError) as error:
                if isinstance(error, DSSCallError) and 400 <= error.status < 500 and error.status != 429:
                    # [U] A failed update may surface as an HTTP error on its future.
                    return True, "the update failed: %s" % error
                if time.monotonic() > deadline:
                    return False, ""
                log.warning("Following the update of %s failed for now (%s): trying again.", info.subject, error)
                time.sleep(FUTURE_POLL_SECONDS)
                continue
        if state.has_result:
            if state.result_status == "ERROR":
                return True, "the update ended in ERROR (%s)" % ("; ".join(state.result_messages) or "no details")
            return True, ""
        if state.alive is False:
            # [U] A future that died without a result is a failed update.
            return True, "the update stopped without a result"
        if time.monotonic() > deadline:
            return False, ""
        time.sleep(FUTURE_POLL_SECONDS)


def _wait_reachable(deployer, info: DeploymentInfo, window: float):
    """After an update, Automation nodes may restart: wait until the Deployer reaches them again."""
    if window <= 0:
        return
    stop = time.monotonic() + window
    while True:
        try:
            for node in info.nodes:
                deployment_testing_status(deployer, info.deployment_id, info.bundle_id, node.node_id)
            return
        except (DSSCallError, requests.RequestException) as error:
            if isinstance(error, DSSCallError) and error.status < 500:
                return
            if time.monotonic() > stop:
                log.warning("The Automation node(s) of %s were still unreachable %.0fs after the update (%s).",
                            info.subject, window, error)
                return
            log.info("Waiting for the Automation node(s) of %s to come back after the update (%s).",
                     info.subject, error)
            time.sleep(1.0)


def update_to(deployer, info: DeploymentInfo, bundle_id: str, options: UpdateOptions, where: str) -> UpdateOutcome:
    """Points the deployment at a bundle, updates it, waits up to the deadline and reads its health."""
    deadline = time.monotonic() + options.timeout
    set_bundle(deployer, info.deployment_id, bundle_id, where)
    log.info("Deployment %s now points at bundle %s; starting the update.", info.deployment_id, bundle_id)
    started: List[UpdateFuture] = []
    try:
        future = _start(deployer, info, bundle_id, options, deadline, where, started)
        finished, failure = _wait_future(future, info, bundle_id, deadline)
    except UpdateStartUnknown:
        # An update may be running with these settings: leave them as they are, the message says to check.
        raise
    except StepInterrupted:
        if started:
            log.warning("The step was aborted: aborting the update of %s to bundle %s.", info.subject, bundle_id)
            _abort_future(started[0])
        else:
            _restore_settings(deployer, info, where)
        raise
    except BaseException:
        if not started:
            # No update started: put the settings back, so that nobody deploys this bundle later by pressing
            # Update without knowing it.
            _restore_settings(deployer, info, where)
        raise
    if not finished:
        aborted = _abort_future(future)
        health = _health_or_unknown(deployer, info, where).status
        return UpdateOutcome(False, health, "The update of %s to bundle %s did not end within %.0fs; %s. The "
                             "deployment's settings point at bundle %s and its health is %s."
                             % (info.subject, bundle_id, options.timeout, aborted, bundle_id, health))
    _wait_reachable(deployer, info, options.reachable_window)
    after = _health_or_unknown(deployer, info, where)
    health, messages = after.status, after.messages
    if failure:
        return UpdateOutcome(False, health, "Deploying bundle %s to %s failed: %s; health is %s."
                             % (bundle_id, info.subject, failure, health))
    if health not in HEALTH_ACCEPTED:
        return UpdateOutcome(False, health, "After the update to bundle %s, %s is %s%s."
                             % (bundle_id, info.subject, health, ": " + "; ".join(messages) if messages else ""))
    if health == "WARNING":
        log.warning("%s is in WARNING after the update to bundle %s: %s", info.subject, bundle_id,
                    "; ".join(messages) or "no details")
    return UpdateOutcome(True, health, "Deployed bundle %s to %s; health is %s." % (bundle_id, info.subject, health))


def _restore_settings(deployer, info: DeploymentInfo, where: str):
    try:
        set_bundle(deployer, info.deployment_id, info.bundle_id, where)
    except (PluginError, DSSCallError, requests.RequestException) as error:
        log.error("Could not point %s back at bundle %s (%s): check its settings in the Project Deployer.",
                  info.subject, info.bundle_id, error)


def _abort_future(future) -> str:
    """Aborts an update; says how that went."""
    try:
        future.abort()
        return "the update was aborted"
    except (DSSCallError, requests.RequestException) as error:
        return "aborting the update failed too (%s)" % error


def _health_or_unknown(deployer, info: DeploymentInfo, where: str) -> Health:
    try:
        return read_health(deployer, info.deployment_id, where)
    except (PluginError, requests.RequestException) as error:
        return Health("UNKNOWN", ["health could not be read: %s" % error])


def is_in_place(deployer, info: DeploymentInfo, bundle_id: str, where: str) -> Optional[str]:
    """The health when the deployment already runs this bundle and is healthy, else None."""
    if info.running_bundle_id != bundle_id or info.bundle_id != bundle_id:
        return None
    health = read_health(deployer, info.deployment_id, where).status
    return health if health in HEALTH_OK else None
