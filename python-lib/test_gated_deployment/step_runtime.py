"""What every step.py shares: logging with secrets masked, SIGTERM handling, settings, variables, exit status.

The internal `dataiku` package is passed in by the step script, so this module imports nothing from DSS and can
be tested anywhere.
"""

import logging
import signal
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

import dataikuapi

from .connection import TransportPolicy, adopt_policy, connect_node
from .errors import StepInterrupted
from .failures import describe_failure
from .redaction import RedactingFilter, Redactor
from .settings import ConfigReader, Field, NodeSettings, merge_step_config, read_node_preset, secrets_in

log = logging.getLogger("test_gated_deployment")

F_HTTP_TIMEOUT = Field("http_timeout_s", "DSS answer timeout (s)")
F_RETRY_BUDGET = Field("retry_budget_s", "Retry budget per call (s)")


def read_transport_policy(reader: ConfigReader) -> TransportPolicy:
    """The transport policy set in a component's advanced settings (the same two fields on every component)."""
    return TransportPolicy.within(
        read_timeout=float(reader.integer(F_HTTP_TIMEOUT, default=60, minimum=1, maximum=3600)),
        budget=float(reader.integer(F_RETRY_BUDGET, default=60, minimum=0, maximum=3600)),
    )


@dataclass
class StepContext:
    """What a step's logic may use: its settings, the scenario's variables and DSS clients."""

    reader: ConfigReader
    variables: Dict[str, Any]
    project_key: str
    redactor: Redactor
    policy: TransportPolicy
    _local_client_factory: Callable[[], dataikuapi.DSSClient]
    _set_variables: Callable[..., None]
    _folder_factory: Callable[[str], Any]

    def local_client(self) -> dataikuapi.DSSClient:
        """A client on this node, as the scenario's run-as user."""
        return adopt_policy(self._local_client_factory(), self.policy)

    def node_client(self, node: NodeSettings) -> dataikuapi.DSSClient:
        return connect_node(node, self.policy)

    def node_preset(self, field: Field) -> Optional[NodeSettings]:
        node = read_node_preset(self.reader.raw(field), field)
        if node is not None:
            self.redactor.add(node.api_key)
        return node

    def open_folder(self, folder_id: str) -> "MaskingFolder":
        """A managed folder of the project, to save reports into; what is written to it has no key."""
        return MaskingFolder(self._folder_factory(folder_id), self.redactor)

    def set_variables(self, values: Dict[str, Any]):
        self._set_variables(**self.redactor.mask(values))


class MaskingFolder:
    """A managed folder whose text uploads go through the redactor first."""

    def __init__(self, folder, redactor: Redactor):
        self._folder = folder
        self._redactor = redactor

    def upload_data(self, path: str, data: bytes):
        self._folder.upload_data(path, self._redactor.mask(data.decode("utf-8")).encode("utf-8"))


def configure_logging(redactor: Redactor):
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # The HTTP stack logs URLs and retries at DEBUG/WARNING; keep it quiet but visible when it retries.
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def raise_interrupted(signum, frame):
    raise StepInterrupted()


def run_step(logic: Callable[[StepContext], None], step_config: Dict[str, Any], plugin_config: Dict[str, Any],
             scenario: Any, local_client_factory: Callable[[], dataikuapi.DSSClient], project_key: str,
             folder_factory: Callable[[str], Any]):
    """Runs a step's logic and turns its end into the exit status DSS reads.

    A normal return exits 0 (SUCCESS). A PluginError, an abort (SIGTERM) or any other error exits 1 after one
    clear, secret-free line on stderr, without a stack trace for expected failures.
    """
    config = merge_step_config(step_config, plugin_config)
    redactor = Redactor(secrets_in(config))
    configure_logging(redactor)
    signal.signal(signal.SIGTERM, raise_interrupted)
    try:
        variables = dict(scenario.get_all_variables() or {})
        reader = ConfigReader(config, variables)
        context = StepContext(
            reader=reader,
            variables=variables,
            project_key=project_key,
            redactor=redactor,
            policy=read_transport_policy(reader),
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
