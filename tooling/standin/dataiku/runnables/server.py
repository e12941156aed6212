"""Child side of a macro run: `python -m dataiku.runnables.server <workdir>`.

Mirrors DSS 9 `dataiku/runnables/server.py`, which DSS starts once per macro run. DSS talks to it over a socket;
the stand-in uses two files in `<workdir>` instead, because stdout is the run's log:
- in:  `command.json` = {"projectKey", "config", "pluginConfig", "code"} (the same keys DSS sends);
- out: `result.json`  = {"ok", "result", "progressTarget", "progress"} or {"ok": false, "errorType", "message",
  "traceback", "progress"}.
"""

import importlib.util
import inspect
import json
import os
import sys
import tempfile
import traceback

from dataiku.runnables.runnable import Runnable

COMMAND_FILE = "command.json"
RESULT_FILE = "result.json"


def get_clazz_in_code(code, parent_clazz, work_dir):
    """The unique subclass of `parent_clazz` defined (or imported) by `code`.

    Like DSS, the code is copied to a temp `dku_code.py` and loaded from there, so `__file__` is meaningless.
    """
    code_dir = tempfile.mkdtemp(prefix="tmp_folder_", dir=work_dir)
    code_file = os.path.join(code_dir, "dku_code.py")
    with open(code_file, "wb") as f:
        f.write(code.encode("utf-8"))
    spec = importlib.util.spec_from_file_location("dku_nomatter_module_name", code_file)
    module = importlib.util.module_from_spec(spec)
    # imp.load_source (used by DSS) registers the module; dataclasses and pickling in macro code rely on it.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)

    clazz = None
    for name in dir(module):
        value = getattr(module, name)
        if inspect.isclass(value) and issubclass(value, parent_clazz) and value is not parent_clazz:
            if clazz is not None:
                raise Exception(
                    f"Multiple classes inheriting {parent_clazz} defined, already had {clazz} and found {value}"
                )
            clazz = value
    if clazz is None:
        # [I] DSS 9 then fails on `None.__init__` with an obscure error; the stand-in says what is wrong.
        raise Exception(f"No class inheriting {parent_clazz} defined")
    return clazz


# The macro server of older DSS counts the constructor's arguments with inspect.getargspec (seen in a real package),
# which Python 3.11 removed; DKU_STANDIN_OLD_MACRO_SERVER=1 makes the stand-in do the same.
OLD_SERVER = "DKU_STANDIN_OLD_MACRO_SERVER"


def instantiate(clazz, project_key, config, plugin_config):
    """Call the constructor with as many args as `__init__` names (self included), as DSS does."""
    argspec = inspect.getargspec if os.getenv(OLD_SERVER) == "1" else inspect.getfullargspec
    arg_count = len(argspec(clazz.__init__).args)
    args = [project_key, config, plugin_config]
    if not 1 <= arg_count <= 4:
        raise Exception(f"Wrong signature of the Runnable subclass: {arg_count} args")
    return clazz(*args[: arg_count - 1])


def serialise_result(result):
    """to_json() if the object has one, json.dumps for a dict, the value itself otherwise (DSS's order)."""
    if result is None:
        return None
    to_json = getattr(result, "to_json", None)
    if to_json is not None and callable(to_json):
        result = to_json()
    elif isinstance(result, dict):
        result = json.dumps(result)
    if isinstance(result, bytes):
        return result.decode("utf-8")
    return result if isinstance(result, str) else str(result)


def _jsonable(value):
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


class _Progress:
    """Records what the macro reports; DSS forwards it to the UI (PROGRESS_INFO / PROGRESS_CHANGE)."""

    def __init__(self):
        self.target = None
        self.values = []

    def start(self, get_progress_target):
        info = get_progress_target()
        if info is not None:
            self.target = {
                "target": _jsonable(info[0]) if len(info) >= 1 else -1,
                "unit": _jsonable(info[1]) if len(info) >= 2 else "NONE",
            }

    def __call__(self, current):
        if self.target is None:
            # What DSS's no-op callback does when the macro declared no progress target.
            print(f"Progress : {current}")
        self.values.append(_jsonable(current))


def serve(work_dir):
    with open(os.path.join(work_dir, COMMAND_FILE)) as f:
        command = json.load(f)
    progress = _Progress()
    try:
        clazz = get_clazz_in_code(command["code"], Runnable, work_dir)
        runnable = instantiate(
            clazz, command.get("projectKey", {}), command.get("config", {}), command.get("pluginConfig", {})
        )
        progress.start(runnable.get_progress_target)
        result = serialise_result(runnable.run(progress))
        if result is not None:
            print(f"the result is {result}")
        answer = {"ok": True, "result": result, "progressTarget": progress.target, "progress": progress.values}
    except Exception as e:
        traceback.print_exc()
        answer = {
            "ok": False,
            "errorType": str(type(e)),
            "message": str(e.args[0]) if e.args else str(e),
            "traceback": traceback.format_exc(),
            "progressTarget": progress.target,
            "progress": progress.values,
        }
    sys.stdout.flush()
    tmp = os.path.join(work_dir, RESULT_FILE + ".part")
    with open(tmp, "w") as f:
        json.dump(answer, f)
    os.replace(tmp, os.path.join(work_dir, RESULT_FILE))


if __name__ == "__main__":
    serve(sys.argv[1])
