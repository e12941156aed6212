"""The request log of a node: every request, its answer status, in order."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import List, Optional

DROPPED = 0  # status recorded for a connection closed without an answer


@dataclass(frozen=True)
class RequestRecord:
    time: float
    method: str
    path: str  # full path, e.g. /dip/publicapi/projects/PK/scenarios/
    status: int
    query: str = ""
    user: Optional[str] = None


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: List[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> List[RequestRecord]:
        with self._lock:
            return list(self._records)

    def count(self, path_contains: Optional[str] = None, method: Optional[str] = None) -> int:
        return sum(
            1
            for r in self.snapshot()
            if (path_contains is None or path_contains in r.path) and (method is None or r.method == method.upper())
        )

    def list_call_rate(self, project_key: str, since: float = 0.0) -> int:
        """The most scenario-list calls of a project in any one second since `since` (epoch s): how hard a client
        polls that project."""
        path = "/dip/publicapi/projects/%s/scenarios/" % project_key
        times = [r.time for r in self.snapshot() if r.method == "GET" and r.path == path and r.time >= since]
        most, first = 0, 0
        for last, t in enumerate(times):
            while t - times[first] >= 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
