"""The AWS calls the Lambdas and the CLI make for apps: read their facts, apply changes (thin, boto3 style).

Every call is scoped to the resources named in an AppSpec. Reads are batched where the API allows it, so
one scaler run for many apps makes few calls: DescribeServices takes 10 services, DescribeScalableTargets
50 resource ids, DescribeRules many rule ARNs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from common.apps import AppSpec
from common.facts import (
    Facts,
    ServiceView,
    TaskStatus,
    capacity_range_of,
    healthy_count,
    service_view,
    task_statuses,
)
from common.paging import chunks, pages
from common.retry import CallBudget, RetryingClient, RetryPolicy
from common.route import Route, RuleView, closed_actions, read_rule, rule_actions

SCALABLE_DIMENSION = "ecs:service:DesiredCount"
SERVICES_PER_CALL = 10  # DescribeServices
SCALABLE_TARGETS_PER_CALL = 50  # DescribeScalableTargets ResourceIds
RULES_PER_CALL = 20  # DescribeRules RuleArns
TASKS_PER_CALL = 100  # DescribeTasks


@dataclass(frozen=True, kw_only=True)
class Clients:
    ecs: Any
    elbv2: Any
    autoscaling: Any  # application-autoscaling
    cloudwatch: Any = None  # the scaler and the CLI read metrics
    ssm: Any = None  # app objects (common/registry.py)
    secrets: Any = None  # the waker's token key


def with_retries(
    clients: Clients,
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    draw: Callable[[], float] = random.random,
    budget: CallBudget | None = None,
) -> Clients:
    """The same clients, each call retried on throttling and transient errors (common/retry.py), within
    `budget` if given."""

    def wrap(client: Any) -> Any:
        if client is None:
            return None
        return RetryingClient(client, policy=policy, sleep=sleep, draw=draw, budget=budget)

    return Clients(
        ecs=wrap(clients.ecs),
        elbv2=wrap(clients.elbv2),
        autoscaling=wrap(clients.autoscaling),
        cloudwatch=wrap(clients.cloudwatch),
        ssm=wrap(clients.ssm),
        secrets=wrap(clients.secrets),
    )


def make_clients(session: Any = None, *, policy: RetryPolicy, budget: CallBudget | None = None) -> Clients:
    """boto3 clients (from `session`, or the default one) with botocore's retries off: ours are the policy."""
    import boto3
    from botocore.config import Config

    session = session or boto3.Session()
    config = Config(
        retries={"total_max_attempts": 1}, connect_timeout=policy.connect_timeout, read_timeout=policy.read_timeout
    )
    raw = Clients(
        ecs=session.client("ecs", config=config),
        elbv2=session.client("elbv2", config=config),
        autoscaling=session.client("application-autoscaling", config=config),
        cloudwatch=session.client("cloudwatch", config=config),
        ssm=session.client("ssm", config=config),
        secrets=session.client("secretsmanager", config=config),
    )
    return with_retries(raw, policy=policy, sleep=time.sleep, budget=budget)


# Reads --------------------------------------------------------------------------------------------------


def describe_services(clients: Clients, apps: Sequence[AppSpec]) -> dict[str, ServiceView]:
    """App name -> its service, 10 services per call (per cluster). Apps whose service is missing are left out."""
    views: dict[str, ServiceView] = {}
    by_cluster: dict[str, list[AppSpec]] = {}
    for app in apps:
        by_cluster.setdefault(app.cluster, []).append(app)
    for cluster, members in by_cluster.items():
        for batch in chunks(members, SERVICES_PER_CALL):
            response = clients.ecs.describe_services(
                cluster=cluster, services=[app.service for app in batch], include=["TAGS"]
            )
            found = {service["serviceName"]: service for service in response.get("services", [])}
            for app in batch:
                service = found.get(app.service_name)
                if service is not None and service.get("status", "ACTIVE") == "ACTIVE":
                    views[app.name] = service_view(service)
    return views


def read_routes(clients: Clients, apps: Sequence[AppSpec]) -> dict[str, Route]:
    """App name -> where its listener rule forwards; apps whose rule is missing are left out."""
    return {name: view.route for name, view in read_rules(clients, apps).items()}


def read_rules(clients: Clients, apps: Sequence[AppSpec]) -> dict[str, RuleView]:
    """App name -> its listener rule (where it forwards, the login it keeps); apps whose rule is missing are
    left out.

    DescribeRules refuses a whole batch when one rule is gone (RuleNotFound); that batch is then read rule
    by rule, so one deleted app does not hide the others.
    """
    by_arn = {app.rule_arn: app for app in apps}
    views: dict[str, RuleView] = {}
    for batch in chunks(list(by_arn), RULES_PER_CALL):
        try:
            rules = clients.elbv2.describe_rules(RuleArns=list(batch))["Rules"]
        except ClientError as error:
            if _code(error) != "RuleNotFound":
                raise
            rules = [rule for arn in batch for rule in _describe_rule(clients, arn)]
        for rule in rules:
            app = by_arn.get(rule["RuleArn"])
            if app is not None:
                views[app.name] = read_rule(
                    rule,
                    service_target_group_arn=app.service_target_group_arn,
                    waker_target_group_arn=app.waker_target_group_arn,
                )
    return views


def _describe_rule(clients: Clients, arn: str) -> list[dict[str, Any]]:
    try:
        return clients.elbv2.describe_rules(RuleArns=[arn])["Rules"]
    except ClientError as error:
        if _code(error) == "RuleNotFound":
            return []
        raise


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def read_capacity_ranges(clients: Clients, apps: Sequence[AppSpec]) -> dict[str, tuple[int, int]]:
    """App name -> its scalable target's (min, max); apps without a registered target are left out."""
    by_id = {app.scalable_target_id: app for app in apps}
    ranges: dict[str, tuple[int, int]] = {}
    for batch in chunks(list(by_id), SCALABLE_TARGETS_PER_CALL):
        for page in pages(
            clients.autoscaling.describe_scalable_targets,
            ServiceNamespace="ecs",
            ResourceIds=list(batch),
            ScalableDimension=SCALABLE_DIMENSION,
        ):
            for target in page["ScalableTargets"]:
                app = by_id.get(target["ResourceId"])
                if app is not None:
                    ranges[app.name] = capacity_range_of(target)
    return ranges


def read_target_health(clients: Clients, app: AppSpec) -> list[dict[str, Any]]:
    return clients.elbv2.describe_target_health(TargetGroupArn=app.service_target_group_arn)["TargetHealthDescriptions"]


def read_healthy_targets(clients: Clients, app: AppSpec) -> int:
    return healthy_count(read_target_health(clients, app))


def read_facts(clients: Clients, app: AppSpec, *, with_health: bool = True, with_capacity: bool = False) -> Facts:
    """One app's facts in three or four calls (the waker's and the CLI's view)."""
    services = describe_services(clients, [app])
    if app.name not in services:
        raise LookupError(f"{app.name}: ECS service {app.service} not found in {app.cluster}")
    rules = read_rules(clients, [app])
    if app.name not in rules:
        raise LookupError(f"{app.name}: listener rule {app.rule_arn} not found")
    return Facts(
        service=services[app.name],
        route=rules[app.name].route,
        kept_actions=rules[app.name].kept,
        healthy_targets=read_healthy_targets(clients, app) if with_health else None,
        capacity_range=read_capacity_ranges(clients, [app]).get(app.name) if with_capacity else None,
    )


def read_tasks(clients: Clients, app: AppSpec, *, stopped: bool = False) -> tuple[TaskStatus, ...]:
    """The service's running (or recently stopped) tasks: for the holding page's step and failure reasons."""
    arns = clients.ecs.list_tasks(
        cluster=app.cluster, serviceName=app.service_name, desiredStatus="STOPPED" if stopped else "RUNNING"
    )["taskArns"]
    tasks: list[Mapping[str, Any]] = []
    for batch in chunks(arns, TASKS_PER_CALL):
        tasks.extend(clients.ecs.describe_tasks(cluster=app.cluster, tasks=list(batch))["tasks"])
    return task_statuses(tasks)


def stopped_reasons(clients: Clients, app: AppSpec) -> tuple[str, ...]:
    """Why the service's recently stopped tasks stopped (DescribeTasks keeps them for at least an hour)."""
    return tuple(task.stopped_reason for task in read_tasks(clients, app, stopped=True) if task.stopped_reason)


# Writes -------------------------------------------------------------------------------------------------


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


def tag_service(clients: Clients, service_arn: str, tags: Iterable[tuple[str, str]]) -> None:
    clients.ecs.tag_resource(resourceArn=service_arn, tags=[{"key": key, "value": value} for key, value in tags])


def point_rule(clients: Clients, app: AppSpec, route: Route, *, kept: Sequence[Mapping[str, Any]] = ()) -> None:
    """Forward the rule to the service or the waker, resending `kept` (the login it has, Facts.kept_actions).

    ModifyRule replaces the whole action list, so whatever is not resent is dropped (common/route.py);
    raises LoginMissing, before any call, for an app that must authenticate when `kept` has no login.
    """
    if route not in (Route.SERVICE, Route.WAKER):
        raise ValueError("the rule can only be pointed at the service or the waker")
    arn = app.service_target_group_arn if route is Route.SERVICE else app.waker_target_group_arn
    actions = rule_actions(target_group_arn=arn, kept=kept, must_authenticate=app.auth)
    clients.elbv2.modify_rule(RuleArn=app.rule_arn, Actions=actions)


def close_rule(clients: Clients, app: AppSpec) -> None:
    """The rule answers a fixed 503 to everyone (an app that must authenticate lost its login)."""
    clients.elbv2.modify_rule(RuleArn=app.rule_arn, Actions=closed_actions())
