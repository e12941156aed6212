"""Shared fixtures: a DSS simulator per test, and helpers that run the plugin's steps the way DSS does."""

import importlib.metadata
import sys
from pathlib import Path

import pytest
from dss_simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
STANDIN = ROOT / "tooling" / "standin"


@pytest.fixture
def dataiku(monkeypatch):
    """The stand-in package, imported fresh; DSS env cleared so the host's environment cannot leak in."""
    for var in ("DKU_API_TICKET", "DKU_BACKEND_HOST", "DKU_BACKEND_PORT", "DKU_CURRENT_PROJECT_KEY", "DKU_DSS_URL",
                "DKU_API_KEY", "DKU_CURRENT_SCENARIO_TRIGGER_FILE", "DKU_CALL_ORIGIN"):
        monkeypatch.delenv(var, raising=False)
    _forget_dataiku()
    monkeypatch.syspath_prepend(str(STANDIN))
    import dataiku as module

    assert module.IS_STANDIN and Path(module.__file__).is_relative_to(STANDIN)
    yield module
    _forget_dataiku()


def _forget_dataiku():
    for name in [n for n in sys.modules if n == "dataiku" or n.startswith("dataiku.")]:
        del sys.modules[name]


@pytest.fixture
def sim():
    simulator = Simulator()
    try:
        yield simulator
    finally:
        simulator.close()


@pytest.fixture
def design(sim):
    return sim.add_design_node("design")


# import-linter's acyclic contract needs Python 3.11+ (requirements-dev.txt): older Pythons leave it to CI's Python.
CONTRACT_PYTHON = (3, 11)


def _version(text: str) -> tuple:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def client_version() -> str:
    """The dataiku-api-client installed: the compatibility matrix puts each DSS line's in place of the pinned one."""
    return importlib.metadata.version("dataiku-api-client")


def _deselect(config, items, unfit, attribute):
    if unfit:
        config.hook.pytest_deselected(items=unfit)
        items[:] = [item for item in items if item not in unfit]
        setattr(config, attribute, len(unfit))


def pytest_collection_modifyitems(config, items):
    if sys.version_info < CONTRACT_PYTHON:
        _deselect(config, items, [item for item in items if item.get_closest_marker("contract")],
                  "contract_deselected")
    installed = _version(client_version())
    _deselect(config, items, [item for item in items if item.get_closest_marker("client")
                              and _version(item.get_closest_marker("client").args[0]) > installed],
              "client_deselected")


def pytest_terminal_summary(terminalreporter):
    """Says which checks this Python cannot run; prints the fault-injection ledger and the fault exploration's
    figures when those suites ran."""
    deselected = getattr(terminalreporter.config, "contract_deselected", 0)
    if deselected:
        terminalreporter.write_line("%d import-contract tests not run: they need Python %d.%d+ (this is %s)."
                                    % ((deselected,) + CONTRACT_PYTHON + (sys.version.split()[0],)))
    deselected = getattr(terminalreporter.config, "client_deselected", 0)
    if deselected:
        terminalreporter.write_line("%d tests not run: they use calls that dataiku-api-client %s lacks (what each DSS "
                                    "line's client lacks, and how the plugin copes: docs/compatibility.md)."
                                    % (deselected, client_version()))
    try:
        from explorer import EXPLORED, summary
        from faultkit import LEDGER
    except ImportError:
        return
    if LEDGER.steps_correct or LEDGER.steps_wrong:
        terminalreporter.write_line(LEDGER.summary())
    if EXPLORED:
        terminalreporter.write_line(summary(EXPLORED))
