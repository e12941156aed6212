"""A plugin step's view: a run held open, a ticket, and the tintercom endpoints (raw HTTP, like the stand-in)."""

from __future__ import annotations

import json

import dataikuapi
import pytest
import requests
from dss_simulator import ScenarioSpec

from .helpers import client

SET = "/dip/api/tintercom/scenarios/set-variables/"
GET_ALL = "/dip/api/tintercom/scenarios/get-all-variables"


@pytest.fixture
def project(design):
    project = design.add_project("PK", variables={"env": "dev"})
    project.add_scenario(ScenarioSpec(id="auto", name="Automate"))
    return project


def post(ctx, path, data=None):
    return requests.post("http://127.0.0.1:%d%s" % (ctx.backend_port, path), data=data,
                         headers={"X-DKU-APITicket": ctx.ticket}, timeout=5)


def test_variables_set_by_the_step_are_seen_everywhere(design, project):
    ctx = design.start_step_context("PK", "auto", user="alice")
    assert post(ctx, SET, {"variables": json.dumps({"bundle": "v3", "n": 2})}).status_code == 200
    assert ctx.variables == {"bundle": "v3", "n": 2}
    variables = post(ctx, GET_ALL).json()
    assert variables["bundle"] == "v3" and variables["env"] == "dev"
    assert variables["projectKey"] == "PK"
    assert variables["scenarioTriggerRunId"] == ctx.trigger_run_id != ctx.run_id
    assert variables["scenarioRunURL"] == ctx.scenario_run_url
    assert ctx.scenario_run_url == "%s/projects/PK/scenarios/auto/runs/list/%s" % (design.url, ctx.run_id)
    assert variables["dssURL"] == design.url
    assert design.request_count(path_contains="tintercom") == 2
    ctx.finish()
    assert design.runs("PK", "auto")[-1].outcome == "SUCCESS"


def test_the_running_scenario_is_listed_as_running(design, project):
    with design.start_step_context("PK", "auto") as ctx:
        item = client(design).get_project("PK").list_scenarios()[0]
        assert item["running"] is True
        assert client(design).get_project("PK").get_scenario("auto").get_current_run().id == ctx.run_id
    assert design.active_runs() == []


def test_the_ticket_works_with_the_public_api_until_the_run_ends(design, project):
    ctx = design.start_step_context("PK", "auto", user="alice")
    as_step = dataikuapi.DSSClient("http://127.0.0.1:%d" % ctx.backend_port, internal_ticket=ctx.ticket)
    assert as_step.get_project("PK").get_variables()["standard"] == {"env": "dev"}
    assert design.requests[-1].user == "alice"
    ctx.finish()
    assert post(ctx, GET_ALL).status_code == 401


def test_tintercom_needs_a_ticket(design, project):
    resp = requests.post(design.url + GET_ALL, auth=(design.admin_key, ""), timeout=5)
    assert resp.status_code == 401


def test_no_dss_url_means_no_run_url(design, project):
    design.dss_url_configured = False
    with design.start_step_context("PK", "auto") as ctx:
        variables = post(ctx, GET_ALL).json()
    assert "scenarioRunURL" not in variables and "dssURL" not in variables


def test_environ_points_at_the_backend(design, project):
    with design.start_step_context("PK", "auto") as ctx:
        env = ctx.environ()
    assert env["DKU_BACKEND_PORT"] == str(design.port) and env["DKU_API_TICKET"] == ctx.ticket
    assert env["DKU_CURRENT_PROJECT_KEY"] == "PK"


def test_an_aborted_step_run_stays_aborted(design, project):
    ctx = design.start_step_context("PK", "auto")
    client(design).get_project("PK").get_scenario("auto").abort()
    assert ctx.finished
    assert ctx.finish("SUCCESS") is False
    assert design.runs("PK", "auto")[-1].outcome == "ABORTED"


def test_a_ticket_without_a_run_reaches_the_public_api_only(design, project):
    ticket = design.issue_ticket("macro-user", projects={"PK"})
    resp = requests.get(design.url + "/dip/publicapi/projects/PK/variables/", headers={"X-DKU-APITicket": ticket},
                        timeout=5)
    assert resp.status_code == 200 and resp.json()["standard"] == {"env": "dev"}
    resp = requests.post(design.url + GET_ALL, headers={"X-DKU-APITicket": ticket}, timeout=5)
    assert resp.status_code == 400
