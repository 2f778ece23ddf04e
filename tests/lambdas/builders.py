"""Small builders shared by the pure tests: an app, its facts in each state, traffic, and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from common.apps import AppSpec, parse_app
from common.facts import Facts, ServiceView
from common.marks import Marks
from common.route import Route
from scaler.traffic import Traffic

# A Wednesday, 03:00 UTC.
NOW = datetime(2024, 5, 15, 3, 0, tzinfo=UTC)
ACCOUNT = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
APP: AppSpec = parse_app(
    {
        "name": "sales",
        "cluster": "zd",
        "service": "sales",
        "ruleArn": f"{ACCOUNT}:listener-rule/app/zd-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
        "serviceTargetGroupArn": f"{ACCOUNT}:targetgroup/sales-svc/73e2d6bc24d8a067",
        "wakerTargetGroupArn": f"{ACCOUNT}:targetgroup/sales-wkr/0123456789abcdef",
        "idleMinutes": 15,
        "minAwakeMinutes": 5,
        "minTasks": 1,
        "maxTasks": 3,
        "expectedStartSeconds": 60,
    }
)
TASK_DEFINITION = "zerodash-sales:7"


def minutes_ago(*minutes: float, count: float = 1.0) -> dict[datetime, float]:
    """Datapoints keyed by their minute's start, `minutes` before NOW's minute."""
    return {NOW - timedelta(minutes=minute): count for minute in minutes}


def traffic(service: Iterable[float] = (), complete: bool = True) -> Traffic:
    return Traffic(service=minutes_ago(*service), complete=complete)


def facts(
    *,
    desired: int,
    route: Route,
    healthy: int | None = None,
    capacity: tuple[int, int] | None = None,
    marks: Marks | None = None,
    task_definition: str = TASK_DEFINITION,
    events: tuple[str, ...] = (),
    rollout_complete: bool = True,
) -> Facts:
    service = ServiceView(
        desired_count=desired,
        service_arn="arn:aws:ecs:us-east-1:123456789012:service/zd/sales",
        task_definition=task_definition,
        rollout_complete=rollout_complete,
        marks=marks or Marks(),
        events=events,
    )
    return Facts(service=service, route=route, healthy_targets=healthy, capacity_range=capacity)


def awake(**marks) -> Facts:
    defaults = {"awake_since": NOW - timedelta(hours=1), "verified_task_definition": TASK_DEFINITION}
    return facts(desired=1, route=Route.SERVICE, healthy=1, capacity=(1, 3), marks=Marks(**{**defaults, **marks}))


def dozing(seconds: float = 60, **marks) -> Facts:
    defaults = {
        "awake_since": NOW - timedelta(hours=1),
        "dozing_since": NOW - timedelta(seconds=seconds),
        "verified_task_definition": TASK_DEFINITION,
    }
    return facts(desired=1, route=Route.WAKER, healthy=1, capacity=(1, 3), marks=Marks(**{**defaults, **marks}))


def waking(seconds: float = 40, healthy: int = 0, **marks) -> Facts:
    defaults = {"awake_since": NOW - timedelta(seconds=seconds), "asleep_since": NOW - timedelta(hours=2)}
    return facts(desired=1, route=Route.WAKER, healthy=healthy, capacity=(1, 3), marks=Marks(**{**defaults, **marks}))


def sleeping(**marks) -> Facts:
    defaults = {
        "awake_since": NOW - timedelta(hours=3),
        "asleep_since": NOW - timedelta(hours=2),
        "verified_task_definition": TASK_DEFINITION,
    }
    return facts(desired=0, route=Route.WAKER, capacity=(0, 0), marks=Marks(**{**defaults, **marks}))


def with_route(value: Facts, route: Route) -> Facts:
    return replace(value, route=route)
