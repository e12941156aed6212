"""Deployment windows and freezes of "Deploy bundle", on the simulated Deployer's clock (set with `clock.skewed`)."""

import time
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from dss_simulator import clock
from stepkit import run_plugin_step
from worlds import PROJECT, promotion_estate, run_tests_on

PROD = "SHOP-on-prod"
OFFICE = {"window_days": ["mon", "tue", "wed", "thu", "fri"], "window_hours": "08:00-18:00",
          "window_timezone": "Europe/Paris"}


@contextmanager
def deployer_time(*parts):
    """The simulated nodes' clock shows this UTC time now, and runs on from it."""
    with clock.skewed(datetime(*parts, tzinfo=timezone.utc).timestamp() - time.time()):
        yield


@pytest.fixture
def estate(sim):
    return promotion_estate(sim)


def deploy(estate, **config):
    run_tests_on(estate.qa, ["test_1", "test_2"])
    base = {"deployment_id": PROD, "bundle_id": "v2", "gate_deployment_id": "SHOP-on-qa"}
    base.update(config)
    return run_plugin_step(estate.design, "deploy-bundle", PROJECT, base, presets=estate.presets())


UNTOUCHED = ("v1", "v1", [], 0)


def production(estate):
    """Production's settings bundle, running bundle, updates started and settings saves."""
    dep = estate.design.deployer.deployment(PROD)
    saves = estate.design.request_count(path_contains="/deployments/%s/settings" % PROD, method="PUT")
    return dep.settings_bundle_id, dep.bundle_id, dep.started_updates, saves


def test_inside_a_window_the_bundle_is_deployed(estate):
    with deployer_time(2026, 12, 3, 9, 0):  # Thursday 10:00 in Paris
        out = deploy(estate, **OFFICE)
    assert out.ok, out.log
    assert estate.design.deployer.deployment(PROD).bundle_id == "v2"
    assert out.variables["deploy_next_window"] == ""


def test_outside_the_windows_nothing_changes_and_the_next_window_is_named(estate):
    with deployer_time(2026, 12, 5, 10, 0):  # Saturday
        out = deploy(estate, **OFFICE)
    assert not out.ok
    message = out.log.strip().splitlines()[-1]
    assert "Refused to deploy bundle v2 to deployment SHOP-on-prod, which was left unchanged" in message
    assert "it is Sat 2026-12-05 11:00 there" in message
    assert "The next window opens Mon 2026-12-07 08:00 Europe/Paris" in message
    assert out.variables["deploy_outcome"] == "refused"
    assert out.variables["deploy_next_window"] == "2026-12-07T07:00:00+00:00"
    assert production(estate) == UNTOUCHED
    # Refused before the gate: QA was not even asked.
    assert not estate.design.request_count(path_contains="SHOP-on-qa")


def test_inside_a_freeze_nothing_changes_whatever_the_windows(estate):
    with deployer_time(2026, 12, 24, 9, 0):  # a Thursday, inside the office hours
        out = deploy(estate, freeze_periods=["2026-12-20..2027-01-03 year-end freeze"], **OFFICE)
    assert not out.ok
    message = out.log.strip().splitlines()[-1]
    assert "2026-12-24 is inside the freeze period 2026-12-20 to 2027-01-03 (year-end freeze)" in message
    assert "The next window opens Mon 2027-01-04 08:00 Europe/Paris" in message
    assert production(estate) == UNTOUCHED


def test_waiting_for_the_next_window_then_deploying(estate):
    opening = datetime(2026, 12, 3, 7, 0, tzinfo=timezone.utc).timestamp()  # Thursday 08:00 in Paris
    with deployer_time(2026, 12, 3, 6, 59, 58):
        out = deploy(estate, window_wait_s=30, **OFFICE)
        save = next(r for r in estate.design.requests if r.method == "PUT" and PROD in r.path)
        saved_at = clock.shown(save.time)
    assert out.ok, out.log
    assert "Waiting" in out.log and "opens Thu 2026-12-03 08:00 Europe/Paris" in out.log
    assert saved_at >= opening, "the settings were saved %.1fs before the window opened" % (opening - saved_at)
    assert estate.design.deployer.deployment(PROD).bundle_id == "v2"


def test_a_window_further_away_than_the_wait_is_refused_at_once(estate):
    with deployer_time(2026, 12, 3, 6, 0):  # an hour before the window
        started = time.monotonic()
        out = deploy(estate, window_wait_s=60, **OFFICE)
        took = time.monotonic() - started
    assert not out.ok and took < 60
    assert "The next window opens Thu 2026-12-03 08:00 Europe/Paris" in out.log.strip().splitlines()[-1]
    assert production(estate) == UNTOUCHED
