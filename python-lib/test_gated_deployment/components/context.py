"""What a component's logic may use, in a step or a macro: its settings, variables, DSS clients and folders.

Also what both runtimes set up: logging with secrets masked.
The internal `dataiku` package is passed in by the step or macro script, so nothing here imports it.
"""

import logging
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

from ..dss.internal import package_call
from ..dss.interrupts import StopSignal
from ..dss.transport import DSSClient, TransportPolicy, adopt_policy, connect_node
from ..errors import PluginError, SettingsError
from ..redaction import RedactingFilter, Redactor
from ..settings import ConfigReader, Field, NodeSettings, read_node_preset

log = logging.getLogger(__name__)

# Written and removed again when a report folder is checked: proof that the scenario's user may write there.
WRITE_CHECK_PATH = "/.test-gated-deployment-write-check"


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

    def open_folder(self, folder_id: str) -> "ReportFolder":
        """A managed folder of the project, to save reports into; what is written to it has no key."""
        return ReportFolder(self, folder_id)

    def check_folder(self, field: Field, folder_id: str):
        """Refuses, as a bad setting, a report folder that does not exist or that the scenario's user cannot write."""
        folder = self.open_folder(folder_id)
        try:
            folder.read_info()
            folder.upload_data(WRITE_CHECK_PATH, b"")
        except PluginError as error:
            raise SettingsError("Setting %s names managed folder %s, which cannot take the reports. %s Or leave "
                                "the setting empty." % (field.describe(), folder_id, error)) from error
        try:
            folder.delete(WRITE_CHECK_PATH)
        except PluginError as error:
            # The folder takes reports: an empty check file left in it is not a reason to stop.
            log.warning("%s The empty file %s can be deleted.", error, WRITE_CHECK_PATH)

    def package(self, what: str, next_action: str, call: Callable[..., Any], *args) -> Any:
        """A call of DSS's `dataiku` package, bounded by the transport policy, failing with a clear message."""
        return package_call(what, next_action, self.policy, call, *args, stop=self.stop)

    def set_variables(self, values: Dict[str, Any]):
        masked = self.redactor.mask(values)
        self.package("Setting the scenario variables %s" % ", ".join(sorted(masked)),
                     "The step's results are in its log above; run the scenario again to set them.",
                     lambda: self._set_variables(**masked))


class ReportFolder:
    """A managed folder of the project, through DSS's `dataiku` package; text is masked before it is written."""

    def __init__(self, context: ComponentContext, folder_id: str):
        self._context = context
        self.folder_id = folder_id
        self._folder = context._folder_factory(folder_id)
        self._where = "managed folder %s of project %s" % (folder_id, context.project_key)
        self._next = "Check that the folder exists in project %s and that the scenario's user may write to it." \
            % context.project_key

    def read_info(self) -> Dict[str, Any]:
        return self._context.package("Reading %s" % self._where, self._next, self._folder.get_info)

    def upload_data(self, path: str, data: bytes):
        masked = self._context.redactor.mask(data.decode("utf-8")).encode("utf-8")
        self._context.package("Saving %s to %s" % (path, self._where), self._next, self._folder.upload_data, path,
                              masked)

    def delete(self, path: str):
        self._context.package("Deleting %s from %s" % (path, self._where), self._next, self._folder.delete_path,
                              path)


def configure_logging(redactor: Redactor, stream=None):
    """Log lines, masked, on `stream` (default: stdout, where DSS reads a step's or macro's log)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # The HTTP stack logs URLs and retries at DEBUG/WARNING; keep it quiet but visible when it retries.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
