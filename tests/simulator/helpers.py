"""Helpers shared by the simulator tests."""

from __future__ import annotations

import time
from typing import Callable, Optional, TypeVar

import dataikuapi
from dss_simulator import Node

T = TypeVar("T")


def client(node: Node, key: Optional[str] = None) -> dataikuapi.DSSClient:
    return dataikuapi.DSSClient(node.url, key or node.admin_key)


def wait_for(predicate: Callable[[], T], timeout: float = 2.0, interval: float = 0.01) -> T:
    """Poll the simulator's state until `predicate()` is truthy, within a bounded deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %.1fs" % timeout)
        time.sleep(interval)


def finished_run(node: Node, project_key: str, scenario_id: str, index: int = -1, timeout: float = 2.0):
    """The run at `index` once it has an outcome."""

    def ended():
        runs = node.runs(project_key, scenario_id)
        return runs[index] if runs and runs[index].outcome else None

    return wait_for(ended, timeout)


def parse_xml(content: bytes):
    """Parse a report the simulator itself wrote (trusted input)."""
    import xml.etree.ElementTree as ET

    return ET.fromstring(content)  # noqa: S314 - our own simulator's output
