"""Exceptions whose message is shown to the DSS user as the step or macro failure."""


class PluginError(Exception):
    """A failure the user must act on. The message names the object involved and the next action."""


class SettingsError(PluginError):
    """A setting is missing or invalid. Raised before any call to DSS."""


class StepInterrupted(BaseException):
    """Raised in the main thread when DSS aborts the scenario (SIGTERM).

    A BaseException so that broad `except Exception` clauses cannot swallow it before cleanup runs.
    """
