"""Live facts about one app, and pure readers that turn AWS API responses into them.

The scaler is stateless: everything it knows comes from these facts and the request metrics. The only
thing it writes for itself is the service tag AWAKE_SINCE_TAG, stamped whenever an app is woken from
zero, so that the minimum awake time survives between runs (see lambdas/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

AWAKE_SINCE_TAG = "zerodash:awake-since"


class RuleTarget(Enum):
    SERVICE = "service"
    WAKER = "waker"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class TaskStatus:
    last_status: str
    pull_started: bool = False
    pull_stopped: bool = False


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What AWS says about one app right now."""

    desired_count: int
    rule_target: RuleTarget
    healthy_targets: int
    capacity_range: tuple[int, int] | None = None  # the scalable target's (min, max); None if not registered
    awake_since: datetime | None = None
    running_count: int = 0
    pending_count: int = 0
    service_arn: str = ""


def rule_target_of(rule: Mapping[str, Any], *, service_tg: str, waker_tg: str) -> RuleTarget:
    """Where a listener rule forwards: the service's target group, the waker's, or anything else."""
    forwards = [action for action in rule.get("Actions", []) if action.get("Type") == "forward"]
    if len(forwards) != 1:
        return RuleTarget.OTHER
    action = forwards[0]
    config_groups = action.get("ForwardConfig", {}).get("TargetGroups", [])
    targets = {group["TargetGroupArn"] for group in config_groups if group.get("Weight", 1) > 0}
    if action.get("TargetGroupArn"):
        targets.add(action["TargetGroupArn"])
    if targets == {service_tg}:
        return RuleTarget.SERVICE
    if targets == {waker_tg}:
        return RuleTarget.WAKER
    return RuleTarget.OTHER


def healthy_count(descriptions: Iterable[Mapping[str, Any]]) -> int:
    return sum(1 for item in descriptions if item.get("TargetHealth", {}).get("State") == "healthy")


def target_states(descriptions: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(str(item.get("TargetHealth", {}).get("State", "unknown")) for item in descriptions)


def awake_since_of(tags: Iterable[Mapping[str, Any]]) -> datetime | None:
    for tag in tags:
        if tag.get("key") == AWAKE_SINCE_TAG:
            try:
                parsed = datetime.fromisoformat(str(tag.get("value")))
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def format_awake_since(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def capacity_range_of(targets: Iterable[Mapping[str, Any]]) -> tuple[int, int] | None:
    for target in targets:
        return (int(target["MinCapacity"]), int(target["MaxCapacity"]))
    return None


def task_statuses(tasks: Iterable[Mapping[str, Any]]) -> tuple[TaskStatus, ...]:
    return tuple(
        TaskStatus(
            last_status=str(task.get("lastStatus", "")),
            pull_started=task.get("pullStartedAt") is not None,
            pull_stopped=task.get("pullStoppedAt") is not None,
        )
        for task in tasks
    )
