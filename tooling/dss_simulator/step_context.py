"""A step context: a scenario run held open while a plugin step runs inside it, with the ticket the step uses."""

from __future__ import annotations

from typing import Any, Dict, Optional

from . import clock, shapes
from .host import Host
from .runs import Run, StepRun


class StepContext:
    """Created by `Node.start_step_context` (or for each run of a scenario with a `runner`).

    The run stays running until `finish()`; the ticket (`X-DKU-APITicket`) is valid until then.
    """

    def __init__(self, node: Host, run: Run, ticket: str) -> None:
        self.node = node
        self.run = run
        self.ticket = ticket

    # ----- identity
    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def project_key(self) -> str:
        return self.run.project_key

    @property
    def scenario_id(self) -> str:
        return self.run.scenario_id

    @property
    def trigger_run_id(self) -> str:
        return self.run.fire.fire_id

    @property
    def scenario_run_url(self) -> str:
        return shapes.scenario_run_url(self.node.url, self.run)

    @property
    def backend_port(self) -> int:
        return self.node.port

    @property
    def variables(self) -> Dict[str, Any]:
        """Scenario variables set so far (the live dict of the run)."""
        return self.run.variables

    @property
    def finished(self) -> bool:
        return self.run.finished()

    def environ(self) -> Dict[str, str]:
        """The DKU_* variables DSS gives a step process to reach its backend (reference §2.3)."""
        return {
            "DKU_BACKEND_HOST": "127.0.0.1",
            "DKU_BACKEND_PORT": str(self.node.port),
            "DKU_API_TICKET": self.ticket,
            "DKU_CURRENT_PROJECT_KEY": self.project_key,
            "DKU_SERVER_KIND": "BACKEND",
        }

    # ----- what a step engine records
    def log(self, line: str, step_id: Optional[str] = None) -> None:
        with self.node.lock:
            self.run.add_log(line, step_id)

    def start_step(self, step_id: str, name: str = "", step_type: str = "custom") -> StepRun:
        step = StepRun(step_id, name or step_id, step_type, clock.now())
        with self.node.lock:
            self.run.step_runs.append(step)
        return step

    def end_step(self, step: StepRun, outcome: str, error: Optional[str] = None) -> None:
        with self.node.lock:
            if step.end is None:
                step.end, step.outcome, step.error = clock.now(), outcome, error

    def set_variables(self, variables: Dict[str, Any]) -> None:
        with self.node.lock:
            self.run.variables.update(variables)

    # ----- end
    def finish(self, outcome: str = "SUCCESS") -> bool:
        """End the run with `outcome` (no-op if it already ended, e.g. aborted). Revokes the ticket."""
        # [I] a scenario's ticket lives as long as its run
        with self.node.lock:
            stopped = self.run.stop(outcome)
        self.node.auth.revoke_ticket(self.ticket)
        return stopped

    def __enter__(self) -> StepContext:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.finish("FAILED" if exc_type else "SUCCESS")
