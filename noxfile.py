"""The compatibility matrix: the steps' and macros' integration tests and the simulator's tests, run with the
`dataiku-api-client` of each DSS line the plugin supports, each on a Python that line offers for code envs.

Inside DSS the plugin runs with that DSS's own `dataikuapi`, not the one requirements-dev.txt pins, so each session
installs requirements-dev.txt and then forces the line's client release over it (and nothing else). The pairs, the
Python facts behind them and the last results are in docs/compatibility.md.

    make compat                          # every pair (bootstraps .venv, which has nox)
    .venv/bin/nox -l                     # the sessions
    .venv/bin/nox -s "compat(dss-14.1)"  # one pair
    .venv/bin/nox -s compat -- -k gate   # arguments after -- go to pytest

An interpreter is found through pyenv (the newest installed patch of that minor version), else as pythonX.Y on
PATH. A pair whose Python is not on this machine is skipped with a line that says so; it does not fail.
"""

import os
import re
import shutil
import subprocess

import nox

# (DSS line, the last client release of that line on PyPI, the Python its session runs on).
# The oldest line runs on the oldest Python the plugin's code env accepts (code-env/python/desc.json: 3.9 to 3.12),
# the newest on the newest it accepts; the lines between spread over the rest.
PAIRS = [
    ("13.3", "13.3.3", "3.9"),
    ("14.0", "14.0.2", "3.10"),
    ("14.1", "14.1.4", "3.11"),
    ("14.3", "14.3.3", "3.12"),
    ("14.7", "14.7.5", "3.10"),
    ("15.2", "15.2.0", "3.12"),
]

# The steps and macros run as DSS runs them, and the simulator's own tests. Left out: the long fault explorations
# (`make faults`, and `make test` runs their sample) and the 13.3 client tests, which this matrix covers.
TEST_PATHS = ["tests/integration", "tests/simulator"]
LEFT_OUT = [
    "tests/integration/test_explorer.py",
    "tests/integration/test_faults.py",
    "tests/integration/test_older_clients.py",
]

nox.options.sessions = ["compat"]
nox.options.reuse_existing_virtualenvs = False


def _runs(python, version):
    """True when `python` starts and is that minor version (a bare pyenv shim refuses without PYENV_VERSION)."""
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return False
    return out.returncode == 0 and out.stdout.strip() == version


def _from_pyenv(version):
    if not shutil.which("pyenv"):
        return None
    try:
        listed = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True, timeout=30,
                                check=False).stdout.split()
    except OSError:
        return None
    patches = [v for v in listed if re.fullmatch(r"%s\.\d+" % re.escape(version), v)]
    if not patches:
        return None
    newest = max(patches, key=lambda v: int(v.rsplit(".", 1)[1]))
    env = dict(os.environ, PYENV_VERSION=newest)
    found = subprocess.run(["pyenv", "which", "python"], capture_output=True, text=True, timeout=30, env=env,
                           check=False).stdout.strip()
    return found if found and _runs(found, version) else None


def find_python(version):
    """The full path of a Python `version` (such as "3.9") on this machine, or None."""
    found = _from_pyenv(version)
    if found:
        return found
    on_path = shutil.which("python%s" % version)
    return on_path if on_path and _runs(on_path, version) else None


INTERPRETERS = {version: find_python(version) for version in sorted({p for _, _, p in PAIRS})}


@nox.session
@nox.parametrize(
    "python,client,line,version",
    # python False (no virtualenv) for a missing interpreter: the session then only says it is skipped.
    [(INTERPRETERS[p] or False, c, line, p) for line, c, p in PAIRS],
    ids=["dss-%s" % line for line, _, _ in PAIRS],
)
def compat(session, client, line, version):
    """The steps, macros and simulator tests with one DSS line's client, on a Python that line offers."""
    if not session.python:
        session.skip("Python %s is not on this machine (neither pyenv nor python%s on PATH): DSS %s with "
                     "dataiku-api-client %s did not run" % (version, version, line, client))
    session.install("-r", "requirements-dev.txt")
    # The line's client over the pinned one, and nothing else: its dependencies (requests, python-dateutil) are the
    # same ranges in every release of the matrix.
    session.install("--no-deps", "--force-reinstall", "dataiku-api-client==%s" % client)
    session.run("python", "-c", "import sys, importlib.metadata as m; v = m.version('dataiku-api-client'); "
                "print('DSS %s: dataiku-api-client', v, 'on Python', sys.version.split()[0]); "
                "sys.exit(v != '%s')" % (line, client))
    session.run("python", "-m", "pytest", *TEST_PATHS, *["--ignore=%s" % path for path in LEFT_OUT],
                "-p", "no:cacheprovider", *session.posargs)
