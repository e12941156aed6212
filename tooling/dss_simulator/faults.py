"""Fault injection: the next N matching requests fail in a chosen way."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import List, Optional


@dataclass
class Fault:
    path_contains: str
    method: Optional[str]
    status: int
    times: int
    delay: float = 0.0
    drop: bool = False
    retry_after: Optional[float] = None
    body: Optional[str] = None
    drop_after: bool = False
    used: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.path_contains in path and (self.method is None or self.method == method)


class Faults:
    """Registered faults; the first matching one with uses left applies to a request (and uses one up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: List[Fault] = []

    def add(self, path_contains: str = "", method: Optional[str] = None, status: int = 502, times: int = 1,
            delay: float = 0.0, drop: bool = False, retry_after: Optional[float] = None,
            body: Optional[str] = None, drop_after: bool = False) -> Fault:
        """`drop=True` closes the connection without an answer; `drop_after=True` does the request's work first,
        then closes the connection without an answer (the action happened, the caller cannot know); `delay`
        sleeps first (then fails, or with `status=0` answers normally: a slow answer)."""
        fault = Fault(path_contains, method.upper() if method else None, status, times, delay, drop, retry_after,
                      body, drop_after)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Optional[Fault]:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    fault.used += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def injected(self) -> int:
        """How many requests a fault has hit so far."""
        with self._lock:
            return sum(f.used for f in self._faults)

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(f.times for f in self._faults)
