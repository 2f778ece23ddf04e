"""`status`: each app's state, tasks, last request and time to sleep, from live facts and one metric call.

The state comes from scaler.decision.state_of and the traffic from scaler.metrics, so the CLI reads
the app exactly as the scaler's next run will. Time to sleep follows scaler.decision.decide: an awake
app sleeps at the first scaler run once no request came for idleMinutes (a request counts until its
minute ends) and it has been awake minAwakeMinutes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from common.apps import AppSpec
from common.aws import Clients, read_facts
from common.facts import Facts
from scaler.decision import State, state_of
from scaler.metrics import EXTRA_MINUTES, floor_minute
from scaler.metrics import fetch_traffic as read_traffic
from scaler.traffic import MINUTE, Traffic

LOOKBACK_MINUTES = 180  # how far back "minutes since last request" looks (longer if an idle window is longer)


@dataclass(frozen=True, kw_only=True)
class AppStatus:
    app: str
    state: str  # AWAKE, WAKING, SLEEPING, or ERROR (then `error` says why)
    desired: int | None = None
    running: int | None = None
    pending: int | None = None
    healthy_targets: int | None = None
    rule: str | None = None  # where the listener rule forwards: service, waker or other
    capacity_range: list[int] | None = None  # the scalable target's [min, max]
    awake_since: str | None = None
    minutes_since_request: float | None = None  # None: no request within the lookback
    minutes_to_sleep: float | None = None  # None: asleep, keep-warm or unknown (see sleep_note)
    sleep_note: str | None = None
    error: str | None = None


def lookback_minutes(apps: Sequence[AppSpec]) -> int:
    return max([LOOKBACK_MINUTES, *(app.policy.idle_minutes + EXTRA_MINUTES for app in apps)])


def fetch_traffic(clients: Clients, apps: Sequence[AppSpec], now: datetime, minutes: int) -> dict[str, Traffic]:
    """The scaler's queries over a longer window: one GetMetricData call (per 166 apps, and per page)."""
    end = floor_minute(now) + MINUTE
    return read_traffic(clients.cloudwatch, apps, end - timedelta(minutes=minutes + 1), end)


def minutes_to_sleep(facts: Facts, traffic: Traffic, app: AppSpec, now: datetime) -> tuple[float | None, str | None]:
    """Minutes until the scaler may put an awake (or waking) app to sleep, or None and why not."""
    if state_of(facts) is State.SLEEPING:
        return None, "asleep"
    if app.policy.keep_warm_at(now):
        return None, "keep-warm window"
    if not traffic.complete:
        return None, "metrics incomplete"
    # Without the awake-since tag the scaler stamps it at its next run, so the minimum awake time starts now.
    sleeps_at = (facts.awake_since or now) + timedelta(minutes=app.policy.min_awake_minutes)
    last = traffic.last_request()
    if last is not None:  # a request keeps the app awake until idleMinutes after the end of its minute
        sleeps_at = max(sleeps_at, last + MINUTE + timedelta(minutes=app.policy.idle_minutes))
    return max(0.0, round((sleeps_at - now).total_seconds() / 60, 1)), None


def app_status(facts: Facts, traffic: Traffic, app: AppSpec, now: datetime) -> AppStatus:
    last = traffic.last_request()
    to_sleep, note = minutes_to_sleep(facts, traffic, app, now)
    return AppStatus(
        app=app.name,
        state=state_of(facts).value,
        desired=facts.desired_count,
        running=facts.running_count,
        pending=facts.pending_count,
        healthy_targets=facts.healthy_targets,
        rule=facts.rule_target.value,
        capacity_range=list(facts.capacity_range) if facts.capacity_range else None,
        awake_since=facts.awake_since.isoformat() if facts.awake_since else None,
        minutes_since_request=None if last is None else round((now - last).total_seconds() / 60, 1),
        minutes_to_sleep=to_sleep,
        sleep_note=note,
    )


def collect(clients: Clients, apps: Sequence[AppSpec], now: datetime) -> list[AppStatus]:
    """Every app's status; an app whose resources cannot be read gets an ERROR row, the others still show."""
    traffic = fetch_traffic(clients, apps, now, lookback_minutes(apps))
    rows = []
    for app in apps:
        try:
            facts = read_facts(clients, app)
        except ClientError as error:
            details = error.response.get("Error", {})
            message = f"{details.get('Code')}: {details.get('Message')}"
            rows.append(AppStatus(app=app.name, state="ERROR", error=message))
            continue
        except LookupError as error:  # common.aws.describe_service: the service is gone
            rows.append(AppStatus(app=app.name, state="ERROR", error=str(error)))
            continue
        rows.append(app_status(facts, traffic[app.name], app, now))
    return rows


def as_json(rows: Sequence[AppStatus], *, stack: str, region: str, now: datetime, lookback: int) -> dict[str, Any]:
    return {
        "stack": stack,
        "region": region,
        "time": now.isoformat(),
        "lookback_minutes": lookback,
        "apps": [asdict(row) for row in rows],
    }


COLUMNS = ("APP", "STATE", "DESIRED", "RUNNING", "HEALTHY", "LAST REQUEST", "SLEEPS IN", "RULE")


def as_table(rows: Sequence[AppStatus], *, lookback: int) -> str:
    lines = [COLUMNS, *(_cells(row, lookback) for row in rows)]
    widths = [max(len(line[index]) for line in lines) for index in range(len(COLUMNS))]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines]
    text.extend(f"{row.app}: {row.error}" for row in rows if row.error)
    return "\n".join(text)


def _cells(row: AppStatus, lookback: int) -> tuple[str, ...]:
    if row.error:
        return (row.app, row.state, *("?",) * (len(COLUMNS) - 2))
    return (
        row.app,
        row.state,
        str(row.desired),
        str(row.running),
        str(row.healthy_targets),
        _minutes_ago(row.minutes_since_request, lookback),
        _sleeps_in(row),
        row.rule or "?",
    )


def _minutes_ago(minutes: float | None, lookback: int) -> str:
    if minutes is None:
        return f"none in {lookback // 60} h" if lookback % 60 == 0 else f"none in {lookback} min"
    return f"{math.floor(minutes)} min ago"


def _sleeps_in(row: AppStatus) -> str:
    if row.minutes_to_sleep is None:
        return "-" if row.sleep_note == "asleep" else f"- ({row.sleep_note})"
    if row.minutes_to_sleep == 0:
        return "next scaler run"
    return f"{math.ceil(row.minutes_to_sleep)} min"
