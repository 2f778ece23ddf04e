"""moto fixtures: one app on an ALB (listener rule, service and waker target groups), an ECS service and
its scalable target, with helpers to put RequestCount datapoints and to read the live state back.

moto quirks handled here, honestly: moto runs no tasks, so "healthy" is simulated by registering a
target (moto marks every registered target healthy) and "stopped" by deregistering it; and moto's
CloudWatch only matches dimensions in the order they were put, so datapoints are put in the order the
scaler queries them (LoadBalancer, TargetGroup).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from common.apps import AppSpec, parse_app
from common.aws import Clients, read_capacity_range, read_facts, stamp_awake_since
from common.facts import Facts

REGION = "us-east-1"


@dataclass
class World:
    clients: Clients
    app: AppSpec
    app_object: dict

    def facts(self) -> Facts:
        return read_facts(self.clients, self.app)

    def capacity(self) -> tuple[int, int] | None:
        return read_capacity_range(self.clients, self.app)

    def make_healthy(self) -> None:
        self.clients.elbv2.register_targets(
            TargetGroupArn=self.app.service_target_group_arn, Targets=[{"Id": "10.0.1.10", "Port": 8050}]
        )

    def stop_tasks(self) -> None:
        self.clients.elbv2.deregister_targets(
            TargetGroupArn=self.app.service_target_group_arn, Targets=[{"Id": "10.0.1.10", "Port": 8050}]
        )

    def put_requests(self, target_group_arn: str, moment: datetime, count: float) -> None:
        self.clients.cloudwatch.put_metric_data(
            Namespace="AWS/ApplicationELB",
            MetricData=[
                {
                    "MetricName": "RequestCount",
                    "Dimensions": [
                        {"Name": "LoadBalancer", "Value": self.app.load_balancer_dimension},
                        {"Name": "TargetGroup", "Value": target_group_arn.split(":")[-1]},
                    ],
                    "Timestamp": moment,
                    "Value": count,
                    "Unit": "Count",
                }
            ],
        )

    def put_wake_request(self, moment: datetime) -> None:
        """What the waker's embedded-metric log line becomes in CloudWatch."""
        self.clients.cloudwatch.put_metric_data(
            Namespace="ZeroDash",
            MetricData=[
                {
                    "MetricName": "WakeRequests",
                    "Dimensions": [{"Name": "App", "Value": self.app.name}],
                    "Timestamp": moment,
                    "Value": 1,
                }
            ],
        )


@pytest.fixture
def world(monkeypatch) -> Iterator[World]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield _build_world()


def _build_world() -> World:
    ec2 = boto3.client("ec2", region_name=REGION)
    elbv2 = boto3.client("elbv2", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
    clients = Clients(
        ecs=ecs,
        elbv2=elbv2,
        autoscaling=boto3.client("application-autoscaling", region_name=REGION),
        cloudwatch=boto3.client("cloudwatch", region_name=REGION),
    )
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in ((1, "a"), (2, "b"))
    ]
    alb = elbv2.create_load_balancer(Name="zd-alb", Subnets=subnets)["LoadBalancers"][0]
    service_tg = elbv2.create_target_group(Name="sales-svc", Protocol="HTTP", Port=8050, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    waker_tg = elbv2.create_target_group(Name="sales-wkr", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]
    rule = elbv2.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": service_tg}],
    )["Rules"][0]["RuleArn"]

    cluster = ecs.create_cluster(clusterName="zd")["cluster"]["clusterArn"]
    ecs.register_task_definition(
        family="sales",
        containerDefinitions=[{"name": "app", "image": "dash", "memory": 1024}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="512",
        memory="1024",
    )
    service = ecs.create_service(
        cluster="zd", serviceName="sales", taskDefinition="sales", desiredCount=1, launchType="FARGATE"
    )["service"]
    # Woken two hours ago, as far as the scaler's minimum-awake clock is concerned.
    stamp_awake_since(clients, service["serviceArn"], datetime.now(UTC) - timedelta(hours=2))
    clients.autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/zd/sales",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
    )
    app_object = {
        "name": "sales",
        "title": "Sales dashboard",
        "cluster": cluster,
        "service": "sales",
        "ruleArn": rule,
        "serviceTargetGroupArn": service_tg,
        "wakerTargetGroupArn": waker_tg,
        "idleMinutes": 15,
        "minAwakeMinutes": 5,
        "minTasks": 1,
        "maxTasks": 2,
    }
    world = World(clients=clients, app=parse_app(app_object), app_object=app_object)
    world.make_healthy()
    return world


@pytest.fixture
def app_env(world, monkeypatch) -> World:
    """The environment variables the infra sets, for tests that call the real `handler` entry points."""
    monkeypatch.setenv("ZERODASH_APPS", json.dumps([world.app_object]))
    monkeypatch.setenv("ZERODASH_APP", json.dumps(world.app_object))
    return world
