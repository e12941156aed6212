"""The plugin zip holds what DSS installs and nothing from the test and demo tooling."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILDER = REPO_ROOT / "tooling" / "build_plugin.py"


def _build(root: Path, out: Path) -> subprocess.CompletedProcess:
    # Run as `make plugin` does: a separate process, so the test checks the command line too.
    return subprocess.run(
        [sys.executable, str(BUILDER), "--root", str(root), "--out", str(out)],
        capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    proc = _build(REPO_ROOT, out)
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    manifest = json.loads((REPO_ROOT / "plugin.json").read_text(encoding="utf-8"))
    assert path == out / f"dss-plugin-{manifest['id']}-{manifest['version']}.zip"
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return zf.namelist()


def test_zip_has_the_plugin_layout(built_zip):
    names = set(built_zip)
    assert "plugin.json" in names
    for folder in ("python-lib/", "python-steps/", "parameter-sets/", "resource/", "code-env/"):
        assert folder in names, folder
    assert "parameter-sets/dss-node/parameter-set.json" in names
    assert "code-env/python/desc.json" in names


def test_zip_has_no_tooling_or_tests(built_zip):
    forbidden = ("tests/", "tooling/", "dss_simulator", "standin", "dist/", ".git/", ".venv/", ".ci/")
    for name in built_zip:
        assert not name.startswith(forbidden) and not any(f in name for f in ("dss_simulator", "standin")), name
        assert "__pycache__" not in name and not name.endswith((".pyc", ".pyo")), name
        # The `dataiku` package comes from DSS itself; shipping the stand-in would shadow it.
        assert not name.startswith("python-lib/dataiku/"), name
    assert set(name.split("/")[0] for name in built_zip) <= {
        "plugin.json", "README.md", "LICENSE", "python-lib", "python-steps", "python-runnables", "parameter-sets",
        "resource", "code-env",
    }


# What DSS installs from the zip: the UI contract. A restructuring of python-lib must not change it.
COMPONENT_FILES = [
    "code-env/python/desc.json",
    "code-env/python/spec/requirements.txt",
    "parameter-sets/dss-node/parameter-set.json",
    "parameter-sets/govern-node/parameter-set.json",
    "python-runnables/create-automate-deployment-scenario/runnable.json",
    "python-runnables/create-automate-deployment-scenario/runnable.py",
    "python-runnables/deployment-test-status/runnable.json",
    "python-runnables/deployment-test-status/runnable.py",
    "python-runnables/pipeline-readiness/runnable.json",
    "python-runnables/pipeline-readiness/runnable.py",
    "python-runnables/promote-tested-bundle/runnable.json",
    "python-runnables/promote-tested-bundle/runnable.py",
    "python-runnables/run-tests-now/runnable.json",
    "python-runnables/run-tests-now/runnable.py",
    "python-steps/assert-govern-signoff/step.json",
    "python-steps/assert-govern-signoff/step.py",
    "python-steps/assert-test-status/step.json",
    "python-steps/assert-test-status/step.py",
    "python-steps/check-pipeline-readiness/step.json",
    "python-steps/check-pipeline-readiness/step.py",
    "python-steps/deploy-bundle/step.json",
    "python-steps/deploy-bundle/step.py",
    "python-steps/run-test-scenarios/step.json",
    "python-steps/run-test-scenarios/step.py",
    "resource/choices.py",
]


def test_zip_holds_the_same_components(built_zip):
    components = sorted(name for name in built_zip if not name.endswith("/") and name.startswith(
        ("python-steps/", "python-runnables/", "parameter-sets/", "resource/", "code-env/")))
    assert components == COMPONENT_FILES


def test_zip_holds_every_module_and_template_of_python_lib(built_zip):
    lib = REPO_ROOT / "python-lib"
    expected = sorted(str(p.relative_to(REPO_ROOT)) for p in lib.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".html"))
    assert sorted(n for n in built_zip if n.startswith("python-lib/") and not n.endswith("/")) == expected
    assert "python-lib/test_gated_deployment/reports/templates/verdict.html" in expected


def _tiny_plugin(root: Path, manifest: str) -> None:
    (root / "python-lib" / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "python-lib" / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "python-lib" / "pkg" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (root / "python-lib" / "pkg" / "stray.pyc").write_bytes(b"\0")
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text("", encoding="utf-8")
    (root / "README.md").write_text("# hi\n", encoding="utf-8")
    (root / "plugin.json").write_text(manifest, encoding="utf-8")


def test_builder_skips_caches_and_keeps_readme(tmp_path):
    root = tmp_path / "plugin"
    root.mkdir()
    _tiny_plugin(root, json.dumps({"id": "tiny", "version": "0.0.1", "meta": {}}))
    proc = _build(root, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "out" / "dss-plugin-tiny-0.0.1.zip") as zf:
        assert sorted(zf.namelist()) == [
            "README.md", "plugin.json", "python-lib/", "python-lib/pkg/", "python-lib/pkg/__init__.py",
        ]


def test_builder_is_reproducible(tmp_path):
    root = tmp_path / "plugin"
    root.mkdir()
    _tiny_plugin(root, json.dumps({"id": "tiny", "version": "0.0.1", "meta": {}}))
    first = _build(root, tmp_path / "a")
    second = _build(root, tmp_path / "b")
    assert first.returncode == second.returncode == 0
    assert Path(first.stdout.strip()).read_bytes() == Path(second.stdout.strip()).read_bytes()


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ('{"id": "tiny", "version": "0.0.1", /* c */ "meta": {}}', "not strict JSON"),
        ('{"id": "tiny", "id": "x", "version": "0.0.1"}', "duplicate keys"),
        ('{"id": "tiny plugin", "version": "0.0.1"}', "id must be made of"),
        ('{"id": "tiny", "version": "1"}', "version must be semantic"),
    ],
)
def test_builder_rejects_a_bad_manifest(tmp_path, manifest, message):
    root = tmp_path / "plugin"
    root.mkdir()
    _tiny_plugin(root, manifest)
    proc = _build(root, tmp_path / "out")
    assert proc.returncode == 1
    assert message in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
