"""`dataiku.Folder`: a managed folder kept on local disk.

Real DSS managed folders are remote (the package streams files through the backend); tests need to read back what
a step wrote, so the stand-in stores folder `<id>` under `$DKU_STANDIN_FOLDERS_ROOT/<id>/`. The method names and
argument orders are those of DSS 9 `dataiku/core/managed_folder.py`.
"""

import io
import json
import os
import shutil


class Folder:
    """Handle to a managed folder, by name or id, optionally "PROJECTKEY.folder"."""

    def __init__(self, lookup, project_key=None, ignore_flow=False):
        if not lookup:
            raise ValueError("A managed folder name or id is required")
        if "." in lookup:
            self.project_key, self.short_name = lookup.split(".", 1)
        else:
            self.project_key = project_key or os.getenv("DKU_CURRENT_PROJECT_KEY")
            self.short_name = lookup
        self.lookup = lookup
        self.ignore_flow = ignore_flow
        # [I] The stand-in has no name -> id table: name and id are the same folder.
        self.name = f"{self.project_key}.{self.short_name}" if self.project_key else self.short_name

    # --- where the files live -------------------------------------------------------------------------------
    def _root(self):
        base = os.getenv("DKU_STANDIN_FOLDERS_ROOT")
        if not base:
            raise Exception(
                f"Managed folder {self.short_name!r}: DKU_STANDIN_FOLDERS_ROOT is not set (the dataiku stand-in "
                "keeps folders on local disk under that directory)"
            )
        return os.path.join(base, self.short_name)

    def _local(self, path):
        # Folder paths are '/'-rooted in DSS; refuse anything that would escape the folder on disk.
        rel = os.path.normpath(str(path).lstrip("/"))
        if rel in ("", ".") or rel.startswith(".." + os.sep) or rel == ".." or os.path.isabs(rel):
            raise ValueError(f"Invalid path in managed folder {self.short_name!r}: {path!r}")
        return os.path.join(self._root(), rel)

    # --- DSS API subset -------------------------------------------------------------------------------------
    def get_id(self):
        return self.short_name

    def get_name(self):
        return self.short_name

    def get_info(self, sensitive_info=False):
        return {"id": self.short_name, "name": self.short_name, "projectKey": self.project_key, "type": "Filesystem"}

    def upload_stream(self, path, f):
        """Write the content of file-like `f` (bytes or str) at `path`, replacing any existing file."""
        target = self._local(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = target + ".standin-part"
        with open(tmp, "wb") as out:
            while True:
                chunk = f.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        # Readers never see a half-written report.
        os.replace(tmp, target)

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
        local = self._local(path)
        if not os.path.isfile(local):
            raise Exception(f"Path {path!r} does not exist in managed folder {self.short_name!r}")
        return open(local, "rb")  # noqa: SIM115 - the caller closes it, as with DSS's stream

    def list_paths_in_partition(self, partition=""):
        """All file paths of the folder, '/'-rooted and sorted, as DSS returns them [I: order]."""
        root = self._root()
        paths = []
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                if name.endswith(".standin-part"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                paths.append("/" + rel.replace(os.sep, "/"))
        return sorted(paths)

    def delete_path(self, path):
        local = self._local(path)
        if os.path.isdir(local):
            shutil.rmtree(local)
        elif os.path.exists(local):
            os.remove(local)

    def clear(self):
        shutil.rmtree(self._root(), ignore_errors=True)

    def read_json(self, path):
        with self.get_download_stream(path) as f:
            return json.load(f)

    def write_json(self, path, obj):
        self.upload_data(path, json.dumps(obj).encode("utf-8"))

