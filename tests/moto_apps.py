"""Scale-to-zero apps in moto, deployed as the infra deploys them; shared by the Lambda and CLI tests.

Once (`build_platform`): a VPC with two subnets, the ALB with its public listener (port 80, 404 by default) and
the unreachable keeper listener (port 8081), the ECS cluster, and the wake-token secret (one per deployment).

Per app (`add_app`, `add_awake_app`, `add_sleeping_app`): a service target group (IP) and a waker target group
(Lambda); the app's listener rule on the public listener, forwarding to the service while awake and to the waker
while asleep; a keeper rule on the keeper listener (condition source-ip 255.255.255.255/32, so no request ever
matches it) that forwards to the service target group, keeping it in use; the ECS service and its scalable
target; and the app object (lambdas/README.md) written to the SSM parameter `/zerodash/<prefix>/apps/<name>`.
An awake app has desired 1, range [1, 2], the `zerodash:awake-since` mark two hours back and a registered target;
a sleeping app has desired 0, range [0, 0], the `zerodash:asleep-since` mark and no target.

moto quirks handled here: it runs no tasks and marks every registered target healthy, so a healthy task is a
registered target; its CloudWatch matches dimensions only in the order they were put, so datapoints go in as
the scaler queries them (LoadBalancer, then TargetGroup). Call these inside `mock_aws()`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from common.aws import Clients
from common.marks import ASLEEP_SINCE, AWAKE_SINCE, format_time
from common.registry import apps_path

REGION = "us-east-1"
CLUSTER = "zd"
STACK_PREFIX = "ZeroDash"
KEEPER_PORT = 8081
KEEPER_CONDITION = {"Field": "source-ip", "SourceIpConfig": {"Values": ["255.255.255.255/32"]}}
HEALTHY_TARGET = {"Id": "10.0.1.10", "Port": 8050}
TOKEN_SECRET_NAME = "zerodash-wake-token"


@dataclass(frozen=True)
class Platform:
    clients: Clients
    listener_arn: str
    vpc_id: str
    cluster_arn: str
    keeper_listener_arn: str = ""
    stack_prefix: str = STACK_PREFIX
    token_secret_arn: str = ""

    @property
    def apps_path(self) -> str:
        return apps_path(self.stack_prefix)

    def parameter_name(self, app: str) -> str:
        return self.apps_path + app


def make_clients() -> Clients:
    """Plain boto3 clients (botocore's retries, no wrapper): the tests' own view of moto."""
    return Clients(
        ecs=boto3.client("ecs", region_name=REGION),
        elbv2=boto3.client("elbv2", region_name=REGION),
        autoscaling=boto3.client("application-autoscaling", region_name=REGION),
        cloudwatch=boto3.client("cloudwatch", region_name=REGION),
        ssm=boto3.client("ssm", region_name=REGION),
        secrets=boto3.client("secretsmanager", region_name=REGION),
    )


def build_platform(stack_prefix: str = STACK_PREFIX) -> Platform:
    """VPC, ALB with the public listener (404 by default) and the keeper listener, ECS cluster, token secret."""
    clients = make_clients()
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in ((1, "a"), (2, "b"))
    ]
    alb = clients.elbv2.create_load_balancer(Name="zd-alb", Subnets=subnets)["LoadBalancers"][0]
    not_found = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    listener, keeper = (
        clients.elbv2.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=not_found
        )["Listeners"][0]["ListenerArn"]
        for port in (80, KEEPER_PORT)
    )
    cluster = clients.ecs.create_cluster(clusterName=CLUSTER)["cluster"]["clusterArn"]
    secret = clients.secrets.create_secret(Name=f"{stack_prefix}-{TOKEN_SECRET_NAME}", SecretString="moto-token-key")
    return Platform(
        clients=clients,
        listener_arn=listener,
        vpc_id=vpc,
        cluster_arn=cluster,
        keeper_listener_arn=keeper,
        stack_prefix=stack_prefix,
        token_secret_arn=secret["ARN"],
    )


def add_app(platform: Platform, name: str, *, priority: int, path: str, awake: bool = True, **extra: Any) -> dict:
    """Deploy one app, awake or asleep, and return its app object (also written to its SSM parameter).

    `extra` adds keys to the app object (e.g. title, keepWarm)."""
    elbv2, ecs = platform.clients.elbv2, platform.clients.ecs
    service_tg = elbv2.create_target_group(
        Name=f"{name}-svc", Protocol="HTTP", Port=8050, VpcId=platform.vpc_id, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    waker_tg = elbv2.create_target_group(Name=f"{name}-wkr", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    rule = elbv2.create_rule(
        ListenerArn=platform.listener_arn,
        Priority=priority,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [path]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": service_tg if awake else waker_tg}],
    )["Rules"][0]["RuleArn"]
    if platform.keeper_listener_arn:
        elbv2.create_rule(
            ListenerArn=platform.keeper_listener_arn,
            Priority=priority,
            Conditions=[KEEPER_CONDITION],
            Actions=[{"Type": "forward", "TargetGroupArn": service_tg}],
        )
    ecs.register_task_definition(
        family=name,
        containerDefinitions=[{"name": "app", "image": "dash", "memory": 1024}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="512",
        memory="1024",
    )
    service = ecs.create_service(
        cluster=CLUSTER, serviceName=name, taskDefinition=name, desiredCount=1 if awake else 0, launchType="FARGATE"
    )["service"]
    # Woken (or put to sleep) two hours ago, as far as the minimum-awake clock and the marks are concerned.
    mark = AWAKE_SINCE if awake else ASLEEP_SINCE
    tag_service(platform.clients, service["serviceArn"], {mark: format_time(datetime.now(UTC) - timedelta(hours=2))})
    platform.clients.autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{CLUSTER}/{name}",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1 if awake else 0,
        MaxCapacity=2 if awake else 0,
    )
    if awake:
        elbv2.register_targets(TargetGroupArn=service_tg, Targets=[HEALTHY_TARGET])
    app_object = {
        "name": name,
        **extra,
        "cluster": platform.cluster_arn,
        "service": name,
        "ruleArn": rule,
        "serviceTargetGroupArn": service_tg,
        "wakerTargetGroupArn": waker_tg,
        "idleMinutes": 15,
        "minAwakeMinutes": 5,
        "minTasks": 1,
        "maxTasks": 2,
    }
    put_app_object(platform, app_object)
    return app_object


def add_awake_app(platform: Platform, name: str, *, priority: int, path: str, **extra: Any) -> dict:
    """Deploy one awake app (rule on the service, desired 1, a healthy target) and return its app object."""
    return add_app(platform, name, priority=priority, path=path, awake=True, **extra)


def add_sleeping_app(platform: Platform, name: str, *, priority: int, path: str, **extra: Any) -> dict:
    """Deploy one sleeping app (rule on the waker, desired 0, range [0, 0]) and return its app object."""
    return add_app(platform, name, priority=priority, path=path, awake=False, **extra)


def put_app_object(platform: Platform, app_object: Mapping[str, Any], *, name: str | None = None) -> str:
    """Write (or overwrite) an app object's SSM parameter, as its app stack does; returns the parameter name.

    `name` overrides the parameter's last segment (default: the object's `name`), e.g. for a broken object."""
    parameter = platform.parameter_name(name or str(app_object["name"]))
    platform.clients.ssm.put_parameter(
        Name=parameter, Value=json.dumps(app_object), Type="String", Tier="Standard", Overwrite=True
    )
    return parameter


def tag_service(clients: Clients, service_arn: str, tags: Mapping[str, str]) -> None:
    """Write marks (common/marks.py) on a service, as the Lambdas and the CLI do."""
    clients.ecs.tag_resource(
        resourceArn=service_arn, tags=[{"key": key, "value": value} for key, value in tags.items()]
    )


def put_request_count(
    clients: Clients, load_balancer_dimension: str, target_group_arn: str, moment: datetime, count: float
) -> None:
    """RequestCount datapoint of one target group, dimensions in the order the scaler queries them."""
    clients.cloudwatch.put_metric_data(
        Namespace="AWS/ApplicationELB",
        MetricData=[
            {
                "MetricName": "RequestCount",
                "Dimensions": [
                    {"Name": "LoadBalancer", "Value": load_balancer_dimension},
                    {"Name": "TargetGroup", "Value": target_group_arn.split(":")[-1]},
                ],
                "Timestamp": moment,
                "Value": count,
                "Unit": "Count",
            }
        ],
    )
