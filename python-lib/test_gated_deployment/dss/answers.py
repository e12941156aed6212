"""What DSS answered, and what it means: the one classifier of every DSS answer and failure.

- REFUSED: DSS answered with an error of its own (a JSON body with `errorType`, or a page saying the endpoint does
  not exist), or the node's certificate was refused. Nothing was done and asking again changes nothing: fail now,
  naming the object. A DSS error of 500 or more to an action is not one of these: DSS may have acted before it
  failed, so it is UNKNOWN.
- NOT_DONE: the request did not reach DSS (the connection could not be made), or DSS asked to come back later
  (429). Nothing was done: sending it again is safe.
- UNKNOWN: DSS may have done it: a proxy's 5xx page, a connection dropped or timed out after the request was sent, a
  cut-off or unreadable body. A read is simply sent again; an action must look before deciding whether to send it
  again (act, then reconcile).
"""

import enum
import json
import ssl
from typing import Optional

import requests
import urllib3.exceptions
from dataikuapi.utils import DataikuException

from ..errors import PluginError

# The client's own exception type: it raises it for some answers it cannot use, and DSSCallError subclasses it.
ClientError = DataikuException


class Kind(enum.Enum):
    REFUSED = "refused"
    NOT_DONE = "not done"
    UNKNOWN = "unknown"


class DSSCallError(DataikuException):
    """An HTTP error status, with what came with it: DSS's own error (`from_dss`) or another page (a proxy's)."""

    def __init__(self, status, error_type, message, method, path, from_dss=False, retry_after=None):
        super().__init__("%s: %s" % (error_type, message))
        self.status = status
        self.error_type = error_type
        self.detail = message
        self.method = method
        self.path = path
        self.from_dss = from_dss
        self.retry_after = retry_after

    @property
    def is_not_found(self):
        return self.status == 404

    @property
    def is_permission_denied(self):
        return self.status in (401, 403)


class GarbledAnswer(requests.RequestException):
    """A success status whose body cannot be read: cut off, not the JSON it says it is, or a proxy's HTML page."""

    def __init__(self, method: str, path: str, why: str):
        super().__init__("%s %s: DSS's answer is unreadable (%s)" % (method, path, why))
        self.method = method
        self.path = path
        self.why = why


_NEVER_CONNECTED = (urllib3.exceptions.NewConnectionError, ConnectionRefusedError)
IDEMPOTENT_METHODS = frozenset(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
# Calls sent as POST that only read [V]: Govern's artifact search (GovernArtifactSearchRequest.fetch_next_batch).
READING_POSTS = ("/artifacts/search",)


def repeatable(method: Optional[str], path: Optional[str]) -> bool:
    """Whether sending a call again cannot do anything twice."""
    method = (method or "").upper()
    return method in IDEMPOTENT_METHODS or (method == "POST" and (path or "").split("?")[0].endswith(READING_POSTS))


def _caused_by(error: BaseException, kinds) -> bool:
    """Whether `error`, or an error it wraps, is one of `kinds`."""
    seen = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds):
            return True
        pending.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        for linked in (getattr(current, "reason", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return False


def classify(error: BaseException) -> Optional[Kind]:
    """What a failed DSS call means, or None when the error is not about a DSS answer at all."""
    if isinstance(error, DSSCallError):
        if error.status == 429:
            return Kind.NOT_DONE
        if error.status < 500 or (error.from_dss and repeatable(error.method, error.path)):
            return Kind.REFUSED
        return Kind.UNKNOWN
    if isinstance(error, requests.exceptions.SSLError) and _caused_by(error, (ssl.SSLCertVerificationError,)):
        return Kind.REFUSED
    if isinstance(error, (requests.ConnectionError, requests.Timeout)):
        if isinstance(error, requests.ConnectTimeout) or _caused_by(error, _NEVER_CONNECTED):
            return Kind.NOT_DONE
        return Kind.UNKNOWN
    if isinstance(error, (requests.RequestException, json.JSONDecodeError)):
        # Cut-off bodies, content that does not decode, JSON that does not parse.
        return Kind.UNKNOWN
    return None


def describe_call_error(error: BaseException, what: str, node_label: str) -> Optional[str]:
    """A user-facing sentence for a REFUSED answer about `what` on `node_label`, or None for the other kinds."""
    if classify(error) is not Kind.REFUSED:
        return None
    if isinstance(error, requests.exceptions.SSLError):
        return ("%s: the TLS connection to %s failed (%s). Check the node's certificate, or give its CA bundle in "
                "its preset." % (what, node_label, error))
    if error.status == 401:
        return "%s: the API key was refused by %s (401). Check the key in its preset." % (what, node_label)
    if error.status == 403:
        return (
            "%s: permission denied on %s (403: %s). Give the scenario's run-as user (or the preset's API key) "
            "the needed rights on it." % (what, node_label, error.detail)
        )
    if error.status == 404:
        return "%s: not found on %s (404: %s). Check the id." % (what, node_label, error.detail)
    return ("%s: %s refused it (HTTP %d, %s). Check the node's backend log for this error, then run it again."
            % (what, node_label, error.status, error))


def describe_unanswered(error: BaseException, what: str, node_label: str) -> str:
    """A user-facing sentence for a call that still failed after the retry budget."""
    request = getattr(error, "request", None)
    method = getattr(error, "method", None) or getattr(request, "method", None)
    path = getattr(error, "path", None) or getattr(request, "url", None)
    if classify(error) is Kind.UNKNOWN and method and not repeatable(method, path):
        return ("%s: %s gave no clear answer (%s), so it may have been done. Check there whether it was before "
                "running it again." % (what, node_label, error))
    if isinstance(error, (GarbledAnswer, json.JSONDecodeError)):
        return ("%s: %s answered something that is not JSON (%s), even after retrying within the retry budget: a "
                "proxy may be answering in its place. Check the URL and the proxy, then run it again."
                % (what, node_label, getattr(error, "why", error)))
    if isinstance(error, DSSCallError):
        return ("%s: %s answered HTTP %d (%s), even after retrying within the retry budget. Check that the node is "
                "up, or raise 'Retry budget per call', then run it again." % (what, node_label, error.status,
                                                                            error.error_type))
    return ("%s: %s could not be reached (%s), even after retrying within the retry budget. Check that the node is "
            "up and reachable, or raise 'Retry budget per call', then run it again." % (what, node_label, error))


def dss_call(what: str, where: str, call, *args, **kwargs):
    """Runs a DSS call that the transport has already retried; any failure becomes a message naming the object."""
    try:
        return call(*args, **kwargs)
    except (DSSCallError, requests.RequestException, json.JSONDecodeError) as error:
        kind = classify(error)
        if kind is None:
            raise
        message = describe_call_error(error, what, where) if kind is Kind.REFUSED else None
        raise PluginError(message or describe_unanswered(error, what, where)) from error
