"""`dataiku.Folder`: a managed folder of a project, reached through the backend's internal API.

The routes and shapes are those of a real `dataiku` package (see `dss_simulator/api_internal.py`); the method names
and argument orders are those of DSS 9 `dataiku/core/managed_folder.py`. Lazy, as the real one: nothing is called
before the first method that needs the backend, so a missing folder shows only then.
"""

import io
import json
import os

from dataiku import _intercom


class Folder:
    """Handle to a managed folder, by name or id, optionally "PROJECTKEY.folder"."""

    def __init__(self, lookup, project_key=None, ignore_flow=False):
        if "." in (lookup or ""):
            self.project_key, self.short_name = lookup.split(".", 1)
        else:
            self.project_key = project_key or os.getenv("DKU_CURRENT_PROJECT_KEY")
            self.short_name = lookup
        self.lookup = lookup
        self.ignore_flow = ignore_flow

    def _ids(self, **more):
        return dict({"projectKey": self.project_key, "lookup": self.short_name}, **more)

    def get_info(self, sensitive_info=False):
        return _intercom.json_call("managed-folders/get-info", data=self._ids(sensitiveInfo=sensitive_info))["info"]

    def get_id(self):
        return self.get_info()["id"]

    def get_name(self):
        return self.get_info()["name"]

    def upload_stream(self, path, f):
        _intercom.void_call("managed-folders/upload-path", params=self._ids(path=path), data=f)

    def upload_data(self, path, data):
        """Write `data` (bytes, or str encoded as UTF-8) at `path`."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.upload_stream(path, io.BytesIO(data))

    def upload_file(self, path, file_path):
        with open(file_path, "rb") as f:
            self.upload_stream(path, f)

    def get_download_stream(self, path):
        """A binary file object on the file at `path` (use it in a `with`)."""
        return _intercom.stream_call("managed-folders/download-path", data=self._ids(path=path))

    def list_paths_in_partition(self, partition=""):
        answer = _intercom.json_call("managed-folders/get-partition-paths", data=self._ids(partition=partition))
        return answer["info"]["paths"]

    def delete_path(self, path):
        _intercom.void_call("managed-folders/clear-path", data=self._ids(path=path))

    def clear(self):
        self.delete_path("/")

    def read_json(self, path):
        with self.get_download_stream(path) as f:
            return json.loads(f.read().decode("utf-8"))

    def write_json(self, path, obj):
        self.upload_data(path, json.dumps(obj).encode("utf-8"))
