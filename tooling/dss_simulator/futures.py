"""Long-running tasks ("futures") of a node, polled by `DSSFuture` through GET /futures/{jobId}.

A future wraps a task object whose state is computed lazily from the clock, like runs.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Protocol

from . import clock, errors, shapes

# How a failed task surfaces is [U] (reference §5.4):
REPORT = "report"  # hasResult true, the result says ERROR  (default)
HTTP_ERROR = "http_error"  # GET /futures/{id} answers a DSS error once the task failed
DEAD = "dead"  # hasResult false and alive false, forever
LOST = "lost"  # once the task is done, failed or not, the future answers `unknown: true` (DSS lost track of it)
FAILURE_MODES = (REPORT, HTTP_ERROR, DEAD, LOST)


class Task(Protocol):
    name: str
    start: float
    failure_mode: str

    def done(self, now: float) -> bool: ...

    def failed(self) -> bool: ...

    def result(self) -> Any: ...

    def abort(self, now: float) -> bool: ...


@dataclass
class SimFuture:
    job_id: str
    task: Task
    user: str
    aborted: bool = False

    def state(self, now: float) -> Dict[str, Any]:
        done = self.task.done(now)
        failed = done and self.task.failed()
        if failed and self.task.failure_mode == HTTP_ERROR:
            raise errors.DSSError(500, errors.UNKNOWN_ERROR, "%s failed: %s" % (self.task.name, self.task.result()))
        if done and self.task.failure_mode == LOST:
            return shapes.lost_future(self.job_id)
        return shapes.future_state(self.job_id, self.task.name, self.task.start, now, done,
                                   self.task.result() if done else None,
                                   failed and self.task.failure_mode == DEAD, self.aborted)


class Futures:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: Dict[str, SimFuture] = {}

    def add(self, task: Task, user: str) -> SimFuture:
        future = SimFuture("fut-" + secrets.token_hex(6), task, user)
        with self._lock:
            self._futures[future.job_id] = future
        return future

    def get(self, job_id: str) -> SimFuture:
        with self._lock:
            future = self._futures.get(job_id)
        if future is None:
            raise errors.not_found("Future", job_id)
        return future

    def abort(self, job_id: str) -> None:
        future = self.get(job_id)
        now = clock.now()
        if not future.task.done(now) and future.task.abort(now):
            future.aborted = True

    def alive(self, now: Optional[float] = None) -> List[SimFuture]:
        now = clock.now() if now is None else now
        with self._lock:
            futures = list(self._futures.values())
        return [f for f in futures if not f.aborted and not f.task.done(now)]
