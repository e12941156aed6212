"""What every runnable.py shares: secret-free logging, settings, DSS clients, and one clear failure message.

A macro gets the same `ComponentContext` as a step (settings reader, redactor, transport policy, clients), minus what
only a scenario has: a macro runs outside any scenario run, so it has no scenario variables and no step folder.
Like `step_runtime`, this module imports nothing from DSS: each runnable.py passes `dataiku.api_client` in.
"""

from typing import Any, Callable, Dict, Optional

from ..dss.interrupts import StopSignal
from ..dss.transport import DSSClient
from ..errors import StepInterrupted
from ..redaction import Redactor
from ..settings import ConfigReader, secrets_in
from .context import ComponentContext, configure_logging
from .failures import describe_failure
from .fields import read_transport_policy


class MacroFailure(Exception):
    """The one line DSS shows when a macro fails: it names the object and the next action, and holds no secret."""


def _outside_scenario(*args, **kwargs):
    raise RuntimeError("A macro runs outside any scenario: it has no scenario variables and no step folder.")


class MacroRuntime:
    """One macro run: its context, built on first use, and the translation of failures into MacroFailure."""

    def __init__(self, project_key: str, config: Dict[str, Any],
                 local_client_factory: Callable[[], DSSClient]):
        self.project_key = project_key
        self._config = dict(config or {})
        # DSS hands presets over resolved: their keys are in the config and must be masked from the start.
        self.redactor = Redactor(secrets_in(self._config))
        self._local_client_factory = local_client_factory
        self._context: Optional[ComponentContext] = None
        configure_logging(self.redactor)
        # [I] Aborting a macro stops its process; SIGTERM lets the test runner abort the runs it started.
        self.stop = StopSignal()
        self.stop.install()

    def _build_context(self) -> ComponentContext:
        if self._context is None:
            reader = ConfigReader(self._config)
            self._context = ComponentContext(
                reader=reader,
                variables={},
                project_key=self.project_key,
                redactor=self.redactor,
                policy=read_transport_policy(reader),
                stop=self.stop,
                _local_client_factory=self._local_client_factory,
                _set_variables=_outside_scenario,
                _folder_factory=_outside_scenario,
            )
        return self._context

    def call(self, logic: Callable[..., Any], *args) -> Any:
        """Runs `logic(context, *args)`; any failure becomes a MacroFailure with one secret-free message.

        The original exception is not chained (`from None`): DSS shows the traceback, which would otherwise
        repeat the unmasked original.
        """
        try:
            result = logic(self._build_context(), *args)
            # Defence in depth: no page a macro returns may hold a key, whatever went into it.
            return self.redactor.mask(result) if isinstance(result, str) else result
        except (Exception, StepInterrupted) as error:  # noqa: BLE001 - the last line of defence must catch everything
            message = describe_failure(error, "macro")
        raise MacroFailure(self.redactor.mask(message)) from None

    def attempt(self, logic: Callable[..., Any], *args) -> Any:
        """`call`, but None on failure: for `get_progress_target`, whose failure `run` then reports again.

        [U] Whether DSS reports an exception from get_progress_target as cleanly as one from run is not known.
        """
        try:
            return self.call(logic, *args)
        except MacroFailure:
            return None
