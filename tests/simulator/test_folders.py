"""Managed folders through the stand-in `dataiku` package and the simulator's internal API, with the routes and
shapes of a real `dataiku` package: lazy handles, raw-byte uploads, bare-Exception errors."""

from __future__ import annotations

import io

import pytest


@pytest.fixture
def in_step(dataiku, design, monkeypatch, tmp_path):
    """The stand-in package as a step of project SHOP sees it, with the folder "reports" kept under tmp_path."""
    design.folders_root = tmp_path
    design.add_project("SHOP").add_folder("reports_id", name="reports")
    monkeypatch.setenv("DKU_API_TICKET", design.issue_ticket())
    monkeypatch.setenv("DKU_BACKEND_PORT", str(design.port))
    monkeypatch.setenv("DKU_CURRENT_PROJECT_KEY", "SHOP")
    return dataiku


def test_a_folder_round_trip(in_step, design, tmp_path):
    folder = in_step.Folder("reports")
    assert folder.get_info() == {"id": "reports_id", "name": "reports", "projectKey": "SHOP", "type": "Filesystem"}
    folder.upload_data("/run-1/junit.xml", b"<testsuites/>")
    folder.upload_data("summary.txt", "all passed \u2713")
    folder.upload_stream("run-1/report.html", io.BytesIO(b"<html/>"))
    folder.write_json("meta.json", {"n": 1})
    assert folder.list_paths_in_partition() == ["/meta.json", "/run-1/junit.xml", "/run-1/report.html",
                                                "/summary.txt"]
    assert (tmp_path / "SHOP" / "reports_id" / "run-1" / "junit.xml").read_bytes() == b"<testsuites/>"
    with folder.get_download_stream("/summary.txt") as f:
        assert f.read().decode("utf-8") == "all passed \u2713"
    assert folder.read_json("meta.json") == {"n": 1}
    folder.delete_path("run-1")
    assert folder.list_paths_in_partition() == ["/meta.json", "/summary.txt"]
    upload = [r for r in design.requests if r.path.endswith("/managed-folders/upload-path")][0]
    assert upload.method == "POST" and upload.status == 200
    assert "projectKey=SHOP" in upload.query and "lookup=reports" in upload.query and "path=" in upload.query


def test_a_missing_folder_fails_only_when_used_with_a_bare_exception(in_step):
    folder = in_step.Folder("nope")  # lazy, as the real package: nothing is called yet
    with pytest.raises(Exception) as failed:
        folder.upload_data("x.txt", b"x")
    assert type(failed.value) is Exception
    assert str(failed.value).startswith("None: b'{") and "Managed folder nope in project SHOP does not exist" in str(
        failed.value)


def test_paths_outside_the_folder_are_refused(in_step):
    folder = in_step.Folder("SHOP.reports")
    for bad in ("../escape.txt", "/", "a/../../b"):
        with pytest.raises(Exception, match="Invalid path"):
            folder.upload_data(bad, b"x")
    with pytest.raises(Exception, match="does not exist"):
        folder.get_download_stream("missing.txt").read()
