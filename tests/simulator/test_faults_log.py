"""Fault injection and the request log."""

from __future__ import annotations

import time

import pytest
import requests
from dataikuapi.utils import DataikuException
from dss_simulator import ScenarioSpec

from .helpers import client


@pytest.fixture
def api(design):
    design.add_project("PK").add_scenario(ScenarioSpec(id="t1", duration=0.0))
    return client(design).get_project("PK")


def test_a_502_burst_then_success(design, api):
    design.faults.add(path_contains="/scenarios/", method="GET", status=502, times=3)
    for _ in range(3):
        with pytest.raises(DataikuException, match="502"):
            api.list_scenarios()
    assert [s["id"] for s in api.list_scenarios()] == ["t1"]
    statuses = [r.status for r in design.requests if r.path.endswith("/scenarios/")]
    assert statuses == [502, 502, 502, 200]


def test_retry_after_header(design, api):
    design.faults.add(path_contains="/scenarios/", status=503, retry_after=7)
    resp = requests.get(design.url + "/dip/publicapi/projects/PK/scenarios/", auth=(design.admin_key, ""),
                        timeout=5)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "7"


def test_dropped_connection(design, api):
    design.faults.add(path_contains="/run", method="POST", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get_scenario("t1").run()
    assert design.runs("PK", "t1") == []  # the request never reached the scenario
    assert api.get_scenario("t1").run_and_wait().outcome == "SUCCESS"
    assert design.requests[0].status == 0


def test_delay_then_normal_answer(design, api):
    design.faults.add(path_contains="/scenarios/", status=0, delay=0.2)
    start = time.monotonic()
    assert api.list_scenarios()
    assert time.monotonic() - start >= 0.2


def test_fault_method_filter_and_4xx_body(design, api):
    design.faults.add(path_contains="/scenarios/t1", method="PUT", status=403)
    settings = api.get_scenario("t1").get_settings()
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        settings.save()
    settings.save()
    assert design.faults.pending == 0


def test_request_counting(design, api):
    api.get_scenario("t1").run_and_wait()
    assert design.request_count(path_contains="/run", method="POST") == 1
    assert design.request_count(path_contains="get-run-for-trigger") >= 1
    assert design.request_count() == len(design.requests)
    record = design.requests[0]
    assert record.method == "POST" and record.path == "/dip/publicapi/projects/PK/scenarios/t1/run"
    assert record.status == 200 and record.user == "admin"
