"""What every step.py shares: the context, the exit status, and one clear failure line.

The internal `dataiku` package is passed in by the step script, so this module imports nothing from DSS and can
be tested anywhere.
"""

import gc
import sys
from typing import Any, Callable, Dict

from ..dss.internal import package_call
from ..dss.interrupts import StopSignal
from ..dss.transport import DSSClient, TransportPolicy
from ..errors import StepInterrupted
from ..redaction import Redactor
from ..settings import ConfigReader, merge_step_config, secrets_in
from .context import ComponentContext, configure_logging
from .failures import describe_failure
from .fields import read_transport_policy


class StepFailed(Exception):
    """How a failing step ends: DSS makes the failure summary of a step from the exception it ends with [V] (DSS 9's
    ErrorMonitoringWrapper: "At line N: <type>: <message>"). The message is already masked."""


def run_step(logic: Callable[[ComponentContext], None], step_config: Dict[str, Any], plugin_config: Dict[str, Any],
             scenario: Any, local_client_factory: Callable[[], DSSClient], project_key: str,
             folder_factory: Callable[[str], Any]):
    """Runs a step's logic and turns its end into what DSS reads.

    A normal return is a SUCCESS. A PluginError, an abort (SIGTERM) or any other error writes one clear, secret-free
    line on stderr, then raises StepFailed with that line, which DSS shows as the step's error.
    """
    config = merge_step_config(step_config, plugin_config)
    redactor = Redactor(secrets_in(config))
    configure_logging(redactor)
    stop = StopSignal()
    stop.install()
    try:
        variables = dict(package_call("Reading the scenario's variables", "Run the scenario again; if it fails the "
                                      "same way, check the DSS backend.", TransportPolicy(),
                                      scenario.get_all_variables, stop=stop) or {})
        reader = ConfigReader(config, variables)
        context = ComponentContext(
            reader=reader,
            variables=variables,
            project_key=project_key,
            redactor=redactor,
            policy=read_transport_policy(reader),
            stop=stop,
            _local_client_factory=local_client_factory,
            _set_variables=scenario.set_scenario_variables,
            _folder_factory=folder_factory,
        )
        logic(context)
    except (Exception, StepInterrupted) as error:  # noqa: BLE001 - the last line of defence must catch everything
        _fail(redactor, describe_failure(error, "step"))
    finally:
        # The step's process ends next. Objects frozen out of the garbage collector's reach are not traversed
        # when the interpreter shuts down, which otherwise takes about 0.1 s with the DSS client loaded.
        gc.freeze()


def _fail(redactor: Redactor, message: str):
    message = redactor.mask(message)
    sys.stderr.write(message + "\n")
    # Not chained (`from None`): the traceback DSS prints must not repeat the unmasked original.
    raise StepFailed(message) from None
