"""Managed folders of a project, their files kept on disk so that tests and the demo can read what steps wrote.

A folder is declared with `project.add_folder(folder_id, name)`; its files live under
`node.folders_root/<project key>/<folder id>/`. Steps reach them only through the internal API (`api_internal`), as
DSS's own `dataiku` package does.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Dict, List

from . import errors


@dataclass
class SimFolder:
    project_key: str
    folder_id: str
    name: str
    base: Callable[[], Path]  # the project's folders directory, read when used: a test may move the node's root

    @property
    def root(self) -> Path:
        return self.base() / self.folder_id

    def info(self) -> Dict[str, Any]:
        return {"id": self.folder_id, "name": self.name, "projectKey": self.project_key, "type": "Filesystem"}

    def local(self, path: str) -> Path:
        parts = [p for p in PurePosixPath("/" + str(path or "")).parts[1:] if p not in ("", ".")]
        if not parts or ".." in parts:
            raise errors.bad_request("Invalid path in managed folder %s: %r" % (self.folder_id, path))
        return self.root.joinpath(*parts)

    def write(self, path: str, data: bytes) -> None:
        target = self.local(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data)
        partial.replace(target)  # readers never see half a report

    def read(self, path: str) -> bytes:
        target = self.local(path)
        if not target.is_file():
            raise errors.not_found("Path in managed folder %s" % self.folder_id, str(path))
        return target.read_bytes()

    def paths(self) -> List[str]:
        if not self.root.is_dir():
            return []
        return sorted("/" + p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                      if p.is_file() and not p.name.endswith(".partial"))

    def clear(self, path: str) -> None:
        target = self.root if path in ("", "/") else self.local(path)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
