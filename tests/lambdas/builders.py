"""Small builders shared by the pure tests: facts, traffic and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from common.facts import Facts, RuleTarget
from common.policy import Policy
from scaler.traffic import Traffic

# A Wednesday, 03:00 UTC.
NOW = datetime(2024, 5, 15, 3, 0, tzinfo=UTC)
POLICY = Policy(idle_minutes=15, min_awake_minutes=5, min_tasks=1, max_tasks=3)


def minutes_ago(*minutes: int, count: float = 1.0) -> dict[datetime, float]:
    return {NOW - timedelta(minutes=minute): count for minute in minutes}


def traffic(
    service: Iterable[int] = (), waker: Iterable[int] = (), wakes: Iterable[int] = (), complete: bool = True
) -> Traffic:
    return Traffic(
        service=minutes_ago(*service), waker=minutes_ago(*waker), wakes=minutes_ago(*wakes), complete=complete
    )


def awake(**changes) -> Facts:
    values = dict(
        desired_count=1,
        rule_target=RuleTarget.SERVICE,
        healthy_targets=1,
        capacity_range=POLICY.awake_range,
        awake_since=NOW - timedelta(hours=1),
    )
    values.update(changes)
    return Facts(**values)


def sleeping(**changes) -> Facts:
    values = dict(
        desired_count=0,
        rule_target=RuleTarget.WAKER,
        healthy_targets=0,
        capacity_range=(0, 0),
        awake_since=NOW - timedelta(hours=2),
    )
    values.update(changes)
    return Facts(**values)


def waking(**changes) -> Facts:
    values = dict(
        desired_count=1,
        rule_target=RuleTarget.WAKER,
        healthy_targets=0,
        capacity_range=POLICY.awake_range,
        awake_since=NOW - timedelta(seconds=40),
    )
    values.update(changes)
    return Facts(**values)
