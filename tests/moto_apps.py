"""Scale-to-zero apps in moto, deployed as the infra deploys them; shared by the Lambda and CLI tests.

An ALB with a listener, an ECS cluster, and per app: a service target group, a waker (Lambda) target group,
a listener rule forwarding to the service, an ECS service with desired 1, its scalable target [1, 2], the
`zerodash:awake-since` tag two hours back, and a registered (so, in moto, healthy) target.

moto quirks handled here: it runs no tasks and marks every registered target healthy, so a healthy task is a
registered target; its CloudWatch matches dimensions only in the order they were put, so datapoints go in as
the scaler queries them (LoadBalancer, then TargetGroup). Call these inside `mock_aws()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3

from common.aws import Clients, stamp_awake_since

REGION = "us-east-1"
CLUSTER = "zd"
HEALTHY_TARGET = {"Id": "10.0.1.10", "Port": 8050}


@dataclass(frozen=True)
class Platform:
    clients: Clients
    listener_arn: str
    vpc_id: str
    cluster_arn: str


def make_clients() -> Clients:
    return Clients(
        ecs=boto3.client("ecs", region_name=REGION),
        elbv2=boto3.client("elbv2", region_name=REGION),
        autoscaling=boto3.client("application-autoscaling", region_name=REGION),
        cloudwatch=boto3.client("cloudwatch", region_name=REGION),
    )


def build_platform() -> Platform:
    """VPC with two subnets, ALB, HTTP listener answering 404 by default, and the ECS cluster."""
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
    listener = clients.elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]
    cluster = clients.ecs.create_cluster(clusterName=CLUSTER)["cluster"]["clusterArn"]
    return Platform(clients=clients, listener_arn=listener["ListenerArn"], vpc_id=vpc, cluster_arn=cluster)


def add_awake_app(platform: Platform, name: str, *, priority: int, path: str, **extra: object) -> dict:
    """Deploy one awake app and return its app object (the ZERODASH_APP contract); `extra` adds keys to it."""
    elbv2, ecs = platform.clients.elbv2, platform.clients.ecs
    service_tg = elbv2.create_target_group(
        Name=f"{name}-svc", Protocol="HTTP", Port=8050, VpcId=platform.vpc_id, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    waker_tg = elbv2.create_target_group(Name=f"{name}-wkr", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    rule = elbv2.create_rule(
        ListenerArn=platform.listener_arn,
        Priority=priority,
        Conditions=[{"Field": "path-pattern", "Values": [path]}],
        Actions=[{"Type": "forward", "TargetGroupArn": service_tg}],
    )["Rules"][0]["RuleArn"]
    ecs.register_task_definition(
        family=name,
        containerDefinitions=[{"name": "app", "image": "dash", "memory": 1024}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="512",
        memory="1024",
    )
    service = ecs.create_service(
        cluster=CLUSTER, serviceName=name, taskDefinition=name, desiredCount=1, launchType="FARGATE"
    )["service"]
    # Woken two hours ago, as far as the scaler's minimum-awake clock is concerned.
    stamp_awake_since(platform.clients, service["serviceArn"], datetime.now(UTC) - timedelta(hours=2))
    platform.clients.autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{CLUSTER}/{name}",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
    )
    elbv2.register_targets(TargetGroupArn=service_tg, Targets=[HEALTHY_TARGET])
    return {
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
