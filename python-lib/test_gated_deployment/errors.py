"""Exceptions whose message is shown to the DSS user as the step or macro failure."""

from dataikuapi.utils import DataikuException


class PluginError(Exception):
    """A failure the user must act on. The message names the object involved and the next action."""


class SettingsError(PluginError):
    """A setting is missing or invalid. Raised before any call to DSS."""


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


class StepInterrupted(BaseException):
    """Raised in the main thread when DSS aborts the scenario (SIGTERM).

    A BaseException so that broad `except Exception` clauses cannot swallow it before cleanup runs.
    """
