"""Authentication, authorization and DSS-like error bodies, through the real client and raw HTTP."""

from __future__ import annotations

import pytest
import requests
from dataikuapi.utils import DataikuException
from dss_simulator import ScenarioSpec

from .helpers import client


@pytest.fixture
def project(design):
    project = design.add_project("PK")
    project.add_scenario(ScenarioSpec(id="t1", marked_as_test=True))
    design.add_project("OTHER").add_scenario(ScenarioSpec(id="o1"))
    return project


def test_unknown_key_is_401_with_a_dss_error_body(design, project):
    resp = requests.get(design.url + "/dip/publicapi/projects/PK/scenarios/", auth=("nope", ""), timeout=5)
    assert resp.status_code == 401
    body = resp.json()
    assert body["errorType"].endswith("NotAuthenticatedException")
    assert body["message"] and body["detailedMessage"]
    with pytest.raises(DataikuException, match="NotAuthenticatedException"):
        client(design, "nope").get_project("PK").list_scenarios()


def test_missing_credentials_is_401(design, project):
    assert requests.get(design.url + "/dip/publicapi/projects/", timeout=5).status_code == 401


def test_key_without_rights_on_the_project_is_403(design, project):
    design.add_api_key("limited", user="u1", projects={"PK"})
    limited = client(design, "limited")
    assert [s["id"] for s in limited.get_project("PK").list_scenarios()] == ["t1"]
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        limited.get_project("OTHER").list_scenarios()
    # 403 before 404: a restricted key learns nothing about projects it cannot see
    resp = requests.get(design.url + "/dip/publicapi/projects/NOPE/scenarios/", auth=("limited", ""), timeout=5)
    assert resp.status_code == 403
    assert limited.list_project_keys() == ["PK"]


@pytest.mark.parametrize("path", [
    "/projects/NOPE/scenarios/",
    "/projects/PK/scenarios/missing",
    "/projects/PK/scenarios/t1/2020-01-01-00-00-00-000/",
    "/projects/PK/scenarios/t1/get-run-for-trigger?triggerId=manual&triggerRunId=nope",
])
def test_unknown_objects_are_404_with_a_dss_error_body(design, project, path):
    resp = requests.get(design.url + "/dip/publicapi" + path, auth=(design.admin_key, ""), timeout=5)
    assert resp.status_code == 404
    assert resp.json()["errorType"].endswith("NotFoundException")


def test_unknown_endpoint_is_a_bare_404(design, project):
    resp = requests.get(design.url + "/dip/publicapi/no/such/thing", auth=(design.admin_key, ""), timeout=5)
    assert resp.status_code == 404
    with pytest.raises(ValueError):
        resp.json()


def test_endpoints_newer_than_the_node_version_are_missing(sim):
    old = sim.add_design_node("old", dss_version="13.2.0")
    old.add_project("PK").add_scenario(ScenarioSpec(id="t1", marked_as_test=True))
    with pytest.raises(DataikuException, match="Unknown error"):
        client(old).get_project("PK").get_testing_status()
    assert client(old).get_instance_info().raw["dssVersion"] == "13.2.0"


def test_instance_info_names_the_node(design):
    info = client(design).get_instance_info()
    assert (info.node_type, info.node_id, info.node_name) == ("DESIGN", "design", "design")
