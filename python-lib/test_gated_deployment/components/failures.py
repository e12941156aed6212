"""The one sentence a step or macro shows when it fails, whatever the failure."""

import logging

from ..dss.answers import DSSCallError, Kind, classify, describe_call_error, describe_unanswered
from ..errors import PluginError, StepInterrupted

log = logging.getLogger("test_gated_deployment")


def describe_failure(error: BaseException, component: str) -> str:
    """What went wrong and what to do next; `component` is "step" or "macro"."""
    if isinstance(error, PluginError):
        return str(error)
    if isinstance(error, StepInterrupted):
        return ("The %s was aborted. Every test run and update it had started was aborted too (see the log above)."
                % component)
    kind = classify(error)
    if kind is not None:
        what = "A call to DSS"
        if isinstance(error, DSSCallError):
            what += " (%s %s)" % (error.method, error.path)
        if kind is Kind.REFUSED:
            return describe_call_error(error, what, "DSS")
        return describe_unanswered(error, what, "DSS")
    log.error("Unexpected error", exc_info=(type(error), error, error.__traceback__))
    return ("Unexpected error: %s: %s. The log above has the details; please report it if it persists."
            % (type(error).__name__, error))
