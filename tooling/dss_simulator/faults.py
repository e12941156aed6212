"""Fault injection: the next N matching requests fail in a chosen way, before or after DSS does the work.

Kinds (the arguments of `Faults.add`):
- `status`: answer this status instead of doing the work; a 5xx is a proxy's HTML page, a 4xx a DSS JSON error.
  `dss_body=True` answers a DSS JSON error for a 5xx too (DSS itself failed). `retry_after` adds that header.
- `after=True` with `status`: do the work, then answer the fault status (a proxy that lost DSS's answer).
- `drop=True`: close the connection without an answer, before the work.
- `drop_after=True`: do the work, then close the connection without an answer.
- `cut=True`: do the work, then send the start of DSS's answer and close the connection (a cut-off body).
- `delay`: sleep before the work (then fail, or with `status=0` answer normally: a slow request).
- `delay_after`: do the work, then sleep before answering (an answer slower than the client's read timeout).
- `action`: call this before the work, then go on as the other options say (with `status=0`, answer normally):
  another user or pipeline acting on DSS at that very moment.
`skip` lets that many matching requests through before the fault applies; `path_equals` matches a whole path,
`path_regex` a whole path against a regular expression.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Callable, List, Optional


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
    after: bool = False
    cut: bool = False
    delay_after: float = 0.0
    dss_body: bool = False
    skip: int = 0
    path_equals: Optional[str] = None
    path_regex: Optional[str] = None
    action: Optional[Callable[[], None]] = None
    used: int = 0

    @property
    def after_work(self) -> bool:
        """Whether DSS does the request's work before the fault shows."""
        return self.after or self.drop_after or self.cut or self.delay_after > 0

    def matches(self, method: str, path: str) -> bool:
        if self.path_equals is not None and path.rstrip("/") != self.path_equals.rstrip("/"):
            return False
        if self.path_regex is not None and not re.fullmatch(self.path_regex, path.rstrip("/")):
            return False
        return self.times > 0 and self.path_contains in path and (self.method is None or self.method == method)


class Faults:
    """Registered faults; the first matching one with uses left applies to a request (and uses one up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: List[Fault] = []

    def add(self, path_contains: str = "", method: Optional[str] = None, status: int = 502, times: int = 1,
            delay: float = 0.0, drop: bool = False, retry_after: Optional[float] = None,
            body: Optional[str] = None, drop_after: bool = False, after: bool = False, cut: bool = False,
            delay_after: float = 0.0, dss_body: bool = False, skip: int = 0,
            path_equals: Optional[str] = None, path_regex: Optional[str] = None,
            action: Optional[Callable[[], None]] = None) -> Fault:
        """See the module docstring for the kinds."""
        fault = Fault(path_contains, method.upper() if method else None, status, times, delay, drop, retry_after,
                      body, drop_after, after, cut, delay_after, dss_body, skip, path_equals, path_regex, action)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Optional[Fault]:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
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
