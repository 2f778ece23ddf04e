"""A deployment in moto, as the CLI finds it: the `ZeroDash-Scaler` stack with its ScalerFunctionName output,
that function's ZERODASH_APPS, and two apps ("sales", "ops") on one ALB, both awake.

moto stores the Lambda function's environment without running it, marks every registered target healthy
(a "healthy task" is a registered target here) and matches CloudWatch dimensions only in the order they
were put: datapoints go in as the scaler queries them (LoadBalancer, then TargetGroup).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from common.apps import AppSpec, parse_app
from common.aws import Clients, read_capacity_range, read_facts
from common.facts import Facts, RuleTarget
from tests.moto_apps import HEALTHY_TARGET, REGION, Platform, add_awake_app, build_platform, put_request_count
from zerodash.cli import main

STACK = "ZeroDash-Scaler"
FUNCTION = "ZeroDash-Scaler-Function"


@dataclass
class Deployment:
    clients: Clients
    platform: Platform
    app_objects: dict[str, dict] = field(default_factory=dict)  # as in ZERODASH_APPS
    apps: dict[str, AppSpec] = field(default_factory=dict)  # parsed

    def facts(self, name: str) -> Facts:
        return read_facts(self.clients, self.apps[name])

    def capacity(self, name: str) -> tuple[int, int] | None:
        return read_capacity_range(self.clients, self.apps[name])

    def put_asleep(self, name: str) -> None:
        """What the scaler leaves behind: range [0, 0], desired 0, rule on the waker, no targets."""
        app = self.apps[name]
        self.clients.autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=app.scalable_target_id,
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=0,
            MaxCapacity=0,
        )
        self.clients.ecs.update_service(cluster=app.cluster, service=app.service, desiredCount=0)
        self.point_rule(name, app.waker_target_group_arn)
        self.clients.elbv2.deregister_targets(TargetGroupArn=app.service_target_group_arn, Targets=[HEALTHY_TARGET])

    def put_waking(self, name: str) -> None:
        """Woken by the waker a moment ago: desired 1, rule still on the waker, no healthy target yet."""
        self.put_asleep(name)
        app = self.apps[name]
        self.clients.ecs.update_service(cluster=app.cluster, service=app.service, desiredCount=1)

    def point_rule(self, name: str, target_group_arn: str) -> None:
        actions = [{"Type": "forward", "TargetGroupArn": target_group_arn}]
        self.clients.elbv2.modify_rule(RuleArn=self.apps[name].rule_arn, Actions=actions)

    def rule_target(self, name: str) -> RuleTarget:
        return self.facts(name).rule_target

    def set_app_objects(self, *changed: dict) -> None:
        """Redeploy the scaler with changed app objects (ZERODASH_APPS of the function)."""
        self.app_objects.update({obj["name"]: obj for obj in changed})
        boto3.client("lambda", region_name=REGION).update_function_configuration(
            FunctionName=FUNCTION,
            Environment={"Variables": {"ZERODASH_APPS": json.dumps(list(self.app_objects.values()))}},
        )

    def put_requests(self, name: str, moment: datetime, count: float) -> None:
        app = self.apps[name]
        put_request_count(self.clients, app.load_balancer_dimension, app.service_target_group_arn, moment, count)


@pytest.fixture
def aws_env(monkeypatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def deployment(aws_env) -> Iterator[Deployment]:
    with mock_aws():
        deployed = _build_platform()
        for priority, name in enumerate(("sales", "ops"), start=1):
            _add_app(deployed, name, priority * 10)
        _deploy_scaler_stack(deployed)
        yield deployed


@pytest.fixture
def cli(capsys):
    """Run `zerodash ARGS...` in process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def _build_platform() -> Deployment:
    platform = build_platform()
    return Deployment(clients=platform.clients, platform=platform)


def _add_app(deployed: Deployment, name: str, priority: int) -> None:
    """An awake app: desired 1, rule on the service, a healthy target, range [1, 2], woken two hours ago."""
    deployed.app_objects[name] = add_awake_app(deployed.platform, name, priority=priority, path=f"/{name}/*")
    deployed.apps[name] = parse_app(deployed.app_objects[name])


def _deploy_scaler_stack(deployed: Deployment) -> None:
    """The scaler function with ZERODASH_APPS, and a stack whose output names it (moto needs one resource)."""
    iam = boto3.client("iam", region_name=REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="scaler", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    apps = list(deployed.app_objects.values())
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"ZERODASH_APPS": json.dumps(apps)}},
    )
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"ScalerFunctionName": {"Value": FUNCTION}},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName=STACK, TemplateBody=json.dumps(template))
