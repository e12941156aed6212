"""Shared fixtures: a DSS simulator per test, and helpers that run the plugin's steps the way DSS does."""

from pathlib import Path

import pytest
from dss_simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent


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


def pytest_terminal_summary(terminalreporter):
    """Prints the fault-injection ledger and the fault exploration's figures when those suites ran."""
    try:
        from explorer import EXPLORED, summary
        from faultkit import LEDGER
    except ImportError:
        return
    if LEDGER.steps_correct or LEDGER.steps_wrong:
        terminalreporter.write_line(LEDGER.summary())
    if EXPLORED:
        terminalreporter.write_line(summary(EXPLORED))
