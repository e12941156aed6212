"""Deployment windows and freeze periods: when a deployment may be updated, and when the next window opens.

Times are wall-clock times in the windows' time zone. A window whose end is not after its start ("22:00-02:00")
runs past midnight and belongs to the day it starts on. Freeze periods are whole days in the same zone, both ends
included, and win over windows.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import FrozenSet, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # zone data: the system's, else the code env's tzdata

from ..errors import SettingsError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# How far ahead the next opening is looked for: a window that opens later than this is reported as not found.
LOOKAHEAD_DAYS = 400

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_FREEZE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|/|to)\s*(\d{4}-\d{2}-\d{2}))?(?:\s+(.*))?$")


@dataclass(frozen=True)
class Freeze:
    first: date
    last: date
    reason: str = ""

    def describe(self) -> str:
        days = self.first.isoformat() if self.first == self.last else "%s to %s" % (self.first, self.last)
        return days + (" (%s)" % self.reason if self.reason else "")


@dataclass(frozen=True)
class WindowCheck:
    open: bool
    reason: str = ""                      # why it is closed, in one sentence
    next_open: Optional[datetime] = None  # UTC; None when closed and nothing opens within LOOKAHEAD_DAYS


@dataclass(frozen=True)
class DeploymentWindows:
    """Allowed days and hours, and freeze periods. No days, no hours and no freezes: always open."""

    days: FrozenSet[int] = frozenset(range(7))   # 0 is Monday
    hours: Tuple[Tuple[int, int], ...] = ()      # (start, end) minutes after midnight; empty: the whole day
    zone_name: str = "UTC"
    freezes: Tuple[Freeze, ...] = ()

    @property
    def restricted(self) -> bool:
        return len(self.days) < 7 or bool(self.hours) or bool(self.freezes)

    @classmethod
    def parse(cls, days: Sequence[str], hours: Optional[str], zone_name: Optional[str], freezes: Sequence[str],
              labels: Tuple[str, str, str, str]) -> "DeploymentWindows":
        """Reads the four settings (their UI labels in `labels`), refusing bad values with what is accepted."""
        days_label, hours_label, zone_label, freeze_label = labels
        zone_name = (zone_name or "UTC").strip()
        try:
            ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError("Setting '%s' has the value %r, which is not a time zone: use an IANA name such as "
                                "UTC or Europe/Paris." % (zone_label, zone_name)) from None
        picked = set()
        for day in days:
            key = day.strip().lower()[:3]
            if key not in DAYS:
                raise SettingsError("Setting '%s' has the day %r: use mon, tue, wed, thu, fri, sat or sun."
                                    % (days_label, day))
            picked.add(DAYS.index(key))
        return cls(days=frozenset(picked) if picked else frozenset(range(7)),
                   hours=tuple(_parse_hours(part, hours_label) for part in (hours or "").split(",") if part.strip()),
                   zone_name=zone_name,
                   freezes=tuple(_parse_freeze(item, freeze_label) for item in freezes))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)

    def describe(self) -> str:
        days = "every day" if len(self.days) == 7 else ", ".join(DAY_NAMES[d] for d in sorted(self.days))
        hours = ", ".join("%s-%s" % (_hhmm(s), _hhmm(e)) for s, e in self.hours) or "all day"
        return "%s, %s (%s)" % (days, hours, self.zone_name)

    def check(self, now: datetime) -> WindowCheck:
        """Whether `now` (an aware datetime) is inside a window and outside every freeze; when not, why, and when
        the next window opens."""
        local = _wall(now, self.zone)
        if self._allowed(local):
            return WindowCheck(True)
        freeze = self._freeze_of(local.date())
        if freeze is not None:
            reason = "%s is inside the freeze period %s" % (local.date(), freeze.describe())
        else:
            reason = "it is %s %s there, outside the deployment windows %s" % (
                DAY_NAMES[local.weekday()], local.strftime("%Y-%m-%d %H:%M"), self.describe())
        opening = self._next_opening(local)
        return WindowCheck(False, reason, _first_after(opening, self.zone, now) if opening is not None else None)

    def show(self, moment: datetime) -> str:
        """A UTC time as the windows' zone shows it, for messages."""
        local = moment.astimezone(self.zone)
        return "%s %s %s" % (DAY_NAMES[local.weekday()], local.strftime("%Y-%m-%d %H:%M"), self.zone_name)

    def _allowed(self, local: datetime) -> bool:
        return self._freeze_of(local.date()) is None and self._in_window(local)

    def _freeze_of(self, day: date) -> Optional[Freeze]:
        return next((f for f in self.freezes if f.first <= day <= f.last), None)

    def _in_window(self, local: datetime) -> bool:
        if not self.hours:
            return local.weekday() in self.days
        for start_day in (local.date(), local.date() - timedelta(days=1)):
            if start_day.weekday() not in self.days:
                continue
            for start, end in self._spans(start_day):
                if start <= local < end:
                    return True
        return False

    def _spans(self, day: date) -> List[Tuple[datetime, datetime]]:
        midnight = datetime.combine(day, time())
        spans = []
        for start, end in self.hours:
            end_at = midnight + timedelta(minutes=end if end > start else end + 24 * 60)
            spans.append((midnight + timedelta(minutes=start), end_at))
        return spans

    def _next_opening(self, local: datetime) -> Optional[datetime]:
        """The first moment after `local` at which deploying is allowed: a window's start, or the end of a freeze."""
        candidates = [datetime.combine(f.last + timedelta(days=1), time()) for f in self.freezes]
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            starts = [s for s, _ in self._spans(day)] if self.hours else [datetime.combine(day, time())]
            candidates.extend(starts)
        allowed = sorted(c for c in candidates if c > local and self._allowed(c))
        return allowed[0] if allowed else None


def _first_after(wall: datetime, zone: ZoneInfo, now: datetime) -> datetime:
    """A wall-clock time as a UTC moment after `now`: in the hour that clocks go back, the wall time comes twice,
    and the first time may be over already."""
    moments = [wall.replace(tzinfo=zone, fold=fold).astimezone(timezone.utc) for fold in (0, 1)]
    return next((m for m in moments if m > now), max(moments))


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _hhmm(minutes: int) -> str:
    return "%02d:%02d" % divmod(minutes, 60)


def _parse_hours(text: str, label: str) -> Tuple[int, int]:
    match = _HOURS.match(text.strip())
    if match:
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 < 24 and m1 < 60 and m2 < 60 and (h2 < 24 or end == 24 * 60) and start != end:
            return start, end
    raise SettingsError("Setting '%s' has %r: give hours as HH:MM-HH:MM, several separated by commas, for example "
                        "08:00-12:00, 14:00-18:00 (22:00-02:00 runs past midnight)." % (label, text.strip()))


def _parse_freeze(text: str, label: str) -> Freeze:
    match = _FREEZE.match(text.strip())
    if match:
        try:
            first = date.fromisoformat(match.group(1))
            last = date.fromisoformat(match.group(2)) if match.group(2) else first
        except ValueError:
            first = last = None
        if first is not None and last >= first:
            return Freeze(first, last, (match.group(3) or "").strip())
    raise SettingsError("Setting '%s' has %r: give a day (2026-12-25) or a period (2026-12-20..2027-01-03), "
                        "optionally followed by a reason, the first day not after the last." % (label, text.strip()))


@dataclass(frozen=True)
class WindowPolicy:
    """When a deployment may be updated, and how long to wait for the next window (0: refuse at once)."""

    windows: DeploymentWindows
    wait_limit: float = 0.0
