"""The step and macro runners start plugin code the way DSS does (reference §2.3-§2.5, §3.2).

Each test writes a throwaway plugin tree (python-steps/, python-runnables/, python-lib/, resource/) and runs real
subprocesses. Calls that need a backend go to a tiny http.server fake on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from textwrap import dedent

import pytest
from dss_simulator.macro_runner import run_macro
from dss_simulator.step_runner import (
    STANDIN_DIR,
    parse_backend_url,
    resolve_presets,
    run_step,
    start_step,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
BACKEND = "http://127.0.0.1:9"  # nothing listens: for tests that make no backend call
PRESETS = {"qa": {"url": "https://qa:11200", "api_key": "k-qa", "verify_tls": True}}


@pytest.fixture
def plugin(tmp_path):
    root = tmp_path / "my-plugin"
    (root / "python-lib" / "mylib").mkdir(parents=True)
    (root / "python-lib" / "mylib" / "__init__.py").write_text("GREETING = 'hello from python-lib'\n")
    (root / "resource").mkdir()
    (root / "plugin.json").write_text('{"id": "my-plugin", "version": "0.0.1"}')
    return root


def make_step(plugin: Path, code: str, step_id: str = "x") -> Path:
    step_dir = plugin / "python-steps" / step_id
    step_dir.mkdir(parents=True, exist_ok=True)
    (step_dir / "step.py").write_text(dedent(code))
    return step_dir


def make_macro(plugin: Path, code: str, macro_id: str = "m") -> Path:
    macro_dir = plugin / "python-runnables" / macro_id
    macro_dir.mkdir(parents=True, exist_ok=True)
    (macro_dir / "runnable.py").write_text(dedent(code))
    return macro_dir


def step_kwargs(**over):
    kwargs = {"raw_config": {}, "backend_url": BACKEND, "ticket": "tkt", "project_key": "PK"}
    kwargs.update(over)
    return kwargs


# --- presets ---------------------------------------------------------------------------------------------------


def test_resolve_presets_all_modes():
    raw = {
        "node": {"mode": "PRESET", "name": "qa"},
        "inline": {"mode": "INLINE", "inlinedConfig": {"url": "https://x"}, "inlinedPluginConfig": {}},
        "none": {"mode": "NONE"},
        "many": [{"mode": "PRESET", "name": "qa"}],
        "plain": {"mode": "fast", "level": 2},  # a MAP that happens to have a "mode" key is not a preset
        "n": 3,
    }
    resolved = resolve_presets(raw, PRESETS)
    assert resolved == {
        "node": PRESETS["qa"], "inline": {"url": "https://x"}, "none": None, "many": [PRESETS["qa"]],
        "plain": {"mode": "fast", "level": 2}, "n": 3,
    }
    assert raw["node"] == {"mode": "PRESET", "name": "qa"}  # input untouched
    resolved["node"]["url"] = "changed"
    assert PRESETS["qa"]["url"] == "https://qa:11200"  # presets not shared with the result


def test_resolve_presets_unknown_name():
    with pytest.raises(ValueError, match="'prod'.*'node'"):
        resolve_presets({"node": {"mode": "PRESET", "name": "prod"}}, PRESETS)


def test_backend_url_must_be_plain_http():
    assert parse_backend_url("http://127.0.0.1:8123") == ("127.0.0.1", 8123)
    for bad in ("https://dss:443", "http://dss:1/prefix", "dss:1"):
        with pytest.raises(ValueError):
            parse_backend_url(bad)


# --- step runner -----------------------------------------------------------------------------------------------

ENV_DUMP_STEP = """
    import json, os, sys
    import dataiku
    from dataiku.customstep import get_step_config, get_plugin_config, get_step_resource
    import mylib
    try:
        import dss_simulator
        simulator_importable = True
    except ImportError:
        simulator_importable = False
    with open(os.environ["OUT_FILE"], "w") as f:
        json.dump({
            "step_config": get_step_config(), "plugin_config": get_plugin_config(), "resource": get_step_resource(),
            "env": {k: v for k, v in os.environ.items()}, "cwd": os.getcwd(), "sys_path": sys.path,
            "dataiku": dataiku.__file__, "standin": getattr(dataiku, "IS_STANDIN", False), "mylib": mylib.GREETING,
            "simulator_importable": simulator_importable,
        }, f)
"""


def test_step_env_shapes_and_isolation(plugin, tmp_path, monkeypatch):
    monkeypatch.setenv("LEAKY_TEST_VAR", "should not reach the step")
    out = tmp_path / "dump.json"
    raw = {"node": {"mode": "PRESET", "name": "qa"}, "n": 3}
    run = run_step(
        make_step(plugin, ENV_DUMP_STEP),
        **step_kwargs(raw_config=raw, presets=PRESETS, plugin_params={"default_timeout_s": 60},
                      backend_url="http://127.0.0.1:8123", ticket="tkt-7", project_key="PROJ",
                      extra_env={"OUT_FILE": str(out)}),
        timeout=60,
    )
    assert (run.outcome, run.exit_code) == ("SUCCESS", 0), run.log
    dump = json.loads(out.read_text())
    assert dump["step_config"] == raw  # raw: presets still refs
    assert dump["plugin_config"] == {"config": {"node": PRESETS["qa"], "n": 3},
                                     "pluginConfig": {"default_timeout_s": 60}}
    assert dump["resource"] == str(plugin.resolve() / "resource")
    env = dump["env"]
    assert (env["DKU_API_TICKET"], env["DKU_BACKEND_HOST"], env["DKU_BACKEND_PORT"]) == ("tkt-7", "127.0.0.1", "8123")
    assert env["DKU_CURRENT_PROJECT_KEY"] == "PROJ"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PYTHONPATH"] == os.pathsep.join([str(plugin.resolve() / "python-lib"), str(STANDIN_DIR)])
    assert env["PATH"] == os.environ["PATH"]
    assert "LEAKY_TEST_VAR" not in env
    # Isolation: the stand-in `dataiku`, the plugin's python-lib, nothing from the test process's own path.
    assert dump["standin"] and dump["dataiku"].startswith(str(STANDIN_DIR))
    assert dump["mylib"] == "hello from python-lib"
    assert not dump["simulator_importable"]
    for leaked in (REPO_ROOT / "tooling", REPO_ROOT / "python-lib", REPO_ROOT / "tests" / "unit"):
        assert str(leaked) not in dump["sys_path"]
    # A fresh working directory, removed afterwards.
    assert Path(dump["cwd"]).name.startswith("dss-step-") and not Path(dump["cwd"]).exists()


@pytest.mark.parametrize(
    ("code", "outcome", "exit_code", "in_log"),
    [
        ("print('all good')", "SUCCESS", 0, "all good"),
        ("raise Exception('QA status is not clean for bundle b1')", "FAILED", 1,
         "Exception: QA status is not clean for bundle b1"),
        ("import sys; sys.exit(3)", "FAILED", 3, ""),
    ],
)
def test_step_exit_code_gives_outcome(plugin, code, outcome, exit_code, in_log):
    run = run_step(make_step(plugin, code), **step_kwargs(), timeout=60)
    assert (run.outcome, run.exit_code) == (outcome, exit_code), run.log
    assert in_log in run.log
    assert run.duration > 0


def test_step_log_interleaves_stdout_and_stderr(plugin):
    code = """
        import logging, sys
        print("one")
        sys.stderr.write("two\\n")
        print("three")
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
        logging.info("four")
    """
    run = run_step(make_step(plugin, code), **step_kwargs(), timeout=60)
    assert run.log.splitlines() == ["one", "two", "three", "INFO four"]


def test_terminate_aborts_the_step(plugin):
    code = """
        import time
        print("ready", flush=True)
        time.sleep(60)
        print("never")
    """
    proc = start_step(make_step(plugin, code), **step_kwargs())
    deadline = time.monotonic() + 30
    while "ready" not in proc.current_log():
        assert time.monotonic() < deadline, "step did not start"
        time.sleep(0.05)
    proc.terminate()
    run = proc.wait(timeout=10)
    assert (run.outcome, run.exit_code) == ("ABORTED", -signal.SIGTERM)
    assert "ready" in run.log and "never" not in run.log


def test_terminate_after_the_end_keeps_the_outcome(plugin):
    proc = start_step(make_step(plugin, "print('done')"), **step_kwargs())
    proc.wait(timeout=30)
    proc.terminate()
    assert proc.wait().outcome == "SUCCESS"


def test_wait_timeout_raises_and_run_step_timeout_aborts(plugin):
    step_dir = make_step(plugin, "import time\nprint('start', flush=True)\ntime.sleep(60)\n")
    proc = start_step(step_dir, **step_kwargs())
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.2)
    proc.terminate()
    assert proc.wait(timeout=10).outcome == "ABORTED"

    run = run_step(step_dir, **step_kwargs(), timeout=1)
    assert run.outcome == "ABORTED"
    assert "still running after 1s" in run.log


def test_step_talks_to_the_backend(plugin, backend):
    code = """
        import dataiku
        from dataiku.scenario import Scenario
        s = Scenario()
        s.set_scenario_variables(tgd_outcome="SUCCESS", tgd_total=2)
        print("vars", sorted(s.get_all_variables()))
        print("projects", dataiku.api_client().list_project_keys())
    """
    run = run_step(make_step(plugin, code), **step_kwargs(backend_url=backend.url, ticket="tkt-b"), timeout=60)
    assert run.outcome == "SUCCESS", run.log
    assert "vars ['projectKey', 'tgd_outcome', 'tgd_total']" in run.log
    assert "projects ['PK']" in run.log
    assert backend.variables["tgd_total"] == 2
    assert {r["headers"].get("X-DKU-APITicket") for r in backend.requests} == {"tkt-b"}


def test_step_dir_must_be_in_python_steps(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "step.py").write_text("pass\n")
    with pytest.raises(ValueError, match="python-steps"):
        start_step(tmp_path / "elsewhere", **step_kwargs())


# --- macro runner ----------------------------------------------------------------------------------------------


def macro_kwargs(**over):
    kwargs = {"config": {}, "backend_url": BACKEND, "ticket": "tkt", "project_key": "PK", "timeout": 60}
    kwargs.update(over)
    return kwargs


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ("'<h1>ok</h1>'", "<h1>ok</h1>"),
        ("{'projectKey': 'NEW'}", json.dumps({"projectKey": "NEW"})),
        ("42", "42"),
        ("None", ""),
    ],
)
def test_macro_result_serialisation(plugin, returned, expected):
    code = f"""
        from dataiku.runnables import Runnable
        class M(Runnable):
            def run(self, progress_callback):
                return {returned}
    """
    run = run_macro(make_macro(plugin, code), **macro_kwargs())
    assert run.ok, run.error + run.log
    assert run.result == expected


def test_macro_result_table(plugin):
    code = """
        from dataiku.runnables import Runnable, ResultTable
        class M(Runnable):
            def run(self, progress_callback):
                t = ResultTable()
                t.add_column("s", "Scenario")
                t.add_record(["T1"])
                return t
    """
    run = run_macro(make_macro(plugin, code), **macro_kwargs())
    assert json.loads(run.result)["records"] == [["T1"]]


@pytest.mark.parametrize(
    ("init", "expected"),
    [
        ("def __init__(self): self.seen = []", []),
        ("def __init__(self, project_key): self.seen = [project_key]", ["PK"]),
        ("def __init__(self, project_key, config): self.seen = [project_key, config]", ["PK", {"a": 1}]),
        ("def __init__(self, pk, cfg, plugin_cfg): self.seen = [pk, cfg, plugin_cfg]", ["PK", {"a": 1}, {"p": 2}]),
        ("pass  # inherits Runnable.__init__", None),
    ],
)
def test_macro_constructor_arity(plugin, init, expected):
    code = f"""
        from dataiku.runnables import Runnable
        class M(Runnable):
            {init}
            def run(self, progress_callback):
                return {{"seen": getattr(self, "seen", None),
                         "attrs": [getattr(self, "project_key", None), getattr(self, "config", None)]}}
    """
    run = run_macro(make_macro(plugin, code), **macro_kwargs(config={"a": 1}, plugin_config={"p": 2}))
    assert run.ok, run.error + run.log
    result = json.loads(run.result)
    assert result["seen"] == expected
    if expected is None:
        assert result["attrs"] == ["PK", {"a": 1}]


def test_macro_with_two_runnables_is_rejected(plugin):
    code = """
        from dataiku.runnables import Runnable
        class A(Runnable):
            def run(self, progress_callback): return "a"
        class B(Runnable):
            def run(self, progress_callback): return "b"
    """
    run = run_macro(make_macro(plugin, code), **macro_kwargs())
    assert not run.ok
    assert run.error.startswith("Multiple classes inheriting <class 'dataiku.runnables.runnable.Runnable'> defined")


def test_macro_base_class_from_python_lib_counts_as_a_second_runnable(plugin):
    # The DSS pitfall in reference §3.2: a Runnable base class imported into runnable.py is found too.
    (plugin / "python-lib" / "mylib" / "base.py").write_text(
        "from dataiku.runnables import Runnable\nclass BaseMacro(Runnable):\n    pass\n")
    code = """
        from mylib.base import BaseMacro
        class M(BaseMacro):
            def run(self, progress_callback): return "x"
    """
    run = run_macro(make_macro(plugin, code), **macro_kwargs())
    assert not run.ok and "Multiple classes inheriting" in run.error


def test_macro_without_runnable_is_rejected(plugin):
    run = run_macro(make_macro(plugin, "X = 1\n"), **macro_kwargs())
    assert not run.ok
    assert run.error == "No class inheriting <class 'dataiku.runnables.runnable.Runnable'> defined"


def test_macro_failure_reports_message_and_traceback(plugin):
    code = """
        from dataiku.runnables import Runnable
        class M(Runnable):
            def run(self, progress_callback):
                progress_callback(1)
                raise ValueError("deployment 'prod' not found")
    """
    run = run_macro(make_macro(plugin, code), **macro_kwargs())
    assert not run.ok
    assert run.error == "deployment 'prod' not found"
    assert run.error_type == "<class 'ValueError'>"
    assert run.progress == [1]
    assert "Traceback" in run.log and "ValueError" in run.log


def test_macro_progress(plugin):
    code = """
        from dataiku.runnables import Runnable
        class WithTarget(Runnable):
            def get_progress_target(self):
                return (3, "FILES")
            def run(self, progress_callback):
                for i in range(1, 4):
                    progress_callback(i)
                return "done"
    """
    run = run_macro(make_macro(plugin, code), **macro_kwargs())
    assert run.ok and run.progress == [1, 2, 3]
    assert run.progress_target == {"target": 3, "unit": "FILES"}

    code = """
        from dataiku.runnables import Runnable
        class NoTarget(Runnable):
            def run(self, progress_callback):
                progress_callback(7)
    """
    run = run_macro(make_macro(plugin, code, "m2"), **macro_kwargs())
    assert run.ok and run.progress == [7] and run.progress_target is None
    assert "Progress : 7" in run.log


def test_macro_config_presets_env_and_file(plugin, backend):
    code = """
        import os, sys
        import dataiku
        import mylib
        from dataiku.runnables import Runnable
        class M(Runnable):
            def run(self, progress_callback):
                print("log line from the macro")
                return {"config": self.config, "plugin": self.plugin_config, "file": os.path.basename(__file__),
                        "projects": dataiku.api_client().list_project_keys(), "lib": mylib.GREETING,
                        "project_env": os.environ["DKU_CURRENT_PROJECT_KEY"]}
    """
    raw = {"node": {"mode": "PRESET", "name": "qa"}, "n": 3}
    run = run_macro(make_macro(plugin, code),
                    **macro_kwargs(config=raw, presets=PRESETS, plugin_config={"p": 1}, backend_url=backend.url,
                                   ticket="tkt-m", project_key="PROJ"))
    assert run.ok, run.error + run.log
    result = json.loads(run.result)
    assert result["config"] == {"node": PRESETS["qa"], "n": 3}
    assert result["plugin"] == {"p": 1}
    assert result["file"] == "dku_code.py"  # loaded from a temp copy, as in DSS
    assert result["projects"] == ["PK"] and result["lib"] == "hello from python-lib"
    assert result["project_env"] == "PROJ"
    assert backend.requests[-1]["headers"].get("X-DKU-APITicket") == "tkt-m"
    assert "log line from the macro" in run.log


def test_macro_timeout(plugin):
    code = """
        import time
        from dataiku.runnables import Runnable
        class M(Runnable):
            def run(self, progress_callback):
                time.sleep(60)
    """
    run = run_macro(make_macro(plugin, code), **macro_kwargs(timeout=1))
    assert not run.ok and "did not finish within 1s" in run.error
