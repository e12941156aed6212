"""Calls to DSS's own `dataiku` package (scenario variables, managed folders): bounded in time, retried when they
did not get an answer, and their errors read into a message that names the object.

The scripts pass the package in; nothing here imports it. [V, seen with a real package] Its calls have no timeout
and no retry, and a failure is a bare `Exception("<what failed>: b'<DSS's answer>'")` with no status and no path.
Every call it makes is safe to send again (a read, or a write of the same variables or the same file), so an
attempt that got no answer, or none in time, is sent again within the budget.
"""

import ast
import json
import logging
import re
import threading
import time
from typing import Any, Callable, Optional

import requests
import tenacity

from ..errors import PluginError
from .interrupts import StopSignal
from .transport import TransportPolicy

log = logging.getLogger(__name__)

MAX_DETAIL = 300
# How often a wait for the package's answer looks at the stop flag.
_STOP_CHECK_S = 0.2
_PACKAGE_ERROR = re.compile(r"^(?P<what>.*?): b(?P<quote>['\"])(?P<body>.*)(?P=quote)$", re.S)


class _NoAnswerInTime(Exception):
    """The package's call did not return within the time limit (it has none of its own)."""


def package_error_detail(error: BaseException) -> Optional[str]:
    """DSS's message inside an error the package raised for a DSS answer; None for any other error."""
    if type(error) is not Exception:
        return None
    found = _PACKAGE_ERROR.match(str(error))
    if found is None:
        return None
    quote = found.group("quote")
    try:
        raw = ast.literal_eval("b%s%s%s" % (quote, found.group("body"), quote))
    except Exception:  # noqa: BLE001 - not one bytes literal: shown as the package wrote it
        raw = None
    body = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(error)[len(found.group("what")) + 2:]
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        body = str(parsed.get("detailedMessage") or parsed.get("message") or body)
    # A proxy's HTML page, or a long DSS trace, is cut to what a message can hold.
    text = " ".join(body.split())
    return (text[:MAX_DETAIL] + "...") if len(text) > MAX_DETAIL else (text or "DSS gave no details")


def _within(seconds: float, stop: Optional[StopSignal], call: Callable[..., Any], *args) -> Any:
    """`call(*args)`, or _NoAnswerInTime after `seconds`; StepInterrupted as soon as the stop is requested (the
    call is then left to finish on its own)."""
    outcome = {}

    def work():
        try:
            outcome["value"] = call(*args)
        except BaseException as error:  # noqa: BLE001 - handed over to the caller's thread as is
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    deadline = time.monotonic() + seconds
    while worker.is_alive() and time.monotonic() < deadline:
        if stop is not None:
            stop.check()
        worker.join(min(_STOP_CHECK_S, max(0.0, deadline - time.monotonic())))
    if worker.is_alive():
        raise _NoAnswerInTime()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def package_call(what: str, next_action: str, policy: TransportPolicy, call: Callable[..., Any], *args,
                 stop: Optional[StopSignal] = None) -> Any:
    """Runs a call of the package; any failure becomes a PluginError saying `what` failed and `next_action`.

    An abort ends the wait for the answer; a call made after the abort (setting the variables on the way out) is
    bounded by its time limit only.
    """
    limit = policy.connect_timeout + policy.read_timeout
    if stop is not None and stop.requested:
        stop = None

    def unanswered(error: BaseException) -> bool:
        return isinstance(error, (_NoAnswerInTime, requests.RequestException))

    def before_sleep(state: tenacity.RetryCallState):
        log.warning("%s got no answer (%s); trying again in %.1fs.", what, _describe(state.outcome.exception(), limit),
                    state.upcoming_sleep)

    # The budget is for trying again: a first attempt that used its whole time limit still gets retries.
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(unanswered), reraise=True, before_sleep=before_sleep,
        wait=tenacity.wait_exponential(multiplier=policy.backoff, max=policy.backoff_max),
        stop=tenacity.stop_after_delay(limit + policy.budget),
        sleep=stop.sleep if stop is not None else tenacity.nap.sleep)
    try:
        return retrying(_within, limit, stop, call, *args)
    except Exception as error:  # noqa: BLE001 - every failure of the package gets a message
        raise PluginError("%s failed: %s. %s" % (what, _describe(error, limit), next_action)) from error


def _describe(error: BaseException, limit: float) -> str:
    if isinstance(error, _NoAnswerInTime):
        return "DSS did not answer within %g s" % limit
    detail = package_error_detail(error)
    if detail is not None:
        return "DSS answered: %s" % detail
    if isinstance(error, requests.RequestException):
        return "no answer from DSS (%s)" % type(error).__name__
    return "%s: %s" % (type(error).__name__, error)
