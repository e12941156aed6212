"""The simulated Govern node, through the real dataikuapi GovernClient over HTTP: synced bundles and their Govern
items, the lookup routes, sync delay, sign-offs and feedback, uploaded files attached to a File field, errors."""

from __future__ import annotations

import io

import dataikuapi
import pytest
import requests
from dataikuapi.govern.artifact_search import (
    GovernArtifactFilterArchivedStatus,
    GovernArtifactFilterArtifacts,
    GovernArtifactFilterBlueprints,
    GovernArtifactFilterFieldValue,
    GovernArtifactSearchQuery,
    GovernArtifactSearchSortName,
)
from dataikuapi.utils import DataikuException
from dss_simulator import ScenarioSpec

from .helpers import client, wait_for

DATAIKU_PROJECT = "bp.system.dataiku_project"
GOVERN_PROJECT = "bp.system.govern_project"
DATAIKU_BUNDLE = "bp.system.dataiku_bundle"
GOVERN_BUNDLE = "bp.system.govern_bundle"
EVIDENCE = "qa_evidence"


@pytest.fixture
def gov(sim):
    return sim.add_govern_node("govern")


@pytest.fixture
def g(gov, design):
    """The Govern model, watching the design node, where project PK exists."""
    design.add_project("PK")
    gov.govern.watch(design)
    return gov.govern


@pytest.fixture
def gc(gov):
    return dataikuapi.GovernClient(gov.url, api_key=gov.admin_key)


@pytest.fixture
def qa_key(gov, g):
    """A key in the feedback group qa-evidence, acting as qa-bot."""
    gov.add_api_key("qa-key", user="qa-bot")
    g.add_feedback_group("qa-evidence", keys=["qa-key"])
    return "qa-key"


def search(gc, *filters, page_size=20):
    query = GovernArtifactSearchQuery(artifact_filters=list(filters))
    return gc.new_artifact_search_request(query).fetch_next_batch(page_size).get_raw()


def bundle_item(gc, node_id, project_key, bundle_id):
    """Route B: the Dataiku bundle by node id, project key and name (== bundle id)."""
    hits = search(gc, GovernArtifactFilterBlueprints([DATAIKU_BUNDLE]), GovernArtifactFilterArchivedStatus(False),
                  GovernArtifactFilterFieldValue("EQUALS", condition=node_id, field_id="node_id"),
                  GovernArtifactFilterFieldValue("EQUALS", condition=project_key, field_id="project_key"),
                  GovernArtifactFilterFieldValue("EQUALS", condition=bundle_id))["uiArtifacts"]
    return [h["artifact"] for h in hits]


def last_status(gov):
    return gov.requests[-1].status


def governed_bundle(g, design, bundle_id="v1", file_field=None):
    g.govern_project("design", "PK", signoff_step="review", file_field=file_field)
    design.export_bundle("PK", bundle_id)
    return g.bundle("PK", bundle_id, node_id="design")


# ----------------------------------------------------------------------------- sync and lookup
def test_synced_bundle_is_found_by_name_and_node_id_and_leads_to_its_govern_bundle(sim, gov, g, gc, design):
    other = sim.add_design_node("other")
    other.add_project("PK")
    g.watch(other)
    g.govern_project("design", "PK")
    design.export_bundle("PK", "v1")
    other.export_bundle("PK", "v1")  # the same project key and bundle id on another node, ungoverned

    assert gc.get_instance_info().node_type == "GOVERN"
    [item] = bundle_item(gc, "design", "PK", "v1")
    assert item["blueprintVersionId"] == {"blueprintId": DATAIKU_BUNDLE, "versionId": "bv.system.default"}
    assert item["fields"]["node_id"] == "design" and item["fields"]["project_key"] == "PK"
    govern_bundle = gc.get_artifact(item["fields"]["governed_by"]).get_definition()
    raw = govern_bundle.get_raw()
    assert raw["blueprintVersionId"]["blueprintId"] == GOVERN_BUNDLE
    assert raw["fields"]["dataiku_item"] == [item["id"]]
    assert raw["workflow"]["steps"]["review"]["status"] == "ONGOING"
    assert govern_bundle.get_blueprint_version().blueprint_id == GOVERN_BUNDLE
    assert raw["id"] == g.bundle("PK", "v1", node_id="design").id
    [theirs] = bundle_item(gc, "other", "PK", "v1")
    assert "governed_by" not in theirs["fields"]
    # the Dataiku bundle points at its Dataiku project, which is governed
    project = gc.get_artifact(item["fields"]["dataiku_project"]).get_definition().get_raw()
    assert project["blueprintVersionId"]["blueprintId"] == DATAIKU_PROJECT and project["name"] == "PK"
    assert gc.get_artifact(project["fields"]["governed_by"]).get_definition().get_raw()[
        "blueprintVersionId"]["blueprintId"] == GOVERN_PROJECT


def test_sync_delay_hides_the_items_until_the_sync_has_happened(gov, g, gc, design):
    g.govern_project("design", "PK")
    g.sync_delay = 0.3  # only polled for, never slept
    design.export_bundle("PK", "v1")
    pending = [a for a in g.artifacts.values() if a.name == "v1"]
    assert len(pending) == 2  # the Dataiku bundle and its Govern bundle, both pending
    assert bundle_item(gc, "design", "PK", "v1") == []
    with pytest.raises(DataikuException, match="NotFoundException"):
        gc.get_artifact(pending[0].id).get_definition()
    assert g.bundle("PK", "v1", node_id="design") is None
    assert not g.synced()

    wait_for(g.synced)
    [item] = bundle_item(gc, "design", "PK", "v1")
    assert gc.get_artifact(item["fields"]["governed_by"]).get_signoff("review").get_definition().get_raw()[
        "status"] == "WAITING_FOR_FEEDBACK"
    assert g.bundle("PK", "v1", node_id="design") is not None


def test_ungoverned_project_has_no_governed_by(gov, g, gc, design):
    items = g.add_bundle("design", "PK", "v1")
    assert items.govern_bundle is None and g.bundle("PK", "v1") is None
    [item] = bundle_item(gc, "design", "PK", "v1")
    assert item["id"] == items.item.id and "governed_by" not in item["fields"]
    project = gc.get_artifact(item["fields"]["dataiku_project"]).get_definition().get_raw()
    assert "governed_by" not in project["fields"]
    assert search(gc, GovernArtifactFilterBlueprints([GOVERN_BUNDLE, GOVERN_PROJECT]))["uiArtifacts"] == []


def test_bundles_exported_by_a_step_or_a_deployer_publish_are_synced(gov, g, gc, design):
    g.govern_project("design", "PK")
    design.deployer.publish_bundle("PK", "v1")  # exported on the fly
    steps = [{"id": "b", "name": "Create bundle", "type": "prepare_bundle", "params": {"bundleId": "v2"}}]
    design.project("PK").add_scenario(ScenarioSpec(id="auto"), settings={
        "id": "auto", "name": "auto", "projectKey": "PK", "type": "step_based", "active": True,
        "params": {"steps": steps}})
    design.run_scenario("PK", "auto")
    assert design.wait_for_run("PK", "auto").outcome == "SUCCESS"
    for bundle_id in ("v1", "v2"):
        [item] = bundle_item(gc, "design", "PK", bundle_id)
        assert item["fields"]["governed_by"] == g.bundle("PK", bundle_id).id


def test_route_through_the_govern_project(gov, g, gc, design):
    g.govern_project("design", "PK")
    for bundle_id in ("v1", "v2"):
        design.export_bundle("PK", bundle_id)
    [project] = search(gc, GovernArtifactFilterBlueprints([DATAIKU_PROJECT]),
                       GovernArtifactFilterFieldValue("EQUALS", condition="design", field_id="node_id"),
                       GovernArtifactFilterFieldValue("EQUALS", condition="PK", field_id="project_key"))["uiArtifacts"]
    govern_project = gc.get_artifact(project["artifact"]["fields"]["governed_by"]).get_definition().get_raw()
    assert govern_project["fields"]["dataiku_item"] == [project["artifact"]["id"]]
    names = {}
    for gb_id in govern_project["fields"]["govern_bundles"]:
        gb = gc.get_artifact(gb_id).get_definition().get_raw()
        names[gc.get_artifact(gb["fields"]["dataiku_item"][0]).get_definition().get_raw()["name"]] = gb_id
    assert names == {"v1": g.bundle("PK", "v1").id, "v2": g.bundle("PK", "v2").id}


def test_search_filters_paging_and_sort(gov, g, gc, design):
    for bundle_id in ("rel-1", "rel-2", "Hotfix-3"):
        g.add_bundle("design", "PK", bundle_id)
    bundles = GovernArtifactFilterBlueprints([DATAIKU_BUNDLE])

    def names(*filters):
        return [h["artifact"]["name"] for h in search(gc, bundles, *filters)["uiArtifacts"]]

    assert names(GovernArtifactFilterFieldValue("START_WITH", condition="REL")) == ["rel-1", "rel-2"]
    assert names(GovernArtifactFilterFieldValue("START_WITH", condition="REL", case_sensitive=True)) == []
    assert names(GovernArtifactFilterFieldValue("END_WITH", condition="-3")) == ["Hotfix-3"]
    assert names(GovernArtifactFilterFieldValue("CONTAINS", condition="fix")) == ["Hotfix-3"]
    assert names(GovernArtifactFilterFieldValue("CONTAINS", condition="rel", negate_condition=True)) == ["Hotfix-3"]
    assert names(GovernArtifactFilterFieldValue("EQUALS", condition="nope", field_id="node_id")) == []
    first = g.dataiku_bundle("PK", "rel-1").id
    assert names(GovernArtifactFilterArtifacts([first])) == ["rel-1"]
    g.archive(first)
    assert names(GovernArtifactFilterArchivedStatus(False)) == ["rel-2", "Hotfix-3"]
    assert names(GovernArtifactFilterArchivedStatus(True)) == ["rel-1", "rel-2", "Hotfix-3"]
    sorted_query = GovernArtifactSearchQuery(artifact_filters=[bundles],
                                             artifact_search_sort=GovernArtifactSearchSortName("DESC"))
    request = gc.new_artifact_search_request(sorted_query)
    pages = []
    while True:
        page = request.fetch_next_batch(page_size=2).get_raw()
        pages.append(([h["artifact"]["name"] for h in page["uiArtifacts"]], page["hasNextPage"]))
        if not page["hasNextPage"]:
            break
    assert pages == [(["rel-2", "rel-1"], True), (["Hotfix-3"], False)]
    with pytest.raises(DataikuException, match="IllegalArgument"):
        search(gc, GovernArtifactFilterFieldValue("LIKE", condition="x"))


# ----------------------------------------------------------------------------- sign-offs
def test_signoff_is_read_then_approved_through_the_control_api(gov, g, gc, design):
    b = governed_bundle(g, design)
    signoff = gc.get_artifact(b.id).get_signoff("review")
    assert signoff.get_definition().get_raw()["status"] == "WAITING_FOR_FEEDBACK"
    assert [s.get_raw()["signoffId"]["stepId"] for s in gc.get_artifact(b.id).list_signoffs()] == ["review"]
    with pytest.raises(ValueError):
        signoff.get_approval().get_definition()  # no approverResponse before the final approval

    b.signoff("review").approve(user="alice", comment="ok")
    raw = signoff.get_definition().get_raw()
    assert raw["status"] == "APPROVED"
    approval = signoff.get_approval().get_definition().get_raw()
    assert (approval["status"], approval["comment"], approval["user"]) == ("APPROVED", "ok", {"login": "alice"})
    assert approval["createdOn"] > 0
    b.signoff().reject(user="bob", comment="no")
    assert signoff.get_approval().get_definition().get_raw()["user"]["login"] == "bob"
    b.signoff().set_status("WAITING_FOR_APPROVAL")
    assert "approverResponse" not in signoff.get_definition().get_raw()
    assert signoff.get_recurrence_configuration().get_raw() == {}


def test_feedback_from_a_member_of_the_group_is_recorded(gov, g, gc, design, qa_key):
    b = governed_bundle(g, design)
    qa = dataikuapi.GovernClient(gov.url, api_key=qa_key)
    feedback = qa.get_artifact(b.id).get_signoff("review").add_feedback("qa-evidence", "APPROVED", "12/12 passed")
    [recorded] = b.signoff("review").feedback
    assert recorded["id"] == feedback.feedback_id
    assert (recorded["groupId"], recorded["status"], recorded["comment"], recorded["by"]) == (
        "qa-evidence", "APPROVED", "12/12 passed", "qa-bot")
    [listed] = gc.get_artifact(b.id).get_signoff("review").list_feedbacks()
    raw = listed.get_raw()
    assert (raw["groupId"], raw["status"], raw["user"]) == ("qa-evidence", "APPROVED", {"login": "qa-bot"})
    assert feedback.get_definition().get_raw()["comment"] == "12/12 passed"
    details = gc.get_artifact(b.id).get_signoff("review").get_details().get_raw()
    assert details["feedbackGroups"] == [{"groupId": "qa-evidence", "users": ["qa-bot"]}]


def test_feedback_from_outside_the_group_is_403_even_for_the_admin_key(gov, g, gc, design, qa_key):
    b = governed_bundle(g, design)
    signoff = gc.get_artifact(b.id).get_signoff("review")
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        signoff.add_feedback("qa-evidence", "APPROVED")
    assert last_status(gov) == 403
    qa = dataikuapi.GovernClient(gov.url, api_key=qa_key).get_artifact(b.id).get_signoff("review")
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        qa.add_feedback("no-such-group", "APPROVED")
    assert last_status(gov) == 403
    assert b.signoff("review").feedback == []


def test_feedback_is_400_when_the_signoff_is_not_waiting_or_the_status_is_wrong(gov, g, gc, design, qa_key):
    b = governed_bundle(g, design)
    qa = dataikuapi.GovernClient(gov.url, api_key=qa_key).get_artifact(b.id).get_signoff("review")
    with pytest.raises(DataikuException, match="Feedback status must be one of"):
        qa.add_feedback("qa-evidence", "FINE")
    b.signoff("review").set_status("WAITING_FOR_APPROVAL")
    qa.add_feedback("qa-evidence", "MINOR_ISSUE")  # still open
    for status in ("NOT_STARTED", "APPROVED"):
        b.signoff("review").set_status(status)
        with pytest.raises(DataikuException, match="its status is %s" % status):
            qa.add_feedback("qa-evidence", "APPROVED")
        assert last_status(gov) == 400
    assert [f["status"] for f in b.signoff("review").feedback] == ["MINOR_ISSUE"]


def test_final_approval_through_the_api_is_for_approvers_only(gov, g, gc, design):
    b = governed_bundle(g, design)
    signoff = gc.get_artifact(b.id).get_signoff("review")
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        signoff.add_approval("APPROVED", "self-approval")
    with pytest.raises(DataikuException, match="UnauthorizedException"):
        signoff.update_status("APPROVED")
    signoff.update_status("WAITING_FOR_APPROVAL")  # a non-final status needs no approver
    assert b.signoff().status == "WAITING_FOR_APPROVAL"
    gov.add_api_key("boss-key", user="boss")
    g.approvers.add("boss")
    boss = dataikuapi.GovernClient(gov.url, api_key="boss-key").get_artifact(b.id).get_signoff("review")
    boss.add_approval("APPROVED", "go")
    assert (b.signoff().status, b.signoff().approval["by"]) == ("APPROVED", "boss")


# ----------------------------------------------------------------------------- uploaded files and artifact saves
def test_upload_attach_to_the_file_field_and_delete(gov, g, gc, design):
    b = governed_bundle(g, design, file_field=EVIDENCE)
    version = gc.get_blueprint(GOVERN_BUNDLE).get_version("bv.system.default").get_definition().get_raw()
    assert version["fieldDefinitions"][EVIDENCE]["fieldType"] == "FILE"
    assert b.fields[EVIDENCE] == []

    uploaded = gc.upload_file("junit-v1.xml", io.BytesIO(b"<testsuites/>"))
    assert g.uploaded_files[uploaded.uploaded_file_id] == ("junit-v1.xml", b"<testsuites/>")
    assert uploaded.get_description()["name"] == "junit-v1.xml"
    assert uploaded.download().read() == b"<testsuites/>"
    definition = gc.get_artifact(b.id).get_definition()
    definition.get_raw()["fields"][EVIDENCE].append(uploaded.uploaded_file_id)
    definition.save()
    assert definition.get_raw()["fields"][EVIDENCE] == [uploaded.uploaded_file_id]  # save() re-reads ["artifact"]
    assert g.bundle("PK", "v1").fields[EVIDENCE] == [uploaded.uploaded_file_id]

    uploaded.delete()
    assert g.uploaded_files == {}
    with pytest.raises(DataikuException, match="NotFoundException"):
        uploaded.get_description()


def test_put_with_a_field_not_in_the_blueprint_version_is_refused(gov, g, gc, design):
    b = governed_bundle(g, design)  # no File field configured
    version = gc.get_blueprint(GOVERN_BUNDLE).get_version("bv.system.default").get_definition().get_raw()
    assert not [f for f, d in version["fieldDefinitions"].items() if d["fieldType"] == "FILE"]
    uploaded = gc.upload_file("junit-v1.xml", io.BytesIO(b"<testsuites/>"))
    definition = gc.get_artifact(b.id).get_definition()
    definition.get_raw()["fields"][EVIDENCE] = [uploaded.uploaded_file_id]
    with pytest.raises(DataikuException, match="Some fields of Artifact were not found in its blueprint version"):
        definition.save()
    assert last_status(gov) == 400
    assert EVIDENCE not in b.fields


def test_a_failed_artifact_save_is_a_500_and_leaves_the_artifact_as_it_was(gov, g, gc, design):
    b = governed_bundle(g, design, file_field=EVIDENCE)
    g.fail_artifact_save = True
    uploaded = gc.upload_file("junit-v1.xml", io.BytesIO(b"<testsuites/>"))
    definition = gc.get_artifact(b.id).get_definition()
    definition.get_raw()["fields"][EVIDENCE] = [uploaded.uploaded_file_id]
    with pytest.raises(DataikuException, match="UnknownErrorException"):
        definition.save()
    assert last_status(gov) == 500
    assert b.fields[EVIDENCE] == []
    uploaded.delete()  # what a plugin does with an upload it could not attach
    assert g.uploaded_files == {}


# ----------------------------------------------------------------------------- errors, auth, faults
def test_unknown_things_are_404_dss_errors(gov, g, gc, design):
    b = governed_bundle(g, design)
    with pytest.raises(DataikuException, match="NotFoundException"):
        gc.get_artifact("ar.999").get_definition()
    with pytest.raises(DataikuException, match="NotFoundException"):
        gc.get_artifact(b.id).get_signoff("qualification").get_definition()  # a step with no sign-off
    item_id = b.fields["dataiku_item"][0]
    with pytest.raises(DataikuException, match="NotFoundException"):
        gc.get_artifact(item_id).get_signoff("review").get_details()  # a Dataiku item has no sign-off
    with pytest.raises(DataikuException, match="NotFoundException"):
        gc.get_uploaded_file("uf.999").download()
    with pytest.raises(DataikuException, match="NotFoundException"):
        gc.get_blueprint("bp.nope").get_definition()
    resp = requests.get(gov.url + "/dip/publicapi/artifact/ar.999", auth=(gov.admin_key, ""), timeout=5)
    assert resp.status_code == 404 and resp.json()["detailedMessage"]
    # a Govern node serves no DSS route: a bare 404 page
    resp = requests.get(gov.url + "/dip/publicapi/projects/", auth=(gov.admin_key, ""), timeout=5)
    assert resp.status_code == 404 and resp.headers["Content-Type"].startswith("text/html")


def test_auth_faults_and_the_request_log_work_as_on_dss_nodes(gov, g, gc, design):
    with pytest.raises(DataikuException, match="NotAuthenticatedException"):
        dataikuapi.GovernClient(gov.url, api_key="nope").get_instance_info()
    gov.add_api_key("reader", user="reader")
    reader = dataikuapi.GovernClient(gov.url, api_key="reader")
    assert reader.get_auth_info()["authIdentifier"] == "reader"
    gov.faults.add(path_contains="/artifacts/search", method="POST", status=502, times=1)
    with pytest.raises(DataikuException):
        search(gc, GovernArtifactFilterBlueprints([DATAIKU_BUNDLE]))
    assert search(gc, GovernArtifactFilterBlueprints([DATAIKU_BUNDLE]))["uiArtifacts"] == []
    assert gov.faults.injected == 1
    assert [r.status for r in gov.requests if r.path.endswith("/artifacts/search")] == [502, 200]
    assert gov.request_count(path_contains="/auth/info") == 1
    assert client(design).get_instance_info().node_type == "DESIGN"  # the design node is untouched
