"""Fixtures for the simulator's own tests: every simulator is closed, so no server outlives its test."""

from __future__ import annotations

import pytest
from dss_simulator import Node, Simulator


@pytest.fixture
def sim():
    simulator = Simulator()
    try:
        yield simulator
    finally:
        simulator.close()


@pytest.fixture
def design(sim: Simulator) -> Node:
    return sim.add_design_node("design")
