"""What DSS answered: the error type every DSS call raises, and the sentence a permanent error becomes."""

from typing import Optional

from dataikuapi.utils import DataikuException

from ..errors import PluginError

# The client's own exception type: it raises it for some answers it cannot use, and DSSCallError subclasses it.
ClientError = DataikuException


class DSSCallError(DataikuException):
    """An HTTP error answered by DSS, with its status code kept for classification.

    It subclasses the client's own DataikuException so that dataikuapi code that catches that still works.
    """

    def __init__(self, status, error_type, message, method, path):
        super().__init__("%s: %s" % (error_type, message))
        self.status = status
        self.error_type = error_type
        self.detail = message
        self.method = method
        self.path = path

    @property
    def is_not_found(self):
        return self.status == 404

    @property
    def is_permission_denied(self):
        return self.status in (401, 403)


def describe_call_error(error: Exception, what: str, node_label: str) -> Optional[str]:
    """A user-facing sentence for a permanent DSS error about `what` on `node_label`, or None if transient."""
    if not isinstance(error, DSSCallError):
        return None
    if error.status == 401:
        return "%s: the API key was refused by %s (401). Check the key in the DSS node preset." % (what, node_label)
    if error.status == 403:
        return (
            "%s: permission denied on %s (403: %s). Give the scenario's run-as user (or the preset's API key) "
            "the needed rights on it." % (what, node_label, error.detail)
        )
    if error.status == 404:
        return "%s: not found on %s (404: %s). Check the id." % (what, node_label, error.detail)
    return None


def dss_call(what: str, where: str, call, *args, **kwargs):
    """Runs a DSS call and turns a permanent DSS error into a message naming the object."""
    try:
        return call(*args, **kwargs)
    except DSSCallError as error:
        message = describe_call_error(error, what, where)
        raise PluginError(message or "%s failed on %s: %s" % (what, where, error)) from error
