"""Scaler Lambda: every minute, one GetMetricData call for all apps, then decide and act per app.

Environment (see lambdas/README.md): ZERODASH_APPS, a JSON list of app objects.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from common.apps import AppSpec, parse_apps
from common.aws import Clients, make_clients, read_facts
from common.emf import emit, log_record
from scaler.apply import apply
from scaler.decision import State, decide
from scaler.metrics import fetch_traffic as read_traffic
from scaler.metrics import query_window
from scaler.traffic import Traffic

# The state after this run as one number per minute for the dashboard (a custom metric: $0.30/month per app).
STATE_METRIC = {State.SLEEPING: 0.0, State.WAKING: 1.0, State.AWAKE: 2.0}


@cache
def _apps() -> tuple[AppSpec, ...]:
    return parse_apps(os.environ["ZERODASH_APPS"])


@cache
def _clients() -> Clients:
    return make_clients()


def fetch_traffic(clients: Clients, apps: Sequence[AppSpec], now: datetime) -> dict[str, Traffic]:
    window = query_window(apps, now)
    return read_traffic(clients.cloudwatch, apps, window.start, window.end)


def run(clients: Clients, apps: Sequence[AppSpec], now: datetime) -> list[dict[str, Any]]:
    """One scaler run; returns the log records it printed (one per app)."""
    traffic = fetch_traffic(clients, apps, now)
    records = []
    for app in apps:
        records.append(_run_app(clients, app, traffic[app.name], now))
    for record in records:
        emit(record)
    return records


def _run_app(clients: Clients, app: AppSpec, traffic: Traffic, now: datetime) -> dict[str, Any]:
    try:
        facts = read_facts(clients, app)
        decision = decide(facts, traffic, app.policy, now)
        apply(clients, app, facts, decision)
    except Exception as error:  # one broken app must not stop the others
        return log_record(app.name, now, {"level": "ERROR", "error": f"{type(error).__name__}: {error}"})
    last = traffic.last_request()
    window_start = now - timedelta(minutes=app.policy.idle_minutes)
    fields = {
        "level": "INFO",
        "state": decision.before.value,
        "next_state": decision.state.value,
        "desired": facts.desired_count,
        "healthy": facts.healthy_targets,
        "rule": facts.rule_target.value,
        "requests": traffic.requests_since(window_start),
        "wake_requests": traffic.wakes_since(window_start),
        "metrics_complete": traffic.complete,
        "minutes_since_request": None if last is None else round((now - last).total_seconds() / 60, 1),
        "decision": decision.reason,
        "actions": list(decision.actions),
    }
    metrics = {
        "ColdStarts": 1.0 if decision.cold_start else None,
        "WakeSeconds": decision.wake_seconds,
        "State": STATE_METRIC[decision.state],
    }
    return log_record(app.name, now, fields, metrics)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = run(_clients(), _apps(), datetime.now(UTC))
    errors = [record["app"] for record in records if record.get("level") == "ERROR"]
    if errors:
        # Fail the invocation so the Lambda Errors metric (and any alarm on it) sees broken apps.
        raise RuntimeError(f"scaler failed for: {', '.join(errors)}")
    return {"apps": len(records)}
