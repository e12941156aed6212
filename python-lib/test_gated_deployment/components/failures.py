"""The one sentence a step or macro shows when it fails, whatever the failure."""

import logging

import requests

from ..dss.answers import DSSCallError, describe_call_error
from ..errors import PluginError, StepInterrupted

log = logging.getLogger("test_gated_deployment")


def describe_failure(error: BaseException, component: str) -> str:
    """What went wrong and what to do next; `component` is "step" or "macro"."""
    if isinstance(error, PluginError):
        return str(error)
    if isinstance(error, StepInterrupted):
        return ("The %s was aborted. Every test run and update it had started was aborted too (see the log above)."
                % component)
    if isinstance(error, requests.RequestException):
        return ("DSS could not be reached (%s), even after retrying within the retry budget. Check that the node is "
                "up and reachable, or raise 'Retry budget per call', then run the %s again." % (error, component))
    if isinstance(error, DSSCallError):
        permanent = describe_call_error(error, "A call to DSS (%s %s)" % (error.method, error.path), "DSS")
        if permanent:
            return permanent
        return "DSS answered %s to %s %s. Run the %s again; if it persists, check the node's logs." % (
            error, error.method, error.path, component)
    log.error("Unexpected error", exc_info=(type(error), error, error.__traceback__))
    return ("Unexpected error: %s: %s. The log above has the details; please report it if it persists."
            % (type(error).__name__, error))
