"""Live facts about one app, and pure readers that turn AWS API responses into them.

Nothing here calls AWS: common/aws.py makes the calls and hands the responses to these readers, so the
same facts come out of boto3, moto and the AWS twin (tests/twin).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from common.marks import Marks, read_marks, short_task_definition
from common.route import Route

# Service events worth showing when a wake fails (ECS keeps the latest 100 events per service).
EVENT_WORDS = ("unable", "fail", "error", "unhealthy", "stopped", "cannot", "denied")


@dataclass(frozen=True, kw_only=True)
class TaskStatus:
    last_status: str
    pull_started: bool = False
    pull_stopped: bool = False
    stopped_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ServiceView:
    """What DescribeServices says about the app's service."""

    desired_count: int
    running_count: int = 0
    pending_count: int = 0
    service_arn: str = ""
    task_definition: str = ""  # "family:revision"
    rollout_complete: bool = True  # the primary deployment reached COMPLETED (or reports no rollout state)
    marks: Marks = field(default_factory=Marks)
    events: tuple[str, ...] = ()  # newest first: the messages that explain a failure, if any


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What AWS says about one app right now."""

    service: ServiceView
    route: Route
    healthy_targets: int | None = None  # None: not read (the scaler reads target health only while waking)
    capacity_range: tuple[int, int] | None = None  # the scalable target's (min, max); None if not registered
    # The rule's actions before its routing one (its login), as DescribeRules returned them: every move of
    # the rule sends them again (common/route.py).
    kept_actions: tuple[dict[str, Any], ...] = ()

    @property
    def desired_count(self) -> int:
        return self.service.desired_count

    @property
    def marks(self) -> Marks:
        return self.service.marks


def service_view(service: Mapping[str, Any]) -> ServiceView:
    deployments = service.get("deployments") or []
    primary = next((item for item in deployments if item.get("status") == "PRIMARY"), None)
    rollout = (primary or {}).get("rolloutState", "COMPLETED")
    return ServiceView(
        desired_count=int(service["desiredCount"]),
        running_count=int(service.get("runningCount", 0)),
        pending_count=int(service.get("pendingCount", 0)),
        service_arn=str(service.get("serviceArn", "")),
        task_definition=short_task_definition(str(service.get("taskDefinition", ""))),
        rollout_complete=rollout == "COMPLETED" and len(deployments) <= 1,
        marks=read_marks(service.get("tags") or []),
        events=failure_events(service.get("events") or []),
    )


def failure_events(events: Iterable[Mapping[str, Any]], limit: int = 3, newest: int = 20) -> tuple[str, ...]:
    """The newest service event messages that say something went wrong (ECS lists events newest first)."""
    found = []
    for event in itertools.islice(events, newest):
        message = str(event.get("message", ""))
        if any(word in message.lower() for word in EVENT_WORDS):
            found.append(message)
        if len(found) == limit:
            break
    return tuple(found)


def healthy_count(descriptions: Iterable[Mapping[str, Any]]) -> int:
    return sum(1 for item in descriptions if item.get("TargetHealth", {}).get("State") == "healthy")


def target_states(descriptions: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(str(item.get("TargetHealth", {}).get("State", "unknown")) for item in descriptions)


def capacity_range_of(target: Mapping[str, Any]) -> tuple[int, int]:
    """A DescribeScalableTargets entry's (min, max)."""
    return (int(target["MinCapacity"]), int(target["MaxCapacity"]))


def task_statuses(tasks: Iterable[Mapping[str, Any]]) -> tuple[TaskStatus, ...]:
    return tuple(
        TaskStatus(
            last_status=str(task.get("lastStatus", "")),
            pull_started=task.get("pullStartedAt") is not None,
            pull_stopped=task.get("pullStoppedAt") is not None,
            stopped_reason=_stopped_reason(task),
        )
        for task in tasks
    )


def _stopped_reason(task: Mapping[str, Any]) -> str:
    """The task's stoppedReason, with its first container's reason when that says more."""
    reason = str(task.get("stoppedReason", ""))
    details = [str(container["reason"]) for container in task.get("containers", []) if container.get("reason")]
    return f"{reason}: {details[0]}" if details and details[0] not in reason else reason
