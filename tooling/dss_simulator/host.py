"""What the parts of a node (its step engine, the step contexts of its runs) may use of the node they belong to.

`Node` provides it; the parts name it here instead of importing `node.py`, which imports them.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional, Protocol

from .auth import AuthRegistry
from .futures import Futures
from .project import BundleSnapshot, SimProject


class Host(Protocol):
    node_id: str
    lock: threading.RLock
    auth: AuthRegistry
    futures: Futures
    projects: Dict[str, SimProject]
    plugins: Dict[str, Any]
    plugin_presets: Dict[str, Dict[str, Any]]
    step_env: Dict[str, str]
    deployer: Any

    @property
    def url(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def is_automation(self) -> bool: ...

    def project(self, project_key: str) -> SimProject: ...

    def export_bundle(self, project_key: str, bundle_id: str,
                      release_notes: Optional[str] = None) -> BundleSnapshot: ...
