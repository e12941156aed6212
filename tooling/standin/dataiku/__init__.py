"""Stand-in for DSS's internal `dataiku` package, for tests and tooling only (never shipped with the plugin).

The real package is not on PyPI and only exists inside a DSS install. This stand-in reproduces the contracts the
plugin relies on (see shared/reference/dss-platform.md §2.3, §2.5, §3.2): same module paths, same environment
variables, same HTTP calls, so a step or macro script runs unchanged against the DSS simulator.
"""

import os

from dataiku import _intercom
from dataiku.managed_folder import Folder

# Lets tooling and tests check which `dataiku` they imported; the real package has no such attribute.
IS_STANDIN = True

__all__ = ["Folder", "api_client", "default_project_key", "IS_STANDIN"]


def api_client():
    """A `dataikuapi.DSSClient` on the local backend, authenticated as the running scenario/macro user.

    Inside DSS (DKU_API_TICKET set) this is exactly
    `DSSClient("http://%s:%s" % (DKU_BACKEND_HOST or "127.0.0.1", DKU_BACKEND_PORT), internal_ticket=ticket)`.
    """
    # Imported here, not at the top, so that `dataiku.customstep` works even where dataikuapi is broken.
    import dataikuapi

    ticket = os.getenv("DKU_API_TICKET")
    url = _intercom.backend_url()
    if ticket is not None:
        return dataikuapi.DSSClient(url, internal_ticket=ticket)
    return dataikuapi.DSSClient(url, api_key=os.environ.get("DKU_API_KEY"))


def default_project_key():
    """The key of the project the code runs in (DKU_CURRENT_PROJECT_KEY)."""
    key = os.getenv("DKU_CURRENT_PROJECT_KEY")
    if not key:
        raise Exception("Default project key is not specified (no DKU_CURRENT_PROJECT_KEY in env)")
    return key
