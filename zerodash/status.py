"""`status`: each app's state, tasks, last request and time to sleep, from batched reads and one metric call.

The state is common.lifecycle.state_of over the same facts the scaler reads (services 10 per call, rules 20,
scalable targets 50; target health per app), and the traffic comes from scaler.metrics (one GetMetricData call
for every app), so the CLI sees an app exactly as the scaler's next run will. If a batched read fails (a rule
or cluster deleted by hand makes the whole call fail), the CLI reads that resource per app, so only the broken
app gets an ERROR row.

Time to sleep follows scaler.decision.decide (the same doze_holds):
- AWAKE: the scaler starts dozing at its first run once idleMinutes have passed since the end of the last
  minute with a request (and since the last visit the waker marked), and minAwakeMinutes since the wake; the
  tasks stop DOZE_MINUTES after that.
- DOZING: the tasks stop at dozing-since + DOZE_MINUTES (unless requests published late bring it back).
- WAKING, SLEEPING: none. In a keep-warm window, or with incomplete metrics, none either (and a note says why).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from common.apps import AppSpec
from common.aws import Clients, describe_services, read_capacity_ranges, read_healthy_targets, read_routes
from common.facts import Facts
from common.lifecycle import (
    DOZE_MINUTES,
    FAILED_WAKE_COOLDOWN_MINUTES,
    State,
    doze_deadline,
    recent_wake_failure,
    state_of,
)
from common.registry import BrokenApp
from scaler.decision import doze_holds
from scaler.metrics import EXTRA_MINUTES, floor_minute
from scaler.metrics import fetch_traffic as read_traffic
from scaler.traffic import MINUTE, Traffic

LOOKBACK_MINUTES = 180  # how far back "minutes since last request" looks (longer if an idle window is longer)
ERROR = "ERROR"

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class WakeFailed:
    """The `zerodash:wake-failed` mark: when, which task definition, and why."""

    at: str
    task_definition: str
    reason: str
    minutes_ago: float
    blocking: bool  # visitors get the failure page instead of a new wake (asleep, cooldown, same task definition)
    current: bool  # no wake started since


@dataclass(frozen=True, kw_only=True)
class AppStatus:
    app: str
    state: str  # AWAKE, DOZING, WAKING, SLEEPING, or ERROR (then `error` says why)
    desired: int | None = None
    running: int | None = None
    pending: int | None = None
    healthy_targets: int | None = None
    rule: str | None = None  # where the listener rule forwards: service, waker or other
    capacity_range: list[int] | None = None  # the scalable target's [min, max]
    awake_since: str | None = None
    dozing_since: str | None = None
    asleep_since: str | None = None
    visited_at: str | None = None  # a visitor the waker sent back while the app dozed
    minutes_since_request: float | None = None  # since the end of the last minute with a request; None: none
    minutes_to_doze: float | None = None  # AWAKE only: until the scaler may start dozing
    minutes_to_sleep: float | None = None  # until the tasks stop; None: see sleep_note
    sleep_note: str | None = None
    keep_warm: bool = False  # a keep-warm window is open now
    wake_failed: WakeFailed | None = None
    error: str | None = None


def lookback_minutes(apps: Sequence[AppSpec]) -> int:
    return max([LOOKBACK_MINUTES, *(app.policy.idle_minutes + EXTRA_MINUTES for app in apps)])


def fetch_traffic(clients: Clients, apps: Sequence[AppSpec], now: datetime, minutes: int) -> dict[str, Traffic]:
    """The scaler's query over a longer window, for every app: one GetMetricData call (per 500 apps, and page)."""
    end = floor_minute(now) + MINUTE
    return read_traffic(clients.cloudwatch, apps, end - timedelta(minutes=minutes + 1), end)


@dataclass(frozen=True)
class SleepTime:
    minutes_to_doze: float | None
    minutes_to_sleep: float | None
    note: str | None


def sleep_time(facts: Facts, traffic: Traffic, app: AppSpec, now: datetime) -> SleepTime:
    """Minutes until the scaler starts dozing (awake) and until the tasks stop, or None and why not."""
    state = state_of(facts)
    if state is State.SLEEPING:
        if app.policy.keep_warm_at(now) and recent_wake_failure(facts, now) is None:
            return SleepTime(None, None, "keep-warm window: the next scaler run wakes it")
        return SleepTime(None, None, "asleep")
    if state is State.WAKING:
        return SleepTime(None, None, "waking")
    if app.policy.keep_warm_at(now):
        return SleepTime(None, None, "keep-warm window")
    if not traffic.complete:
        return SleepTime(None, None, "metrics incomplete")
    if state is State.DOZING:
        deadline = doze_deadline(facts)
        assert deadline is not None  # DOZING means the mark is there
        return SleepTime(None, _minutes(deadline - now), None)
    dozes = max(now, doze_holds(facts, traffic, app).until or now)
    return SleepTime(_minutes(dozes - now), _minutes(dozes + timedelta(minutes=DOZE_MINUTES) - now), None)


def minutes_to_sleep(facts: Facts, traffic: Traffic, app: AppSpec, now: datetime) -> tuple[float | None, str | None]:
    """Minutes until the tasks stop, or None and why not."""
    estimate = sleep_time(facts, traffic, app, now)
    return estimate.minutes_to_sleep, estimate.note


def _minutes(delta: timedelta) -> float:
    return max(0.0, round(delta.total_seconds() / 60, 1))


def wake_failed(facts: Facts, now: datetime) -> WakeFailed | None:
    failure = facts.marks.wake_failure
    if failure is None:
        return None
    awake_since = facts.marks.awake_since
    return WakeFailed(
        at=failure.at.isoformat(),
        task_definition=failure.task_definition,
        reason=failure.reason,
        minutes_ago=_minutes(now - failure.at),
        # The waker shows the failure page only to visitors of a sleeping app (a wake since is under way).
        blocking=state_of(facts) is State.SLEEPING and recent_wake_failure(facts, now) is not None,
        current=awake_since is None or failure.at >= awake_since,
    )


def app_status(facts: Facts, traffic: Traffic, app: AppSpec, now: datetime) -> AppStatus:
    last = traffic.last_request()
    estimate = sleep_time(facts, traffic, app, now)
    marks = facts.marks
    return AppStatus(
        app=app.name,
        state=state_of(facts).value,
        desired=facts.desired_count,
        running=facts.service.running_count,
        pending=facts.service.pending_count,
        healthy_targets=facts.healthy_targets,
        rule=facts.route.value,
        capacity_range=list(facts.capacity_range) if facts.capacity_range else None,
        awake_since=_iso(marks.awake_since),
        dozing_since=_iso(marks.dozing),
        asleep_since=_iso(marks.asleep_since),
        visited_at=_iso(marks.visited_at),
        minutes_since_request=None if last is None else _minutes(now - last),
        minutes_to_doze=estimate.minutes_to_doze,
        minutes_to_sleep=estimate.minutes_to_sleep,
        sleep_note=estimate.note,
        keep_warm=app.policy.keep_warm_at(now),
        wake_failed=wake_failed(facts, now),
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def collect(
    clients: Clients, apps: Sequence[AppSpec], now: datetime, broken: Sequence[BrokenApp] = ()
) -> list[AppStatus]:
    """Every app's status, sorted by name; an app that cannot be read gets an ERROR row, the others still show."""
    traffic = fetch_traffic(clients, apps, now, lookback_minutes(apps)) if apps else {}
    services, service_errors = _read_batched(describe_services, clients, apps)
    routes, route_errors = _read_batched(read_routes, clients, apps)
    ranges, _ = _read_batched(read_capacity_ranges, clients, apps)  # optional: a missing range shows as null
    rows = [AppStatus(app=item.name, state=ERROR, error=f"invalid app object: {item.error}") for item in broken]
    for app in apps:
        error = service_errors.get(app.name) or route_errors.get(app.name)
        if error is None and app.name not in services:
            error = f"ECS service {app.service} not found in {app.cluster}"
        if error is None and app.name not in routes:
            error = f"listener rule {app.rule_arn} not found"
        healthy = None
        if error is None:
            try:
                healthy = read_healthy_targets(clients, app)
            except ClientError as failure:
                error = _aws_error(failure)
        if error is not None:
            rows.append(AppStatus(app=app.name, state=ERROR, error=error))
            continue
        facts = Facts(
            service=services[app.name],
            route=routes[app.name],
            healthy_targets=healthy,
            capacity_range=ranges.get(app.name),
        )
        rows.append(app_status(facts, traffic.get(app.name, Traffic(complete=False)), app, now))
    return sorted(rows, key=lambda row: row.app)


def _read_batched(
    read: Callable[[Clients, Sequence[AppSpec]], Mapping[str, T]], clients: Clients, apps: Sequence[AppSpec]
) -> tuple[dict[str, T], dict[str, str]]:
    """One batched read for all apps; if AWS refuses the batch, one read per app, so one app's error stays its own."""
    try:
        return dict(read(clients, apps)), {}
    except ClientError as failure:
        if len(apps) == 1:
            return {}, {apps[0].name: _aws_error(failure)}
    found: dict[str, T] = {}
    errors: dict[str, str] = {}
    for app in apps:
        try:
            found.update(read(clients, [app]))
        except ClientError as failure:
            errors[app.name] = _aws_error(failure)
    return found, errors


def _aws_error(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"AWS {error.operation_name} failed: {details.get('Code', 'Unknown')}: {details.get('Message', error)}"


def as_json(
    rows: Sequence[AppStatus], *, stack_prefix: str, apps_path: str, region: str, now: datetime, lookback: int
) -> dict[str, Any]:
    return {
        "stack_prefix": stack_prefix,
        "apps_path": apps_path,
        "region": region,
        "time": now.isoformat(),
        "lookback_minutes": lookback,
        "doze_minutes": DOZE_MINUTES,
        "apps": [asdict(row) for row in rows],
    }


COLUMNS = ("APP", "STATE", "DESIRED", "RUNNING", "HEALTHY", "LAST REQUEST", "SLEEPS IN", "RULE")


def as_table(rows: Sequence[AppStatus], *, lookback: int) -> str:
    lines = [COLUMNS, *(_cells(row, lookback) for row in rows)]
    widths = [max(len(line[index]) for line in lines) for index in range(len(COLUMNS))]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines]
    for row in rows:
        text.extend(notes(row))
    return "\n".join(text)


def notes(row: AppStatus) -> list[str]:
    """The lines under the table for one app: its error, a failed wake, a dozing app's doze."""
    if row.error:
        return [f"{row.app}: {row.error}"]
    lines = []
    failed = row.wake_failed
    if failed is not None and (failed.blocking or failed.current):
        when = f"wake failed {_ago(failed.minutes_ago)} ({failed.task_definition}): {failed.reason}"
        if failed.blocking:
            left = max(1, math.ceil(FAILED_WAKE_COOLDOWN_MINUTES - failed.minutes_ago))
            when += f"; visitors get the failure page for {left} more min or until a new task definition is deployed"
        lines.append(f"{row.app}: {when}")
    if row.state == State.DOZING.value:
        lines.append(
            f"{row.app}: dozing: the rule is on the waker, the tasks still run; a visitor is sent straight back, "
            f"and without one the tasks stop {DOZE_MINUTES} min after the doze began"
        )
    return lines


def _ago(minutes: float) -> str:
    if minutes < 120:
        return f"{math.floor(minutes)} min ago"
    return f"{minutes / 60:.0f} h ago"


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
        return "-" if row.sleep_note in ("asleep", "waking") else f"- ({row.sleep_note})"
    if row.minutes_to_sleep == 0:
        return "next scaler run"
    return f"{math.ceil(row.minutes_to_sleep)} min"
