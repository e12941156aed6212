"""Backend location and "tintercom" calls, as DSS's `dataiku.core.intercom` makes them.

Stand-in only (tests and tooling, never shipped). Like the real package: the same environment variables, no timeout
and no retry on any call, and a failure raised as a bare `Exception("<what failed>: <DSS's raw answer as bytes>")`,
with no status and no path. Keeping the lookup in one module means a correction after checking a real instance
happens in one place.
"""

import os

import requests

# Same header and base path as DSS 9 `intercom.py` (`get_auth_headers`, `backend_api_post_call`).
TICKET_HEADER = "X-DKU-APITicket"
TINTERCOM_PREFIX = "/dip/api/tintercom/"


def backend_url():
    """Base URL of the backend, built exactly like DSS: http://<DKU_BACKEND_HOST or 127.0.0.1>:<DKU_BACKEND_PORT>."""
    if os.getenv("DKU_API_TICKET") is not None:
        port = os.getenv("DKU_BACKEND_PORT")
        if not port:
            raise Exception("DKU_API_TICKET is set but DKU_BACKEND_PORT is not: cannot locate the DSS backend")
        host = os.getenv("DKU_BACKEND_HOST") or "127.0.0.1"
        return f"http://{host}:{port}"
    # Outside DSS the real package falls back to DKU_DSS_URL + DKU_API_KEY (then ~/.dataiku/config.json, which the
    # stand-in skips so that a developer's own config never leaks into tests).
    url = os.getenv("DKU_DSS_URL")
    if url:
        return url.rstrip("/")
    raise Exception("No DSS URL or API key found from any location")


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


def _post(path, data=None, params=None, err_msg=None, stream=False):
    headers, basic = auth()
    # No timeout, as the real package: the plugin bounds these calls itself.
    resp = requests.post(backend_url() + TINTERCOM_PREFIX + path, data=data, params=params, headers=headers,  # noqa: S113
                         auth=basic, stream=stream)
    if resp.status_code != 200:
        raise Exception("%s: %s" % (err_msg, resp.content))
    return resp


def json_call(path, data=None, err_msg=None):
    """A call whose answer must be JSON (an empty answer fails, as in the real package)."""
    return _post(path, data=data, err_msg=err_msg).json()


def void_call(path, data=None, params=None, err_msg=None):
    _post(path, data=data, params=params, err_msg=err_msg)


def stream_call(path, data=None, err_msg=None):
    """The raw answer, as a file-like object to read and close."""
    return _post(path, data=data, err_msg=err_msg, stream=True).raw
