"""Wall clock helpers: the simulator runs on real time (durations are tens of ms in tests)."""

from __future__ import annotations

import time
from typing import Optional


def now() -> float:
    return time.time()


def to_ms(t: Optional[float]) -> int:
    """Epoch seconds -> epoch ms, 0 for "not set" (DSS uses 0 for a run that has not ended)."""
    return int(round(t * 1000)) if t else 0


class IdMaker:
    """Unique ids shaped like DSS run ids (`2024-05-01-12-30-00-123`) [I]; bumps the ms on a clash.

    Not thread-safe on its own: callers hold their node's lock.
    """

    def __init__(self) -> None:
        self._used: set = set()

    def make(self, t: Optional[float] = None) -> str:
        ms = to_ms(t if t is not None else now())
        while True:
            ident = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(ms // 1000)) + "-%03d" % (ms % 1000)
            if ident not in self._used:
                self._used.add(ident)
                return ident
            ms += 1
