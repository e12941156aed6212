"""The `tgd` command against the simulator: each subcommand, its exit code, what it writes, and no key in its output.

Most cases run `python -m tgd` from the source tree; one installs the package with pip into a fresh virtualenv and
runs the installed `tgd`, as a CI job would.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from dss_simulator import ScenarioSpec
from junitparser import JUnitXml
from stepkit import ROOT
from worlds import PROJECT, build_estate, make_tests, promotion_estate, run_tests_on

QA = "SHOP-on-qa"
PROD = "SHOP-on-prod"


def tgd(estate, *args, program=None, env=None, timeout=120):
    """Runs the command against the estate's Design node, the QA node declared as node `qa`; its keys in the
    environment, as a CI secret would be."""
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TGD_URL": estate.design.url,
               "TGD_API_KEY": estate.design.admin_key, "TGD_NODE_QA_API_KEY": estate.qa.admin_key}
    if program is None:
        program = [sys.executable, "-m", "tgd"]
        environ["PYTHONPATH"] = "%s:%s" % (ROOT / "python-lib", ROOT / "cli")
    environ.update(env or {})
    result = subprocess.run([*program, *args, "--node", "qa=%s" % estate.qa.url], env=environ,
                            capture_output=True, text=True, timeout=timeout, check=False)
    for key in (estate.design.admin_key, estate.qa.admin_key, estate.prod.admin_key if estate.prod else None):
        assert not key or (key not in result.stdout and key not in result.stderr), "a key reached the output"
    summary = json.loads(result.stdout) if result.stdout.strip() else None
    return result, summary


@pytest.fixture
def estate(sim):
    return promotion_estate(sim)


def test_help_names_every_subcommand():
    result = subprocess.run([sys.executable, "-m", "tgd", "--help"], capture_output=True, text=True, check=False,
                            env={"PYTHONPATH": "%s:%s" % (ROOT / "python-lib", ROOT / "cli"), "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr
    for command in ("run-tests", "gate", "deploy", "promote", "preflight"):
        assert command in result.stdout
    assert "TGD_API_KEY" in result.stdout


def test_run_tests_writes_junit_and_exits_0(estate, tmp_path):
    result, summary = tgd(estate, "run-tests", "--set", "target=deployment", "--set", "deployment_id=%s" % QA,
                          "--set", "automation_nodes=qa", "--report-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert summary["outcome"] == "pass" and summary["variables"]["tests_passed"] == 2
    assert "INFO" in result.stderr  # progress goes to stderr, the summary alone to stdout
    [junit] = list(tmp_path.glob("test-reports/*/*.xml"))
    suites = JUnitXml.fromfile(str(junit))
    assert suites.tests == 2 and suites.failures == 0


def test_run_tests_with_a_failing_test_exits_1(estate):
    estate.qa.project(PROJECT).add_scenario(
        ScenarioSpec(id="test_2", name="T2", marked_as_test=True, duration=0.02, outcome="FAILED"))
    result, summary = tgd(estate, "run-tests", "--set", "target=deployment", "--set", "deployment_id=%s" % QA,
                          "--set", "automation_nodes=qa")
    assert result.returncode == 1 and summary["outcome"] == "fail"
    assert "test_2" in summary["message"]


def test_gate_pass_fail_and_inconclusive_exit_0_1_2(estate, tmp_path):
    settings = tmp_path / "gate.yaml"
    settings.write_text("deployment_id: %s\nautomation_nodes: [qa]\n" % QA, encoding="utf-8")
    result, summary = tgd(estate, "gate", "--settings", str(settings))
    assert result.returncode == 2 and summary["variables"]["gate_verdict"] == "INCONCLUSIVE"  # no results yet
    run_tests_on(estate.qa, ["test_1", "test_2"])
    result, summary = tgd(estate, "gate", "--settings", str(settings), "--report-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    [record] = list((tmp_path / "out").glob("gate-reports/*-deployment-SHOP-on-qa-v2.json"))
    assert json.loads(record.read_text())["verdict"] == "PASS"
    assert record.with_suffix(".html").exists()
    estate.qa.project(PROJECT).add_scenario(
        ScenarioSpec(id="test_2", name="T2", marked_as_test=True, duration=0.02, outcome="FAILED"))
    run_tests_on(estate.qa, ["test_2"])
    result, summary = tgd(estate, "gate", "--settings", str(settings))
    assert result.returncode == 1 and summary["variables"]["gate_verdict"] == "FAIL"


@pytest.mark.parametrize("args, env, said", [
    (["--set", "deployment_id=%s" % QA, "--set", "min_results=0"], {}, "'Minimum number of results'"),
    (["--set", "deployment_id=%s" % QA, "--set", "automation_nodes=qa2"], {}, "qa2, which no --node"),
    (["--set", "deployment_id=%s" % QA], {"TGD_API_KEY": ""}, "set the environment variable TGD_API_KEY"),
    (["--set", "deployment_id=%s" % QA, "--set", "report_folder=reports"], {}, "give --report-dir instead"),
])
def test_bad_settings_exit_3_before_any_call(estate, args, env, said):
    before = len(estate.design.requests)
    result, summary = tgd(estate, "gate", *args, env=env)
    assert result.returncode == 3 and said in summary["message"], result.stderr
    assert len(estate.design.requests) == before


def test_a_wrong_key_fails_without_showing_it(estate):
    result, summary = tgd(estate, "gate", "--set", "deployment_id=%s" % QA, env={"TGD_API_KEY": "not-the-key-123"})
    assert result.returncode == 1 and "401" in summary["message"]
    assert "not-the-key-123" not in result.stdout + result.stderr


def test_deploy_updates_production_and_an_inconclusive_gate_exits_2(estate):
    args = ["deploy", "--set", "deployment_id=%s" % PROD, "--set", "bundle_id=v2", "--set",
            "gate_deployment_id=%s" % QA]
    result, summary = tgd(estate, *args)
    assert result.returncode == 2 and summary["variables"]["deploy_outcome"] == "refused"
    assert estate.design.deployer.deployment(PROD).bundle_id == "v1"
    run_tests_on(estate.qa, ["test_1", "test_2"])
    result, summary = tgd(estate, *args)
    assert result.returncode == 0, result.stderr
    assert estate.design.deployer.deployment(PROD).bundle_id == "v2"


def test_promote_takes_what_qa_runs_through_its_gate(estate):
    run_tests_on(estate.qa, ["test_1", "test_2"])
    result, summary = tgd(estate, "promote", "--set", "qa_deployment_id=%s" % QA, "--set",
                          "prod_deployment_id=%s" % PROD, "--set", "qa_automation_nodes=qa")
    assert result.returncode == 0, result.stderr
    assert summary["variables"]["deploy_bundle"] == "v2" and summary["variables"]["deploy_gate_verdict"] == "PASS"
    assert estate.design.deployer.deployment(PROD).bundle_id == "v2"


def test_preflight_exits_0_when_ready_and_1_on_a_red_line(estate):
    args = ["preflight", "--set", "qa_deployment_id=%s" % QA, "--set", "qa_automation_nodes=qa"]
    result, summary = tgd(estate, *args, "--set", "prod_deployment_id=%s" % PROD)
    assert result.returncode == 0, result.stderr
    assert summary["variables"]["readiness_ready"] is True
    result, summary = tgd(estate, *args, "--set", "prod_deployment_id=SHOP-on-prd")
    assert result.returncode == 1 and "SHOP-on-prd" in summary["message"]


def test_pip_install_in_a_fresh_virtualenv_gives_the_tgd_command(sim, tmp_path):
    # The package is built from a copy of its sources (the build writes into them). The fresh virtualenv, made
    # without pip, sees the test environment's packages (pip and setuptools included) through a .pth file, so that
    # the install needs no index; `pip check` proves they satisfy the package's requirements.
    source = tmp_path / "src"
    for part in ("python-lib", "cli"):
        shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "docs", source / "docs", ignore=shutil.ignore_patterns("screenshots"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                              "--quiet", str(source)], capture_output=True, text=True, timeout=300, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    check = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, check=False)
    assert "test-gated-deployment" not in check.stdout, check.stdout
    where = subprocess.run([str(python), "-c", "import test_gated_deployment, tgd; print(test_gated_deployment"
                            ".__file__, tgd.__file__)"], capture_output=True, text=True, check=True,
                           env={"PATH": "/usr/bin:/bin"}).stdout
    assert str(ROOT) not in where and str(venv) in where
    program = [str(venv / "bin" / "tgd")]
    assert subprocess.run([*program, "--help"], capture_output=True, check=False).returncode == 0
    estate = build_estate(sim, make_tests(2, duration=0.02), with_prod=False)
    run_tests_on(estate.qa, ["test_1", "test_2"])
    result, summary = tgd(estate, "gate", "--set", "deployment_id=%s" % QA, "--set", "automation_nodes=qa",
                          program=program)
    assert result.returncode == 0, result.stderr
    assert summary["variables"]["gate_verdict"] == "PASS"


def test_the_package_version_is_the_plugins():
    plugin = json.loads((ROOT / "plugin.json").read_text(encoding="utf-8"))
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'version = "%s"' % plugin["version"] in pyproject


def test_a_mistyped_flag_and_a_key_in_the_settings_are_bad_settings(estate):
    result, _ = tgd(estate, "gate", "--bogus")
    assert result.returncode == 3 and "unrecognized arguments: --bogus" in result.stderr
    result, summary = tgd(estate, "gate", "--set", "deployment_id=%s" % QA, "--set",
                          'automation_nodes=[{"url": "%s", "api_key": "from-a-flag-1"}]' % estate.qa.url)
    assert result.returncode == 3 and "whose keys are read from" in summary["message"]
    assert "from-a-flag-1" not in result.stdout + result.stderr
