"""Run a plugin scenario step (`python-steps/<id>/step.py`) the way DSS does.

DSS starts `step.py` as a plain script in its own process, passes the settings in `DKU_*` environment variables,
puts the plugin's `python-lib/` on the PYTHONPATH, and turns the exit status into the step outcome (reference
§2.3-§2.5). Here the internal `dataiku` package is the stand-in from `tooling/standin/`, and the backend is the DSS
simulator (or any server given by `backend_url`). Guessed DSS behaviour is marked `[I]`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

STANDIN_DIR = Path(__file__).resolve().parent.parent / "standin"

# Variables copied from the parent: what a process needs to start and to decode text, nothing about the test run.
_INHERITED_VARS = ("PATH", "HOME", "LANG")

# How long a step gets to exit after SIGTERM before it is killed (run_step with a timeout).
_KILL_GRACE_S = 5.0

_PRESET_KEYS = {"mode", "name", "inlinedConfig", "inlinedPluginConfig"}


@dataclass
class StepRun:
    """What DSS would record for one run of a plugin step."""

    outcome: str  # SUCCESS | FAILED | ABORTED
    exit_code: int  # negative: killed by that signal (Popen convention)
    log: str  # stdout and stderr interleaved, as in the DSS step log
    duration: float  # seconds


# --- settings --------------------------------------------------------------------------------------------------


def _is_preset_ref(value: Any) -> bool:
    # The stored form of a PRESET param (reference §1.3): a dict with "mode" and only the preset keys.
    return isinstance(value, dict) and "mode" in value and set(value) <= _PRESET_KEYS


def _resolve_value(value: Any, presets: Mapping[str, dict], where: str) -> Any:
    if _is_preset_ref(value):
        mode = value["mode"]
        if mode == "PRESET":
            name = value.get("name")
            if name not in presets:
                known = ", ".join(sorted(presets)) or "none"
                raise ValueError(f"Unknown preset {name!r} for parameter {where!r} (known presets: {known})")
            return json.loads(json.dumps(presets[name]))  # a copy: steps must not alter the preset store
        if mode == "INLINE":
            # [U] whether DSS merges "inlinedPluginConfig" into the resolved dict; the stand-in does not.
            return json.loads(json.dumps(value.get("inlinedConfig") or {}))
        if mode == "NONE":
            return None
        raise ValueError(f"Unknown preset mode {mode!r} for parameter {where!r}")
    if isinstance(value, list):
        # PRESETS params hold a list of refs [I]; OBJECT_LIST rows may hold PRESET sub-params.
        return [_resolve_value(v, presets, where) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_value(v, presets, f"{where}.{k}") for k, v in value.items()}
    return value


def resolve_presets(raw_config: dict, presets: Optional[Mapping[str, dict]] = None) -> dict:
    """The config as code sees it: {"mode": "PRESET", "name": n} -> presets[n] (a flat dict of the preset's params),
    {"mode": "INLINE", "inlinedConfig": c} -> c, {"mode": "NONE"} -> None. Unknown preset name -> ValueError."""
    presets = presets or {}
    return {k: _resolve_value(v, presets, k) for k, v in (raw_config or {}).items()}


# --- environment -----------------------------------------------------------------------------------------------


def parse_backend_url(backend_url: str) -> tuple[str, int]:
    """(host, port) of the backend. DSS code only rebuilds "http://host:port", so anything else cannot work."""
    parts = urlsplit(backend_url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"backend_url must be http://host:port, as dataiku.api_client() builds it: {backend_url!r}")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(f"backend_url must have no path: dataiku.api_client() drops it, got {backend_url!r}")
    return parts.hostname, parts.port or 80


def plugin_root_of(component_dir: Path, kind: str) -> Path:
    """The plugin's root folder: the parent of `python-steps/` (or `python-runnables/`)."""
    component_dir = Path(component_dir).resolve()
    if component_dir.parent.name != kind:
        raise ValueError(f"{component_dir} is not a {kind}/<id> folder of a plugin")
    return component_dir.parent.parent


def build_env(
    plugin_root: Path,
    *,
    backend_url: str,
    ticket: str,
    project_key: str,
    extra_env: Optional[Mapping[str, str]] = None,
) -> dict:
    """The environment every plugin process gets (steps and macros): backend, ticket, project, PYTHONPATH."""
    host, port = parse_backend_url(backend_url)
    env = {k: os.environ[k] for k in _INHERITED_VARS if k in os.environ}
    env.update(
        {
            "DKU_API_TICKET": ticket,
            "DKU_BACKEND_HOST": host,
            "DKU_BACKEND_PORT": str(port),
            "DKU_CURRENT_PROJECT_KEY": project_key,
            "DKU_SERVER_KIND": "BACKEND",
            # python-lib first, as DSS adds it for the plugin's components; then the `dataiku` stand-in, which in
            # DSS comes from the code env. Nothing from the test process's sys.path.
            "PYTHONPATH": os.pathsep.join([str(Path(plugin_root) / "python-lib"), str(STANDIN_DIR)]),
            # So the log shows prints in order with stderr and is complete if the step is killed.
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra_env or {})
    return env


# --- process ---------------------------------------------------------------------------------------------------


class StepProcess:
    """A started step. `wait()` gives its StepRun; `terminate()` is what DSS does when the scenario is aborted."""

    def __init__(self, popen: subprocess.Popen, work_dir: str):
        self._popen = popen
        self._work_dir = work_dir
        self._start = time.monotonic()
        self._chunks: list[str] = []
        self._lock = threading.Lock()
        self._abort_requested = False
        self._result: Optional[StepRun] = None
        self._ended: Optional[float] = None
        # A thread drains the pipe so a chatty step never blocks on a full pipe, and the log can be read live.
        self._reader = threading.Thread(target=self._read_output, name=f"step-log-{popen.pid}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self._popen.pid

    def _read_output(self) -> None:
        for line in iter(self._popen.stdout.readline, ""):
            with self._lock:
                self._chunks.append(line)
        # The pipe ends when the process does: this is when the step ended, to the millisecond.
        self._ended = time.monotonic()
        self._popen.stdout.close()

    def current_log(self) -> str:
        """The log so far (the simulator serves it while the step runs)."""
        with self._lock:
            return "".join(self._chunks)

    def poll(self) -> Optional[int]:
        return self._popen.poll()

    def _signal(self, sig: int) -> None:
        if self._popen.poll() is not None:
            return  # already ended: its own outcome stands
        self._abort_requested = True
        # [I] DSS stops the step's whole process tree; the step runs in its own session so children go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._popen.pid, sig)

    def terminate(self) -> None:
        """Send SIGTERM, as DSS does on scenario abort [I]. The run then ends as ABORTED."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: Optional[float] = None) -> StepRun:
        """Wait for the end of the step; raises subprocess.TimeoutExpired if `timeout` passes first."""
        if self._result is not None:
            return self._result
        # Joining the reader waits for the end of the output without polling (Popen.wait with a timeout polls
        # every 50 ms), then the exit status is there at once.
        self._reader.join(timeout)
        if self._reader.is_alive():
            raise subprocess.TimeoutExpired(self._popen.args, timeout)
        exit_code = self._popen.wait()
        shutil.rmtree(self._work_dir, ignore_errors=True)
        self._result = StepRun(
            outcome=_outcome(exit_code, self._abort_requested),
            exit_code=exit_code,
            log=self.current_log(),
            duration=(self._ended or time.monotonic()) - self._start,
        )
        return self._result


def _outcome(exit_code: int, abort_requested: bool) -> str:
    # DSS: normal end -> SUCCESS, uncaught exception (non-zero exit) -> FAILED (reference §2.5).
    # [I] killed by SIGTERM/SIGKILL -> ABORTED, and so is any end after an abort was requested (DSS marks the run
    # aborted whatever the script does in its signal handler).
    if exit_code in (-signal.SIGTERM, -signal.SIGKILL) or abort_requested:
        return "ABORTED"
    return "SUCCESS" if exit_code == 0 else "FAILED"


def start_step(
    step_dir,
    *,
    raw_config: dict,
    presets: Optional[Mapping[str, dict]] = None,
    plugin_params: Optional[dict] = None,
    backend_url: str,
    ticket: str,
    project_key: str,
    extra_env: Optional[Mapping[str, str]] = None,
) -> StepProcess:
    """Start `<step_dir>/step.py` as DSS does and return at once."""
    step_dir = Path(step_dir).resolve()
    script = step_dir / "step.py"
    if not script.is_file():
        raise FileNotFoundError(f"No step.py in {step_dir}")
    root = plugin_root_of(step_dir, "python-steps")
    resolved = resolve_presets(raw_config, presets)

    env = build_env(root, backend_url=backend_url, ticket=ticket, project_key=project_key)
    env.update(
        {
            # Raw params: PRESET refs stay refs (reference §2.4).
            "DKU_PLUGIN_STEP_CONFIG": json.dumps(raw_config or {}),
            # [I, strong] presets resolved under "config", plugin-level params under "pluginConfig".
            "DKU_PLUGIN_CONFIG": json.dumps({"config": resolved, "pluginConfig": plugin_params or {}}),
            "DKU_CUSTOM_RESOURCE_FOLDER": str(root / "resource"),
        }
    )
    env.update(extra_env or {})  # last, so a test or the simulator can override anything

    # [I] DSS runs each step in a fresh working directory of its own; a step must not depend on the cwd.
    work_dir = tempfile.mkdtemp(prefix="dss-step-")
    popen = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=work_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    return StepProcess(popen, work_dir)


def run_step(step_dir, *, timeout: Optional[float] = None, **kwargs) -> StepRun:
    """Start the step and wait for it. Past `timeout` seconds it is aborted (SIGTERM, then SIGKILL) -> ABORTED."""
    proc = start_step(step_dir, **kwargs)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            run = proc.wait(timeout=_KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            run = proc.wait()
        run.log += f"\n[step_runner] step aborted: still running after {timeout}s\n"
        return run
