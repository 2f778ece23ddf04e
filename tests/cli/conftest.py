"""A deployment in moto, as the CLI finds it: two apps ("sales", "ops") on one ALB, both awake, each with its app
object in the SSM parameter `/zerodash/ZeroDash/apps/<name>` and a keeper rule on the keeper listener
(tests/moto_apps.py builds them as the infra deploys them).

moto marks every registered target healthy (a "healthy task" is a registered target here) and matches CloudWatch
dimensions only in the order they were put: datapoints go in as the scaler queries them (LoadBalancer, then
TargetGroup).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from moto import mock_aws

from common.apps import AppSpec, parse_app
from common.aws import Clients, read_facts
from common.facts import Facts
from common.marks import DOZING_SINCE, WAKE_FAILED, WakeFailure, format_time, wake_failure_value
from common.route import Route
from tests.moto_apps import (
    HEALTHY_TARGET,
    REGION,
    Platform,
    add_awake_app,
    build_platform,
    put_app_object,
    put_request_count,
    tag_service,
)
from zerodash.cli import main

APPS_PATH = "/zerodash/ZeroDash/apps/"


@dataclass
class Deployment:
    clients: Clients
    platform: Platform
    app_objects: dict[str, dict] = field(default_factory=dict)  # as in the SSM parameters
    apps: dict[str, AppSpec] = field(default_factory=dict)  # parsed

    def facts(self, name: str) -> Facts:
        return read_facts(self.clients, self.apps[name], with_capacity=True)

    def capacity(self, name: str) -> tuple[int, int] | None:
        return self.facts(name).capacity_range

    def route(self, name: str) -> Route:
        return self.facts(name).route

    def service_arn(self, name: str) -> str:
        return self.facts(name).service.service_arn

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
        self.tag(name, {"zerodash:awake-since": format_time(datetime.now(UTC))})

    def put_dozing(self, name: str, since: datetime) -> None:
        """The scaler's first phase of sleep: the tasks run, the rule is on the waker since `since`."""
        self.tag(name, {DOZING_SINCE: format_time(since)})
        self.point_rule(name, self.apps[name].waker_target_group_arn)

    def put_wake_failed(self, name: str, at: datetime, reason: str) -> None:
        task_definition = self.facts(name).service.task_definition
        self.tag(name, {WAKE_FAILED: wake_failure_value(WakeFailure(at, task_definition, reason))})

    def tag(self, name: str, tags: Mapping[str, str]) -> None:
        tag_service(self.clients, self.service_arn(name), tags)

    def point_rule(self, name: str, target_group_arn: str) -> None:
        actions = [{"Type": "forward", "TargetGroupArn": target_group_arn}]
        self.clients.elbv2.modify_rule(RuleArn=self.apps[name].rule_arn, Actions=actions)

    def set_app_objects(self, *changed: dict) -> None:
        """Redeploy apps with changed app objects (their SSM parameters)."""
        for app_object in changed:
            self.app_objects[app_object["name"]] = app_object
            self.apps[app_object["name"]] = parse_app(app_object)
            put_app_object(self.platform, app_object)

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
def empty_platform(aws_env) -> Iterator[Platform]:
    """The shared resources only: no app has been deployed (no parameter under the apps path)."""
    with mock_aws():
        yield build_platform()


@pytest.fixture
def deployment(aws_env) -> Iterator[Deployment]:
    with mock_aws():
        platform = build_platform()
        deployed = Deployment(clients=platform.clients, platform=platform)
        for priority, name in enumerate(("sales", "ops"), start=1):
            deployed.app_objects[name] = add_awake_app(platform, name, priority=priority * 10, path=f"/{name}/*")
            deployed.apps[name] = parse_app(deployed.app_objects[name])
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
