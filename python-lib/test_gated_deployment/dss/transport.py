"""The one transport policy for every DSS client the plugin builds: timeouts, retries, typed errors.

Retries use urllib3's Retry (exponential backoff with jitter, Retry-After honoured) and apply only to calls
that are safe to repeat: idempotent methods, and connection failures that happen before a request is sent.
A POST that fails after it was sent (a run trigger, an update start) is never repeated here; its caller
checks whether the action happened.
"""

import inspect
import logging
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import dataikuapi
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..settings import NodeSettings
from .answers import DSSCallError

log = logging.getLogger(__name__)

# The client type, for the type hints of the layers above (only this layer imports dataikuapi).
DSSClient = dataikuapi.DSSClient

RETRYABLE_STATUSES = frozenset([429, 502, 503, 504])
IDEMPOTENT_METHODS = frozenset(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])


@dataclass(frozen=True)
class TransportPolicy:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 6
    # A read timeout costs a whole read_timeout each time, so fewer of those fit in a budget.
    read_retries: int = 2
    backoff: float = 0.5
    backoff_max: float = 10.0

    @classmethod
    def within(cls, read_timeout: float, budget: float) -> "TransportPolicy":
        """A policy whose retries of one call sleep at most `budget` seconds in all."""
        retries, slept, delay = 0, 0.0, cls.backoff
        while slept + delay <= budget and retries < 50:
            slept += delay
            retries += 1
            delay = min(delay * 2, cls.backoff_max)
        # Dropped connections count as read errors too, so at least two are always retried.
        read_retries = min(retries, max(2, int(budget // read_timeout)))
        return cls(read_timeout=read_timeout, retries=retries, read_retries=read_retries)

    def retry(self) -> Retry:
        options = dict(
            total=self.retries,
            connect=self.retries,
            read=min(self.retries, self.read_retries),
            status=self.retries,
            other=0,
            allowed_methods=IDEMPOTENT_METHODS,
            status_forcelist=RETRYABLE_STATUSES,
            backoff_factor=self.backoff,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        # urllib3 1.26, which some DSS code envs still have, has no backoff_max/backoff_jitter arguments.
        accepted = inspect.signature(Retry.__init__).parameters
        if "backoff_max" in accepted:
            options.update(backoff_max=self.backoff_max, backoff_jitter=self.backoff / 2)
        return Retry(**options)


class PolicySession(requests.Session):
    """A requests session that applies a TransportPolicy and raises DSSCallError on any HTTP error.

    It also keeps how far the server's clock is from ours (from the Date header of its answers), so that times
    DSS reports can be compared with times measured here.
    """

    def __init__(self, policy: TransportPolicy):
        super().__init__()
        self.policy = policy
        self.server_clock_offset_ms = 0
        adapter = HTTPAdapter(max_retries=policy.retry())
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (self.policy.connect_timeout, self.policy.read_timeout)
        response = super().request(method, url, **kwargs)
        self._read_server_clock(response)
        if response.status_code >= 400:
            raise _call_error(method, url, response)
        return response

    def _read_server_clock(self, response):
        try:
            server = parsedate_to_datetime(response.headers["Date"]).timestamp() * 1000
        except (KeyError, TypeError, ValueError, IndexError):
            return
        self.server_clock_offset_ms = int(server - time.time() * 1000)


def server_clock_offset_ms(client) -> int:
    """How far ahead of ours the node's clock is, in ms (to within the Date header's one-second resolution)."""
    return getattr(client._session, "server_clock_offset_ms", 0)


def _call_error(method, url, response):
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error_type = body.get("errorType") or "HTTP %d" % response.status_code
    message = body.get("detailedMessage") or body.get("message") or response.reason or ""
    path = url.split("/dip/publicapi", 1)[-1]
    return DSSCallError(response.status_code, error_type, message, method.upper(), path)


def adopt_policy(client: dataikuapi.DSSClient, policy: TransportPolicy) -> dataikuapi.DSSClient:
    """Moves a client built elsewhere (such as `dataiku.api_client()`) onto the transport policy.

    The client keeps its authentication (basic auth or ticket header), TLS and certificate settings.
    """
    old = client._session
    session = PolicySession(policy)
    session.auth = old.auth
    session.headers.update(old.headers)
    session.verify = old.verify
    session.cert = old.cert
    client._session = session
    return client


def connect_node(node: NodeSettings, policy: TransportPolicy) -> dataikuapi.DSSClient:
    """A client for a node reached through a `dss-node` preset."""
    client = dataikuapi.DSSClient(node.url, api_key=node.api_key)
    adopt_policy(client, policy)
    if not node.verify_tls:
        log.warning("TLS certificate verification is OFF for %s: any certificate is accepted.", node.url)
        client._session.verify = False
    elif node.ca_bundle:
        client._session.verify = node.ca_bundle
    return client
