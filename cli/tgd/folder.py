"""A local directory standing in for a report folder: what the steps save to a managed folder lands here."""

from pathlib import Path
from typing import Any, Dict


class LocalFolder:
    """The three calls the steps make on a managed folder (`dataiku.Folder`), on a directory."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, path: str) -> Path:
        target = (self.root / path.lstrip("/")).resolve()
        if self.root.resolve() not in target.parents:
            raise ValueError("%s is outside the report directory %s" % (path, self.root))
        return target

    def get_info(self) -> Dict[str, Any]:
        self.root.mkdir(parents=True, exist_ok=True)
        return {"id": str(self.root), "type": "local directory"}

    def upload_data(self, path: str, data: bytes):
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def delete_path(self, path: str):
        self._path(path).unlink(missing_ok=True)
