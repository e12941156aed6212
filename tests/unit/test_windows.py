"""Deployment windows and freeze periods, on an injected clock (the `now` each check is given)."""

from datetime import datetime, timezone

import pytest
from test_gated_deployment.errors import SettingsError
from test_gated_deployment.release.windows import DeploymentWindows

LABELS = ("Allowed days", "Allowed hours", "Time zone of the windows", "Freeze periods")


def windows(days=(), hours=None, zone="UTC", freezes=()):
    return DeploymentWindows.parse(list(days), hours, zone, list(freezes), LABELS)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


OFFICE = dict(days=["mon", "tue", "wed", "thu", "fri"], hours="08:00-18:00", zone="Europe/Paris")


def test_no_setting_means_always_open():
    assert not windows().restricted
    assert windows().check(utc(2026, 12, 5, 3, 0)).open


def test_inside_office_hours_in_the_zone_of_the_windows():
    # Thursday 2026-12-03 07:30 UTC is 08:30 in Paris (UTC+1 in winter).
    assert windows(**OFFICE).check(utc(2026, 12, 3, 7, 30)).open
    check = windows(**OFFICE).check(utc(2026, 12, 3, 6, 30))  # 07:30 in Paris
    assert not check.open and "Thu 2026-12-03 07:30" in check.reason
    assert check.next_open == utc(2026, 12, 3, 7, 0)


def test_the_end_of_a_window_is_outside_it():
    assert windows(**OFFICE).check(utc(2026, 12, 3, 16, 59)).open
    assert not windows(**OFFICE).check(utc(2026, 12, 3, 17, 0)).open


def test_on_saturday_the_next_window_is_monday_morning():
    check = windows(**OFFICE).check(utc(2026, 12, 5, 10, 0))
    assert not check.open and "outside the deployment windows Mon, Tue, Wed, Thu, Fri, 08:00-18:00" in check.reason
    assert check.next_open == utc(2026, 12, 7, 7, 0)
    assert windows(**OFFICE).show(check.next_open) == "Mon 2026-12-07 08:00 Europe/Paris"


def test_summer_time_moves_the_utc_opening():
    # 2026-07-01 is a Wednesday; Paris is UTC+2 in summer.
    check = windows(**OFFICE).check(utc(2026, 7, 1, 5, 0))
    assert check.next_open == utc(2026, 7, 1, 6, 0)


def test_a_window_past_midnight_belongs_to_the_day_it_starts():
    night = windows(days=["sat"], hours="22:00-02:00")
    assert night.check(utc(2026, 12, 5, 23, 0)).open          # Saturday 23:00
    assert night.check(utc(2026, 12, 6, 1, 59)).open          # Sunday 01:59, still Saturday's window
    assert not night.check(utc(2026, 12, 6, 2, 0)).open
    assert not night.check(utc(2026, 12, 6, 23, 0)).open      # Sunday night has no window
    assert night.check(utc(2026, 12, 6, 23, 0)).next_open == utc(2026, 12, 12, 22, 0)


def test_several_ranges_in_a_day():
    split = windows(hours="08:00-12:00, 14:00-18:00")
    assert not split.check(utc(2026, 12, 3, 12, 30)).open
    assert split.check(utc(2026, 12, 3, 12, 30)).next_open == utc(2026, 12, 3, 14, 0)


def test_a_whole_day_window_up_to_midnight():
    assert windows(hours="00:00-24:00", days=["fri"]).check(utc(2026, 12, 4, 23, 59)).open


def test_a_freeze_wins_over_the_windows_and_says_why():
    frozen = windows(freezes=["2026-12-20..2027-01-03 year-end freeze"], **OFFICE)
    check = frozen.check(utc(2026, 12, 22, 9, 0))
    assert not check.open
    assert "2026-12-22 is inside the freeze period 2026-12-20 to 2027-01-03 (year-end freeze)" in check.reason
    assert check.next_open == utc(2027, 1, 4, 7, 0)  # Monday after the freeze, 08:00 in Paris


def test_a_freeze_alone_opens_at_the_midnight_after_it():
    frozen = windows(freezes=["2026-12-25"])
    assert frozen.restricted
    assert frozen.check(utc(2026, 12, 24, 23, 59)).open
    check = frozen.check(utc(2026, 12, 25, 12, 0))
    assert not check.open and check.next_open == utc(2026, 12, 26, 0, 0)


def test_a_long_freeze_opens_when_it_ends():
    check = windows(freezes=["2026-01-01..2030-12-31"]).check(utc(2026, 12, 3, 9, 0))
    assert check.next_open == utc(2031, 1, 1, 0, 0)


def test_nothing_opens_in_the_lookahead():
    check = windows(days=["mon"], freezes=["2026-01-01..2030-12-31"]).check(utc(2026, 12, 3, 9, 0))
    assert not check.open and check.next_open is None


@pytest.mark.parametrize("field, kwargs, expected", [
    ("Time zone of the windows", dict(zone="Mars/Olympus"), "IANA name"),
    ("Allowed days", dict(days=["monday", "holiday"]), "'holiday'"),
    ("Allowed hours", dict(hours="8-18"), "HH:MM-HH:MM"),
    ("Allowed hours", dict(hours="08:00-25:00"), "'08:00-25:00'"),
    ("Allowed hours", dict(hours="10:00-10:00"), "'10:00-10:00'"),
    ("Freeze periods", dict(freezes=["2027-01-03..2026-12-20"]), "not after the last"),
    ("Freeze periods", dict(freezes=["2026-02-30"]), "'2026-02-30'"),
    ("Freeze periods", dict(freezes=["christmas"]), "'christmas'"),
])
def test_bad_settings_are_refused_naming_the_setting(field, kwargs, expected):
    with pytest.raises(SettingsError) as raised:
        windows(**kwargs)
    assert field in str(raised.value) and expected in str(raised.value)


def test_full_day_names_are_accepted():
    assert windows(days=["Monday", "FRIDAY"]).days == frozenset({0, 4})


def test_in_the_hour_clocks_go_back_the_next_opening_is_ahead():
    # 2025-11-02 in New York: 01:00-02:00 comes twice. At 01:10 EST (06:10 UTC), the second time round, the window
    # 01:30-05:00 opens at 01:30 EST, not at 01:30 EDT, which is over.
    night = windows(hours="01:30-05:00", zone="America/New_York")
    check = night.check(utc(2025, 11, 2, 6, 10))
    assert check.next_open == utc(2025, 11, 2, 6, 30)
