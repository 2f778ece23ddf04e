"""The AWS calls both Lambdas make for one app: read its facts, and apply changes (thin, boto3 only).

Every call is scoped to the resources named in the app's AppSpec, which comes from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from common.apps import AppSpec
from common.facts import (
    AWAKE_SINCE_TAG,
    Facts,
    RuleTarget,
    TaskStatus,
    awake_since_of,
    capacity_range_of,
    format_awake_since,
    healthy_count,
    rule_target_of,
    target_states,
    task_statuses,
)

SCALABLE_DIMENSION = "ecs:service:DesiredCount"


@dataclass(frozen=True, kw_only=True)
class Clients:
    ecs: Any
    elbv2: Any
    autoscaling: Any  # application-autoscaling
    cloudwatch: Any = None  # only the scaler reads metrics


def make_clients() -> Clients:
    import boto3

    return Clients(
        ecs=boto3.client("ecs"),
        elbv2=boto3.client("elbv2"),
        autoscaling=boto3.client("application-autoscaling"),
        cloudwatch=boto3.client("cloudwatch"),
    )


def describe_service(clients: Clients, app: AppSpec) -> dict[str, Any]:
    response = clients.ecs.describe_services(cluster=app.cluster, services=[app.service], include=["TAGS"])
    if not response.get("services"):
        failures = response.get("failures")
        raise LookupError(f"{app.name}: ECS service {app.service} not found in {app.cluster}: {failures}")
    return response["services"][0]


def read_rule_target(clients: Clients, app: AppSpec) -> RuleTarget:
    rules = clients.elbv2.describe_rules(RuleArns=[app.rule_arn])["Rules"]
    return rule_target_of(rules[0], service_tg=app.service_target_group_arn, waker_tg=app.waker_target_group_arn)


def read_target_health(clients: Clients, app: AppSpec) -> list[dict[str, Any]]:
    return clients.elbv2.describe_target_health(TargetGroupArn=app.service_target_group_arn)["TargetHealthDescriptions"]


def read_capacity_range(clients: Clients, app: AppSpec) -> tuple[int, int] | None:
    response = clients.autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[app.scalable_target_id], ScalableDimension=SCALABLE_DIMENSION
    )
    return capacity_range_of(response["ScalableTargets"])


def read_facts(clients: Clients, app: AppSpec, *, with_rule: bool = True, with_capacity: bool = True) -> Facts:
    service = describe_service(clients, app)
    return Facts(
        desired_count=int(service["desiredCount"]),
        running_count=int(service.get("runningCount", 0)),
        pending_count=int(service.get("pendingCount", 0)),
        rule_target=read_rule_target(clients, app) if with_rule else RuleTarget.WAKER,
        healthy_targets=healthy_count(read_target_health(clients, app)),
        capacity_range=read_capacity_range(clients, app) if with_capacity else None,
        awake_since=awake_since_of(service.get("tags", [])),
        service_arn=str(service["serviceArn"]),
    )


def read_progress(clients: Clients, app: AppSpec) -> tuple[tuple[TaskStatus, ...], tuple[str, ...]]:
    """The service's tasks and its targets' health states, for the holding page's live step."""
    arns = clients.ecs.list_tasks(cluster=app.cluster, serviceName=app.service_name)["taskArns"]
    tasks = clients.ecs.describe_tasks(cluster=app.cluster, tasks=arns)["tasks"] if arns else []
    return task_statuses(tasks), target_states(read_target_health(clients, app))


def set_capacity_range(clients: Clients, app: AppSpec, capacity: tuple[int, int]) -> None:
    clients.autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=app.scalable_target_id,
        ScalableDimension=SCALABLE_DIMENSION,
        MinCapacity=capacity[0],
        MaxCapacity=capacity[1],
    )


def set_desired_count(clients: Clients, app: AppSpec, count: int) -> None:
    clients.ecs.update_service(cluster=app.cluster, service=app.service, desiredCount=count)


def stamp_awake_since(clients: Clients, service_arn: str, moment: datetime) -> None:
    clients.ecs.tag_resource(
        resourceArn=service_arn, tags=[{"key": AWAKE_SINCE_TAG, "value": format_awake_since(moment)}]
    )


def point_rule(clients: Clients, app: AppSpec, target: RuleTarget) -> None:
    if target is RuleTarget.OTHER:
        raise ValueError("the rule can only be pointed at the service or the waker")
    arn = app.service_target_group_arn if target is RuleTarget.SERVICE else app.waker_target_group_arn
    clients.elbv2.modify_rule(RuleArn=app.rule_arn, Actions=[{"Type": "forward", "TargetGroupArn": arn}])
