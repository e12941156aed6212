"""What a DSS line can do, in one place: an option that needs a newer DSS says which version and what to use instead.

[V] Inside DSS the plugin runs with that DSS's own `dataikuapi`: the 13.3 and 14.0 clients have neither
`get_update` nor `run_test_scenarios` on a deployment (checked in the 13.3.3, 14.0.2 and 14.1.4 clients). A DSS
older than its client answers a call it does not have with a page saying the endpoint does not exist.
"""

from dataclasses import dataclass
from typing import Any, Callable, Tuple

from ..errors import PluginError
from .answers import DSSCallError


@dataclass(frozen=True)
class Capability:
    what: str      # what the plugin wants to do, as a user reads it
    call: str      # the method of the DSS client it needs
    since: str     # the first DSS version that has it
    instead: str   # what to do on an older DSS

    def on(self, version: Tuple[int, ...]) -> bool:
        """Whether a DSS of that version (as `version_tuple` reads it) has the capability."""
        return version >= version_tuple(self.since)

    def message(self, subject: str, detail: str = "") -> str:
        return ("%s of %s needs DSS %s or later: this DSS, or the DSS client the plugin runs with, has no such "
                "call%s. %s" % (self.what, subject, self.since, " (%s)" % detail if detail else "", self.instead))


def version_tuple(text: str) -> Tuple[int, ...]:
    """The leading numbers of a DSS version such as "14.1.4" or "13.3.0-beta": (14, 1, 4), (13, 3, 0); () if none."""
    parts = []
    for part in str(text or "").split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


UPDATE_HISTORY = Capability(
    "Reading the update history", "get_update", "14.1",
    "The gate cannot compare the test results with the deployment's last update; set 'Maximum age of the results "
    "(s)' to keep them fresh.")
RUN_THROUGH_DEPLOYER = Capability(
    "Running the test scenarios through the Deployer", "run_test_scenarios", "14.1",
    "Give a 'DSS node' preset for each Automation node of the deployment instead.")


class NotInThisDSS(PluginError):
    """This DSS (or the client it provides) has no call for the capability."""

    def __init__(self, capability: Capability, subject: str, detail: str = ""):
        super().__init__(capability.message(subject, detail))
        self.capability = capability


def call_of(handle: Any, capability: Capability, subject: str) -> Callable[..., Any]:
    """The client's method for `capability`, or NotInThisDSS when this DSS's client has none."""
    method = getattr(handle, capability.call, None)
    if method is None:
        raise NotInThisDSS(capability, subject)
    return method


def lacks_endpoint(error: BaseException) -> bool:
    """Whether DSS answered that the endpoint does not exist (a 404 that is not one of DSS's own errors)."""
    return isinstance(error, DSSCallError) and error.is_not_found and not error.from_dss
