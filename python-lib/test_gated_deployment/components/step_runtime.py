"""What every step.py shares: the context, the exit status, and one clear failure line.

The internal `dataiku` package is passed in by the step script, so this module imports nothing from DSS and can
be tested anywhere.
"""

import sys
from typing import Any, Callable, Dict

from ..dss.interrupts import StopSignal
from ..dss.transport import DSSClient
from ..errors import StepInterrupted
from ..redaction import Redactor
from ..settings import ConfigReader, merge_step_config, secrets_in
from .context import ComponentContext, configure_logging
from .failures import describe_failure
from .fields import read_transport_policy


def run_step(logic: Callable[[ComponentContext], None], step_config: Dict[str, Any], plugin_config: Dict[str, Any],
             scenario: Any, local_client_factory: Callable[[], DSSClient], project_key: str,
             folder_factory: Callable[[str], Any]):
    """Runs a step's logic and turns its end into the exit status DSS reads.

    A normal return exits 0 (SUCCESS). A PluginError, an abort (SIGTERM) or any other error exits 1 after one
    clear, secret-free line on stderr, without a stack trace for expected failures.
    """
    config = merge_step_config(step_config, plugin_config)
    redactor = Redactor(secrets_in(config))
    configure_logging(redactor)
    stop = StopSignal()
    stop.install()
    try:
        variables = dict(scenario.get_all_variables() or {})
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


def _fail(redactor: Redactor, message: str):
    message = redactor.mask(message)
    # [I] DSS fails a plugin step on a non-zero exit and shows the end of its output.
    sys.stderr.write(message + "\n")
    sys.exit(1)
