"""The import contract of pyproject.toml holds, and a wrong import breaks it with a message naming both modules."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# lint-imports' acyclic check needs Python 3.11+: `.ci/run`'s pass on Python 3.9 leaves these tests out.
pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    path = ":".join(str(root / part) for part in ("python-lib", "cli", "tooling"))
    env = {"PYTHONPATH": path, "PATH": "/usr/bin:/bin"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def tree(tmp_path):
    """A copy of the code and the contract, to break on purpose."""
    for part in ("python-lib", "cli", "tooling/dss_simulator"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract", "named"), [
    ("python-lib/test_gated_deployment/dss/answers.py", "from ..gate import verdict  # noqa",
     "The plugin's layers import downwards only", "test_gated_deployment.dss.answers"),
    ("python-lib/test_gated_deployment/components/deploy_bundle.py", "from . import assert_test_status  # noqa",
     "No component imports another (what they share is in fields, run_settings and the runtimes)",
     "test_gated_deployment.components.assert_test_status"),
    ("python-lib/test_gated_deployment/components/fields.py", "import tgd.main  # noqa",
     "The plugin's layers import downwards only", "tgd.main"),
    ("python-lib/test_gated_deployment/gate/verdict.py", "import dataikuapi  # noqa",
     "Only the dss layer uses the DSS client", "dataikuapi"),
    ("tooling/dss_simulator/runs.py", "from . import node  # noqa",
     "No import circle among the modules of a package", "dss_simulator"),
])
def test_a_wrong_import_breaks_the_contract(tree, module, line, contract, named):
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")
    result = _lint(tree)
    assert result.returncode != 0
    assert "%s BROKEN" % contract in " ".join(result.stdout.split())
    assert named in result.stdout
