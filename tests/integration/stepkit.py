"""Runs a plugin step inside a simulated scenario run, as DSS does, and hands back what a test checks."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from dss_simulator.step_runner import StepRun, run_step

ROOT = Path(__file__).resolve().parents[2]

PIPELINE = "pipeline"


@dataclass
class StepOutcome:
    run: StepRun
    variables: Dict[str, Any]

    @property
    def ok(self):
        return self.run.exit_code == 0

    @property
    def log(self):
        return self.run.log


def run_plugin_step(node, step_id: str, project_key: str, config: Dict[str, Any],
                    caller: str = PIPELINE, presets: Optional[Dict[str, Any]] = None,
                    variables: Optional[Dict[str, Any]] = None, extra_env: Optional[Dict[str, str]] = None,
                    timeout: float = 60) -> StepOutcome:
    """Runs python-steps/<step_id>/step.py within a run of scenario `caller` of `project_key` on `node`.

    `variables` are scenario variables set by earlier steps of that run.
    """
    ctx = node.start_step_context(project_key, caller)
    ctx.set_variables(variables or {})
    try:
        result = run_step(ROOT / "python-steps" / step_id, raw_config=config, presets=presets or {},
                          backend_url=node.url, ticket=ctx.ticket, project_key=project_key, timeout=timeout,
                          extra_env=extra_env)
    finally:
        ctx.finish("SUCCESS")
    return StepOutcome(run=result, variables=dict(ctx.variables))
