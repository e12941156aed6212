"""What a component's logic may use, in a step or a macro: its settings, variables, DSS clients and folders.

Also what both runtimes set up: logging with secrets masked.
The internal `dataiku` package is passed in by the step or macro script, so nothing here imports it.
"""

import logging
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

from ..dss.interrupts import StopSignal
from ..dss.transport import DSSClient, TransportPolicy, adopt_policy, connect_node
from ..redaction import RedactingFilter, Redactor
from ..settings import ConfigReader, Field, NodeSettings, read_node_preset


@dataclass
class ComponentContext:
    """What a component's logic may use: its settings, the scenario's variables (none in a macro), DSS clients."""

    reader: ConfigReader
    variables: Dict[str, Any]
    project_key: str
    redactor: Redactor
    policy: TransportPolicy
    stop: StopSignal   # set when DSS aborts the step or macro
    _local_client_factory: Callable[[], DSSClient]
    _set_variables: Callable[..., None]
    _folder_factory: Callable[[str], Any]

    def local_client(self) -> DSSClient:
        """A client on this node, as the scenario's run-as user."""
        return adopt_policy(self._local_client_factory(), self.policy, self.stop)

    def node_client(self, node: NodeSettings) -> DSSClient:
        return connect_node(node, self.policy, self.stop)

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
