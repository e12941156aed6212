"""Run a plugin macro (`python-runnables/<id>/runnable.py`) the way DSS does.

DSS starts its `dataiku.runnables.server` in a new Python process, sends it the project key, the config (presets
resolved), the plugin config and the *code* of `runnable.py`, and gets back the serialised result (reference §3.2).
Here the child is the stand-in's `dataiku.runnables.server`; it talks to this parent through JSON files in a temp
dir, because its stdout is the run's log.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from dss_simulator.step_runner import build_env, plugin_root_of, resolve_presets

# Same file names as the child module `dataiku.runnables.server` (stand-in); it cannot be imported from here
# without putting the stand-in `dataiku` on the simulator's own path.
_COMMAND_FILE = "command.json"
_RESULT_FILE = "result.json"


@dataclass
class MacroRun:
    """Outcome of one macro run, as DSS would return it to `DSSMacro.get_result()` / the UI."""

    ok: bool
    result: str  # serialised like DSS: to_json() / json.dumps(dict) / str; "" if run() returned None
    error: str  # the exception message if the run failed, else ""
    progress: list  # values passed to progress_callback, in order
    log: str  # stdout and stderr of the macro process
    error_type: str = ""  # e.g. "<class 'ValueError'>", as DSS's errorType
    progress_target: Optional[dict] = None  # {"target", "unit"} if get_progress_target() returned one
    duration: float = 0.0
    extra: dict = field(default_factory=dict)  # anything else the child reported (traceback...)


def run_macro(
    runnable_dir,
    *,
    config: dict,
    plugin_config: Optional[dict] = None,
    presets: Optional[Mapping[str, dict]] = None,
    backend_url: str,
    ticket: str,
    project_key: str,
    extra_env: Optional[Mapping[str, str]] = None,
    timeout: float = 120,
) -> MacroRun:
    """Run the macro in `runnable_dir` to its end (or `timeout` seconds) and return what it produced."""
    runnable_dir = Path(runnable_dir).resolve()
    script = runnable_dir / "runnable.py"
    if not script.is_file():
        raise FileNotFoundError(f"No runnable.py in {runnable_dir}")
    root = plugin_root_of(runnable_dir, "python-runnables")
    command = {
        "projectKey": project_key,
        # [I] macros get their params (and adminParams) with presets resolved, and plugin.json params directly.
        "config": resolve_presets(config, presets),
        "pluginConfig": plugin_config or {},
        "code": script.read_text(encoding="utf-8"),
    }
    env = build_env(root, backend_url=backend_url, ticket=ticket, project_key=project_key, extra_env=extra_env)

    work_dir = Path(tempfile.mkdtemp(prefix="dss-macro-"))
    start = time.monotonic()
    try:
        (work_dir / _COMMAND_FILE).write_text(json.dumps(command), encoding="utf-8")
        timed_out = False
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "dataiku.runnables.server", str(work_dir)],
                cwd=work_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=timeout,
            )
            log, exit_code = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as e:
            timed_out = True
            out = e.stdout or ""
            log, exit_code = (out.decode("utf-8", "replace") if isinstance(out, bytes) else out), None
        duration = time.monotonic() - start
        answer = _read_answer(work_dir / _RESULT_FILE)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)

    if timed_out:
        error = f"Macro did not finish within {timeout}s and was killed"
        return MacroRun(ok=False, result="", error=error, progress=[], log=log, duration=duration)
    if answer is None:
        error = f"Macro process exited with code {exit_code} without a result"
        return MacroRun(ok=False, result="", error=error, progress=[], log=log, duration=duration)
    return _to_run(answer, log, duration)


def _read_answer(path: Path) -> Optional[dict]:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _to_run(answer: dict, log: str, duration: float) -> MacroRun:
    progress: list[Any] = answer.get("progress") or []
    if answer.get("ok"):
        return MacroRun(
            ok=True,
            result=answer.get("result") or "",
            error="",
            progress=progress,
            log=log,
            progress_target=answer.get("progressTarget"),
            duration=duration,
        )
    return MacroRun(
        ok=False,
        result="",
        error=answer.get("message") or "Macro failed with no message",
        progress=progress,
        log=log,
        error_type=answer.get("errorType", ""),
        progress_target=answer.get("progressTarget"),
        duration=duration,
        extra={"traceback": answer.get("traceback", "")},
    )
