"""Wall clock helpers: the simulator runs on real time (durations are tens of ms in tests)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator, Optional

# How far ahead of real time the simulated DSS estate's clock runs, in seconds: every time a node shows (epoch
# ms, report timestamps, the Date header) is shifted by it, while runs and updates keep real durations.
_skew = [0.0]


def now() -> float:
    return time.time()


def shown(t: float) -> float:
    """A real time as the simulated nodes' clock shows it."""
    return t + _skew[0]


@contextmanager
def skewed(seconds: float) -> Iterator[None]:
    """Within the block, the nodes' clock runs `seconds` ahead of real time (negative: behind)."""
    _skew[0] = seconds
    try:
        yield
    finally:
        _skew[0] = 0.0


def to_ms(t: Optional[float]) -> int:
    """Epoch seconds -> epoch ms on the nodes' clock, 0 for "not set" (DSS uses 0 for a run that has not ended)."""
    return int(round(shown(t) * 1000)) if t else 0


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
