"""A long-running DSS task (a deployment update) and what its state says."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from dataikuapi.dss.future import DSSFuture


@dataclass(frozen=True)
class FutureState:
    has_result: bool
    alive: Optional[bool]        # None when DSS does not say
    result_status: str = ""      # the result's outcome (SUCCESS, WARNING, ERROR) when it has one
    result_messages: List[str] = field(default_factory=list)
    unknown: bool = False        # DSS no longer knows the task: the future ended without a result
    start_ms: int = 0            # on the server's clock, when DSS says

    @property
    def failed(self) -> bool:
        return self.result_status == "ERROR"

    @classmethod
    def read(cls, raw: Optional[Dict[str, Any]]) -> "FutureState":
        """[I] `hasResult`, `alive`, `unknown` (DSS 9's FutureWatcher ends on it) and a result whose outcome is
        `status` (the Deployer's hook template) or `maxSeverity` (DSS 9's Deployer UI); both are read."""
        raw = raw if isinstance(raw, dict) else {}
        result = raw.get("result") or {}
        status, messages = "", []
        if isinstance(result, dict):
            status = str(result.get("status") or result.get("maxSeverity") or "")
            messages = [str(m.get("message") or m.get("title") or m) for m in result.get("messages") or []
                        if isinstance(m, dict)]
        alive = raw.get("alive")
        return cls(has_result=bool(raw.get("hasResult")), alive=alive if isinstance(alive, bool) else None,
                   result_status=status, result_messages=messages, unknown=bool(raw.get("unknown")),
                   start_ms=int(raw.get("startTime") or 0))

    @classmethod
    def ended(cls, status: str) -> "FutureState":
        """The state of an update already over, as its history entry tells it: only SUCCESS or WARNING pass."""
        if status in ("SUCCESS", "WARNING"):
            return cls(has_result=True, alive=False, result_status=status)
        return cls(has_result=True, alive=False, result_status="ERROR",
                   result_messages=["the update history says it ended %s" % (status or "without a status")])


class UpdateFuture:
    """The future a deployment update runs as: its first state, later states, and its abort."""

    def __init__(self, future):
        self._future = future

    @classmethod
    def listed(cls, client, raw: Dict[str, Any]) -> "UpdateFuture":
        """A future found in DSS's list of running futures."""
        return cls(DSSFuture(client, raw["jobId"], raw))

    def on(self, client) -> "UpdateFuture":
        """The same future, followed through another client (the cleanup one)."""
        return UpdateFuture(DSSFuture(client, self._future.job_id, self._future.state))

    @property
    def first_state(self) -> FutureState:
        return FutureState.read(self._future.state)

    def poll(self) -> FutureState:
        return FutureState.read(self._future.get_state())

    def abort(self):
        self._future.abort()
