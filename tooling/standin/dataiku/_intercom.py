"""Backend location and "tintercom" calls, as DSS's `dataiku.core.intercom` does them.

Stand-in only (tests and tooling, never shipped). Real DSS reads the same environment variables; keeping the
lookup in one module means a correction after checking a real instance happens in one place.
"""

import json
import os

import requests

# Same header and base path as DSS 9 `intercom.py` (`get_auth_headers`, `backend_api_post_call`).
TICKET_HEADER = "X-DKU-APITicket"
TINTERCOM_PREFIX = "/dip/api/tintercom/"

# An internal call that hangs must not hang the step forever; DSS sets none, the stand-in is stricter on purpose.
_TIMEOUT_S = 60


class IntercomError(Exception):
    """A tintercom call answered with a non-2xx status."""


def backend_url():
    """Base URL of the backend, built exactly like DSS: http://<DKU_BACKEND_HOST or 127.0.0.1>:<DKU_BACKEND_PORT>."""
    if os.getenv("DKU_API_TICKET") is not None:
        port = os.getenv("DKU_BACKEND_PORT")
        if not port:
            raise IntercomError("DKU_API_TICKET is set but DKU_BACKEND_PORT is not: cannot locate the DSS backend")
        host = os.getenv("DKU_BACKEND_HOST") or "127.0.0.1"
        return f"http://{host}:{port}"
    # Outside DSS the real package falls back to DKU_DSS_URL + DKU_API_KEY (then ~/.dataiku/config.json, which the
    # stand-in skips so that a developer's own config never leaks into tests).
    url = os.getenv("DKU_DSS_URL")
    if url:
        return url.rstrip("/")
    raise IntercomError("No DSS URL or API key found from any location")


def auth():
    """(headers, basic-auth) for a backend call: the ticket header inside DSS, else the API key as basic auth."""
    ticket = os.getenv("DKU_API_TICKET")
    headers = {}
    if ticket is not None:
        headers[TICKET_HEADER] = ticket
        basic = None
    else:
        basic = (os.environ.get("DKU_API_KEY", ""), "")
    if os.getenv("DKU_CALL_ORIGIN"):
        headers["X-DKU-CallOrigin"] = os.environ["DKU_CALL_ORIGIN"]
    return headers, basic


def _error_detail(resp):
    # DSS errors are JSON with detailedMessage/message; fall back to the raw body (clipped, it can be an HTML page).
    try:
        body = resp.json()
    except ValueError:
        return (resp.text or "No details")[:500]
    if isinstance(body, dict):
        return body.get("detailedMessage") or body.get("message") or json.dumps(body)[:500]
    return json.dumps(body)[:500]


def post(path, data=None, err_msg="Call failed"):
    """POST form `data` to tintercom `path`; returns the parsed JSON answer (None for an empty body).

    Raises IntercomError on a non-2xx answer, with the status, the path and DSS's own error message.
    """
    headers, basic = auth()
    url = backend_url() + TINTERCOM_PREFIX + path
    resp = requests.post(url, data=data, headers=headers, auth=basic, timeout=_TIMEOUT_S)
    if not 200 <= resp.status_code < 300:
        raise IntercomError(f"{err_msg}: HTTP {resp.status_code} on {path}: {_error_detail(resp)}")
    # DSS parses the answer as JSON; some void endpoints answer with nothing, which is not an error.
    if not resp.content.strip():
        return None
    return resp.json()
