"""The one transport policy for every DSS client the plugin builds: timeouts, retries within a time budget, typed
errors, and the server's clock.

Retries follow the classifier of `answers`: a call that did not reach DSS (NOT_DONE) is sent again whatever its
method; a call whose outcome is UNKNOWN is sent again only when it is safe to repeat (GET, PUT, DELETE). A POST
whose outcome is unknown is never repeated here: its caller looks whether the action happened before deciding.
The budget is time: attempts and sleeps since the first attempt count against it, Retry-After is capped by what is
left, and a deadline set on the client (a step's) caps it too. A last attempt may still take up to its own
timeouts. Sleeps wake up at once when the step is aborted.
"""

import copy
import json
import logging
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Optional

import dataikuapi
import requests
import tenacity

from ..settings import NodeSettings
from .answers import DSSCallError, GarbledAnswer, Kind, classify, repeatable
from .interrupts import StopSignal

log = logging.getLogger(__name__)

# The client type, for the type hints of the layers above (only this layer imports dataikuapi).
DSSClient = dataikuapi.DSSClient

# The Date header gives the server's time to the second: clock offsets are known to within that.
DATE_RESOLUTION_MS = 1000
# Margin when comparing a time on a server's clock with the time of a request sent there.
CLOCK_MARGIN_MS = 2 * DATE_RESOLUTION_MS


@dataclass(frozen=True)
class TransportPolicy:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    budget: float = 60.0        # seconds within which a failed call is tried again
    backoff: float = 0.5
    backoff_max: float = 10.0


# The aborts a step sends as it ends: short, and not stopped by the abort that makes the step end.
CLEANUP_POLICY = TransportPolicy(connect_timeout=5.0, read_timeout=10.0, budget=5.0)


class PolicySession(requests.Session):
    """A requests session that applies a TransportPolicy and raises DSSCallError on any HTTP error.

    It also keeps how far the server's clock is from ours (from the Date header of its answers), so that times
    DSS reports can be compared with times measured here.
    """

    def __init__(self, policy: TransportPolicy, stop: Optional[StopSignal] = None):
        super().__init__()
        self.policy = policy
        self.stop = stop
        self.deadline: Optional[float] = None   # monotonic clock: no retry sleeps past it
        self.server_clock_offset_ms = 0

    def request(self, method, url, **kwargs):
        method = method.upper()
        path = url.split("/dip/publicapi", 1)[-1]
        may_repeat = repeatable(method, path)
        streamed = _streamed(kwargs)

        def retryable(error: BaseException) -> bool:
            kind = classify(error)
            return not streamed and (kind is Kind.NOT_DONE or (kind is Kind.UNKNOWN and may_repeat))

        def before_sleep(state: tenacity.RetryCallState):
            log.warning("%s %s failed (%s); trying again in %.1fs.", method, path, state.outcome.exception(),
                        state.upcoming_sleep)

        return self._retrying(retryable, before_sleep)(self._send, method, url, path, may_repeat, kwargs)

    def resend(self, call, kinds, what: str, note: str = ""):
        """`call()`, made again while it fails with one of `kinds`, within the retry budget: for a request whose
        body is a stream the transport cannot send twice, so that each attempt builds its own. `note` is logged
        with each new attempt."""
        def before_sleep(state: tenacity.RetryCallState):
            log.warning("%s failed (%s)%s; trying again in %.1fs.", what, state.outcome.exception(), note,
                        state.upcoming_sleep)

        return self._retrying(lambda e: classify(e) in kinds, before_sleep)(call)

    def _retrying(self, retryable, before_sleep) -> tenacity.Retrying:
        """The policy's retries: backoff capped by the budget and the deadline, sleeps an abort wakes up."""
        return tenacity.Retrying(retry=tenacity.retry_if_exception(retryable), wait=self._wait,
                                 stop=self._out_of_budget, sleep=self._sleep, before_sleep=before_sleep, reraise=True)

    def _send(self, method, url, path, repeatable, kwargs):
        kwargs = dict(kwargs)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (self.policy.connect_timeout, self.policy.read_timeout)
        response = super().request(method, url, **kwargs)
        if repeatable and kwargs.get("stream"):
            # Read now, so that a body cut off on the way is a failure the retries cover (reports are small).
            _ = response.content
        self._read_server_clock(response)
        if response.status_code >= 400:
            raise _call_error(method, path, response)
        _check_readable(method, path, response)
        return response

    def _left(self, state: tenacity.RetryCallState) -> float:
        left = self.policy.budget - (state.seconds_since_start or 0.0)
        if self.deadline is not None:
            left = min(left, self.deadline - time.monotonic())
        return left

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = min(self.policy.backoff_max, self.policy.backoff * 2 ** (state.attempt_number - 1))
        wanted = backoff + random.uniform(0, self.policy.backoff / 2)
        error = state.outcome.exception()
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            wanted = max(wanted, retry_after)
        return max(0.0, min(wanted, self._left(state)))

    def _out_of_budget(self, state: tenacity.RetryCallState) -> bool:
        return self._left(state) <= 0

    def _sleep(self, seconds: float):
        if self.stop is not None:
            self.stop.sleep(seconds)
        else:
            time.sleep(seconds)

    def _read_server_clock(self, response):
        try:
            server = parsedate_to_datetime(response.headers["Date"]).timestamp() * 1000
        except (KeyError, TypeError, ValueError, IndexError):
            return
        # The Date header is cut to the second: the server's time is within the second after it, so take the middle.
        self.server_clock_offset_ms = int(server + DATE_RESOLUTION_MS / 2 - time.time() * 1000)


def _streamed(kwargs) -> bool:
    """Whether the body is read from a stream (an upload: a multipart encoder as `data` in newer clients, a file in
    `files` in older ones), which the first attempt consumes: such a request cannot be sent again as it is."""
    if hasattr(kwargs.get("data"), "read"):
        return True
    files = kwargs.get("files") or {}
    parts = files.values() if isinstance(files, dict) else [part for _, part in files]
    return any(hasattr(part[1] if isinstance(part, tuple) else part, "read") for part in parts)


def _retry_after(response) -> Optional[float]:
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _call_error(method, path, response):
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    from_dss = bool(body.get("errorType"))
    error_type = body.get("errorType") or "HTTP %d" % response.status_code
    message = body.get("detailedMessage") or body.get("message") or response.reason or ""
    return DSSCallError(response.status_code, error_type, message, method, path, from_dss=from_dss,
                        retry_after=_retry_after(response))


def _check_readable(method, path, response):
    """A success whose body is not what it says it is was not answered by DSS, or not fully."""
    content_type = (response.headers.get("Content-Type") or "").lower()
    if "json" in content_type and response.content:
        try:
            json.loads(response.content)
        except ValueError as error:
            raise GarbledAnswer(method, path, "a JSON body that does not parse: %s" % error) from None
    elif "text/html" in content_type and "html" not in path:
        # [I] DSS's public API answers no successful call with an HTML page but its HTML reports.
        raise GarbledAnswer(method, path, "an HTML page, not DSS's answer")


def server_clock_offset_ms(client) -> int:
    """How far ahead of ours the node's clock is, in ms (to within the Date header's one-second resolution)."""
    return getattr(client._session, "server_clock_offset_ms", 0)


def server_now_ms(client) -> int:
    """Now, on the node's clock."""
    return int(time.time() * 1000) + server_clock_offset_ms(client)


def clock_shift_ms(source, reference) -> int:
    """What to add to a time on `source`'s clock to put it on `reference`'s; 0 when the two clocks agree to within
    what the Date headers can tell."""
    shift = server_clock_offset_ms(reference) - server_clock_offset_ms(source)
    return shift if abs(shift) > 2 * DATE_RESOLUTION_MS else 0


def resend(client, call, kinds, what: str, note: str = ""):
    """`call()` on `client`, made again while it fails with one of `kinds` (see PolicySession.resend)."""
    return client._session.resend(call, kinds, what, note)


def limit_retries(client, deadline: Optional[float]):
    """No retry of this client's calls sleeps past `deadline` (monotonic clock); None lifts the limit."""
    client._session.deadline = deadline


def adopt_policy(client: DSSClient, policy: TransportPolicy, stop: Optional[StopSignal] = None) -> DSSClient:
    """Moves a client built elsewhere (such as `dataiku.api_client()`) onto the transport policy.

    The client keeps its authentication (basic auth or ticket header), TLS and certificate settings.
    """
    old = client._session
    session = PolicySession(policy, stop)
    session.auth = old.auth
    session.headers.update(old.headers)
    session.verify = old.verify
    session.cert = old.cert
    session.server_clock_offset_ms = getattr(old, "server_clock_offset_ms", 0)
    client._session = session
    return client


def for_cleanup(client: DSSClient) -> DSSClient:
    """The same client on the cleanup policy: what a step sends as it ends is not cut short by its own abort."""
    return adopt_policy(copy.copy(client), CLEANUP_POLICY)


def connect_node(node: NodeSettings, policy: TransportPolicy, stop: Optional[StopSignal] = None) -> DSSClient:
    """A client for a node reached through a `dss-node` preset."""
    return connect_with_policy(dataikuapi.DSSClient(node.url, api_key=node.api_key), node, policy, stop)


def connect_with_policy(client, node: NodeSettings, policy: TransportPolicy, stop: Optional[StopSignal] = None):
    """`client` (a DSS or Govern client built for `node`) on the transport policy, with the preset's TLS settings."""
    adopt_policy(client, policy, stop)
    if not node.verify_tls:
        log.warning("TLS certificate verification is OFF for %s: any certificate is accepted.", node.url)
        client._session.verify = False
    elif node.ca_bundle:
        client._session.verify = node.ca_bundle
    return client
