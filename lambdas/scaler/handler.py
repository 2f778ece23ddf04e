"""Scaler Lambda: on a schedule, read every app's facts in a few batched calls, then decide and act per app.

Environment (lambdas/README.md): ZERODASH_APPS_PATH, the SSM path of the app objects.
Calls per run for N apps: GetParametersByPath N/10, DescribeServices N/10, DescribeRules N/20,
DescribeScalableTargets N/50, one GetMetricData for the apps that are up, DescribeTargetHealth per waking
app; then only the writes the decisions make.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from common.apply import apply
from common.apps import AppSpec
from common.aws import (
    Clients,
    describe_services,
    make_clients,
    read_capacity_ranges,
    read_healthy_targets,
    read_rules,
    stopped_reasons,
)
from common.emf import emit, log_record
from common.facts import Facts
from common.lifecycle import Decision, State, state_of
from common.registry import load_apps
from common.retry import SCALER_RETRIES, is_retryable
from scaler.decision import decide, fail_wake
from scaler.metrics import fetch_traffic, query_window
from scaler.traffic import Traffic

# The state after this run, one number per minute for the dashboard. Written only while the app is not
# asleep (a custom metric is billed for the hours it has data); the dashboard reads a gap as 0, asleep.
STATE_METRIC = {State.SLEEPING: 0.0, State.WAKING: 1.0, State.DOZING: 2.0, State.AWAKE: 3.0}


@dataclass(frozen=True, kw_only=True)
class Runtime:
    clients: Clients
    now: Callable[[], datetime]
    apps_path: str


def build_runtime(clients: Clients, environ: Mapping[str, str], *, now: Callable[[], datetime]) -> Runtime:
    """What a cold start sets up once. The twin builds it the same way, with its own clients and clock."""
    return Runtime(clients=clients, now=now, apps_path=environ["ZERODASH_APPS_PATH"])


@cache
def _runtime() -> Runtime:
    return build_runtime(make_clients(policy=SCALER_RETRIES), os.environ, now=lambda: datetime.now(UTC))


def run(runtime: Runtime) -> list[dict[str, Any]]:
    """One scaler run; returns the log records it printed (one per app)."""
    clients = runtime.clients
    # The time is taken before anything is read: every read then happens at or after it, which the
    # deadlines in common/lifecycle.py rely on.
    now = runtime.now()
    apps, broken = load_apps(clients.ssm, runtime.apps_path)
    records = [log_record(item.name, now, {"level": "ERROR", "error": item.error}) for item in broken]
    services = describe_services(clients, apps)
    rules = read_rules(clients, apps)
    ranges = read_capacity_ranges(clients, apps)

    facts: dict[str, Facts] = {}
    for app in apps:
        missing = [what for what, found in (("service", services), ("listener rule", rules)) if app.name not in found]
        if missing:
            records.append(log_record(app.name, now, {"level": "ERROR", "error": f"{' and '.join(missing)} not found"}))
            continue
        rule = rules[app.name]
        facts[app.name] = Facts(
            service=services[app.name],
            route=rule.route,
            capacity_range=ranges.get(app.name),
            kept_actions=rule.kept,
        )

    up = [app for app in apps if app.name in facts and state_of(facts[app.name]) in (State.AWAKE, State.DOZING)]
    traffic = _traffic(clients, up, now)
    for app in apps:
        if app.name in facts:
            records.append(_run_app(clients, app, facts[app.name], traffic.get(app.name, Traffic()), now))
    for record in records:
        emit(record)
    return records


def _traffic(clients: Clients, apps: list[AppSpec], now: datetime) -> dict[str, Traffic]:
    """The apps' requests; if CloudWatch cannot be read, incomplete traffic, on which nothing dozes."""
    if not apps:
        return {}
    window = query_window(apps, now)
    try:
        return fetch_traffic(clients.cloudwatch, apps, window.start, window.end)
    except Exception as error:
        if not is_retryable(error):
            raise
        return {app.name: Traffic(complete=False) for app in apps}


def _run_app(clients: Clients, app: AppSpec, facts: Facts, traffic: Traffic, now: datetime) -> dict[str, Any]:
    try:
        if state_of(facts) is State.WAKING:
            facts = replace(facts, healthy_targets=read_healthy_targets(clients, app))
        decision = decide(facts, traffic, app, now)
        if "WakeFailures" in decision.metrics:
            decision = fail_wake(facts, app, now, stopped_reasons=stopped_reasons(clients, app))
        apply(clients, app, facts, decision)
    except Exception as error:  # one broken app must not stop the others
        return log_record(app.name, now, {"level": "ERROR", "error": f"{type(error).__name__}: {error}"})
    return _record(app, facts, traffic, decision, now)


def _record(app: AppSpec, facts: Facts, traffic: Traffic, decision: Decision, now: datetime) -> dict[str, Any]:
    last = traffic.last_request()
    fields = {
        "level": "ERROR" if decision.error else "WARNING" if "WakeFailures" in decision.metrics else "INFO",
        "state": decision.before.value,
        "next_state": decision.state.value,
        "desired": facts.desired_count,
        "healthy": facts.healthy_targets,
        "rule": facts.route.value,
        "requests": traffic.requests_since(now - timedelta(minutes=app.policy.idle_minutes)),
        "metrics_complete": traffic.complete,
        "minutes_since_request": None if last is None else round((now - last).total_seconds() / 60, 1),
        "decision": decision.reason,
        "actions": list(decision.actions),
    }
    if decision.error:
        fields["error"] = decision.error
    metrics = dict(decision.metrics)
    if decision.state is not State.SLEEPING:
        metrics["State"] = STATE_METRIC[decision.state]
    return log_record(app.name, now, fields, metrics)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = run(_runtime())
    errors = [record["app"] for record in records if record.get("level") == "ERROR"]
    if errors:
        # Fail the invocation so the Lambda Errors metric (and the alarm on it) sees broken apps.
        raise RuntimeError(f"scaler failed for: {', '.join(errors)}")
    return {"apps": len(records)}
