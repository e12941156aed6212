"""A long-running DSS task (a deployment update) and what its state says."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass(frozen=True)
class FutureState:
    has_result: bool
    alive: Optional[bool]        # None when DSS does not say
    result_status: str = ""      # the result's "status" (SUCCESS, WARNING, ERROR) when it has one
    result_messages: List[str] = field(default_factory=list)

    @classmethod
    def read(cls, raw: Optional[Dict[str, Any]]) -> "FutureState":
        """[I] `hasResult`, `alive` and a result `{status, messages[]}`, as the Deployer's hook template shows."""
        raw = raw if isinstance(raw, dict) else {}
        result = raw.get("result") or {}
        status, messages = "", []
        if isinstance(result, dict):
            status = str(result.get("status") or "")
            messages = [str(m.get("message") or m) for m in result.get("messages") or [] if isinstance(m, dict)]
        alive = raw.get("alive")
        return cls(has_result=bool(raw.get("hasResult")), alive=alive if isinstance(alive, bool) else None,
                   result_status=status, result_messages=messages)


class UpdateFuture:
    """The future a deployment update runs as: its first state, later states, and its abort."""

    def __init__(self, future):
        self._future = future

    @property
    def job_id(self) -> Optional[str]:
        return self._future.job_id

    @property
    def first_state(self) -> FutureState:
        return FutureState.read(self._future.state)

    def poll(self) -> FutureState:
        return FutureState.read(self._future.get_state())

    def abort(self):
        self._future.abort()
