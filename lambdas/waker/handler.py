"""Waker Lambda: the ALB target behind a sleeping app's listener rule.

Environment (see lambdas/README.md): ZERODASH_APP, one JSON app object. The waker only ever touches
that app's service, scalable target and listener rule; nothing in the request selects a resource.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

from common.apps import AppSpec, parse_one_app
from common.aws import (
    Clients,
    make_clients,
    point_rule,
    read_facts,
    read_progress,
    set_capacity_range,
    set_desired_count,
    stamp_awake_since,
)
from common.emf import emit, log_record
from common.facts import RuleTarget
from waker import responses
from waker.classify import Kind, classify, request_from_event
from waker.page import current_step, render_page


@cache
def _app() -> AppSpec:
    return parse_one_app(os.environ["ZERODASH_APP"])


@cache
def _clients() -> Clients:
    return make_clients()


def handle(clients: Clients, app: AppSpec, event: dict[str, Any], now: datetime) -> dict[str, Any]:
    request = request_from_event(event)
    kind = classify(request)
    multi = request.multi_value
    fields: dict[str, Any] = {"level": "INFO", "kind": kind.value, "method": request.method, "path": request.path}
    if kind is Kind.ROBOTS:
        emit(log_record(app.name, now, {**fields, "action": "robots.txt"}))
        return responses.robots_txt(multi_value=multi)
    if not kind.wakes:
        emit(log_record(app.name, now, {**fields, "action": "ignored", "user_agent": request.header("user-agent")}))
        return responses.asleep_for_bots(multi_value=multi)

    metrics: dict[str, float | None] = {"WakeRequests": 1.0}
    facts = read_facts(clients, app, with_rule=False, with_capacity=False)
    elapsed = (now - facts.awake_since).total_seconds() if facts.awake_since is not None else None

    if facts.desired_count >= 1 and facts.healthy_targets > 0:
        point_rule(clients, app, RuleTarget.SERVICE)
        metrics["WakeSeconds"] = elapsed
        emit(log_record(app.name, now, {**fields, "action": "rule->service"}, metrics))
        if kind is Kind.PAGE:
            return responses.redirect(request.url, multi_value=multi)
        return responses.json_unavailable("The app is ready; retry the request.", 1, multi_value=multi)

    action = "waiting"
    if facts.desired_count == 0:
        # Concurrent wakers may all get here; they all write the same values, so the result is the same.
        set_capacity_range(clients, app, app.policy.awake_range)
        set_desired_count(clients, app, app.policy.min_tasks)
        stamp_awake_since(clients, facts.service_arn, now)
        metrics["ColdStarts"] = 1.0
        action, elapsed = f"desired=0->{app.policy.min_tasks}", 0.0
    emit(log_record(app.name, now, {**fields, "action": action}, metrics))

    if kind is Kind.API:
        message = f"{app.title} is starting; retry in a few seconds or reload the page."
        return responses.json_unavailable(message, app.refresh_seconds, multi_value=multi)
    tasks, states = read_progress(clients, app)
    page = render_page(
        title=app.title,
        step=current_step(tasks, states),
        expected_seconds=app.expected_start_seconds,
        elapsed_seconds=elapsed,
        refresh_seconds=app.refresh_seconds,
    )
    return responses.holding_page(page, multi_value=multi)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_clients(), _app(), event, datetime.now(UTC))
