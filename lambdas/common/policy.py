"""When an app may sleep: idle window, minimum awake time, task range and keep-warm windows (pure, no AWS)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")
MINUTES_PER_DAY = 24 * 60


class PolicyError(ValueError):
    """A policy value is invalid; the message names the key."""


@dataclass(frozen=True, kw_only=True)
class KeepWarmWindow:
    """The app never sleeps from `start` to `end` (local time in `time_zone`) on `days` (0 = Monday).

    Times are minutes after local midnight; `end` may be 1440 ("24:00", the end of the day), so
    00:00-24:00 covers every minute of a day. An `end` at or before `start` means the window runs past
    midnight into the next day; the day that counts is the day the window starts.
    """

    days: frozenset[int]
    start: int
    end: int
    time_zone: str

    def contains(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.time_zone))
        clock = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= clock < self.end
        if clock >= self.start:
            return local.weekday() in self.days
        return clock < self.end and (local - timedelta(days=1)).weekday() in self.days


@dataclass(frozen=True, kw_only=True)
class Policy:
    """Per-app scale-to-zero policy; the defaults are ZeroDash's documented defaults."""

    idle_minutes: int = 15
    min_awake_minutes: int = 5
    min_tasks: int = 1
    max_tasks: int = 2
    keep_warm: tuple[KeepWarmWindow, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.idle_minutes <= 24 * 60:
            raise PolicyError(f"idleMinutes: {self.idle_minutes} is not in 1..1440")
        if not 0 <= self.min_awake_minutes <= 24 * 60:
            raise PolicyError(f"minAwakeMinutes: {self.min_awake_minutes} is not in 0..1440")
        if self.min_tasks < 1:
            raise PolicyError(f"minTasks: {self.min_tasks} must be at least 1 (0 is what sleeping means)")
        if self.max_tasks < self.min_tasks:
            raise PolicyError(f"maxTasks: {self.max_tasks} must be at least minTasks ({self.min_tasks})")

    @property
    def awake_range(self) -> tuple[int, int]:
        return (self.min_tasks, self.max_tasks)

    def keep_warm_at(self, now: datetime) -> bool:
        return any(window.contains(now) for window in self.keep_warm)


def parse_days(raw: str) -> frozenset[int]:
    """ "mon-fri", "sat,sun", "mon,wed-fri", "daily" or "*" -> weekday numbers (0 = Monday)."""
    text = raw.strip().lower()
    if text in ("*", "daily", "all"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        bounds = [piece.strip()[:3] for piece in part.split("-")]
        if len(bounds) not in (1, 2) or any(bound not in DAY_NAMES for bound in bounds):
            raise PolicyError(f"keepWarm.days: {raw!r} must look like 'mon-fri', 'sat,sun' or 'daily'")
        first, last = DAY_NAMES.index(bounds[0]), DAY_NAMES.index(bounds[-1])
        span = (last - first) % 7
        days.update((first + offset) % 7 for offset in range(span + 1))
    return frozenset(days)


def parse_time(raw: str, key: str) -> int:
    """ "HH:MM" -> minutes after midnight; "24:00" (the end of the day) only as an `end`."""
    match = _TIME.fullmatch(str(raw).strip())
    if not match or (match.group(3) and key != "end"):
        allowed = "HH:MM (00:00 to 23:59, or 24:00 for the end of the day)" if key == "end" else "HH:MM (24 h)"
        raise PolicyError(f"keepWarm.{key}: {raw!r} must be {allowed}")
    if match.group(3):
        return MINUTES_PER_DAY
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_window(raw: Mapping[str, Any]) -> KeepWarmWindow:
    """{"days": "mon-fri", "start": "08:00", "end": "18:00", "timeZone": "Europe/Berlin"}."""
    zone = str(raw.get("timeZone", "UTC"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise PolicyError(f"keepWarm.timeZone: {zone!r} is not an IANA time zone (e.g. 'Europe/Berlin')") from None
    start, end = parse_time(raw.get("start", ""), "start"), parse_time(raw.get("end", ""), "end")
    if start == end:
        raise PolicyError("keepWarm: start and end are equal; for whole days use start 00:00 and end 24:00")
    return KeepWarmWindow(days=parse_days(str(raw.get("days", "daily"))), start=start, end=end, time_zone=zone)


def parse_policy(raw: Mapping[str, Any]) -> Policy:
    """Read the policy keys of one app object of the environment contract (camelCase, all optional)."""
    windows = raw.get("keepWarm") or []
    if not isinstance(windows, list):
        raise PolicyError("keepWarm: must be a list of windows")
    return Policy(
        idle_minutes=int(raw.get("idleMinutes", 15)),
        min_awake_minutes=int(raw.get("minAwakeMinutes", 5)),
        min_tasks=int(raw.get("minTasks", 1)),
        max_tasks=int(raw.get("maxTasks", max(2, int(raw.get("minTasks", 1))))),
        keep_warm=tuple(parse_window(window) for window in windows),
    )
