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
from datetime import datetime

import pytest
from moto import mock_aws

from common.apps import AppSpec, parse_app
from common.aws import Clients, read_capacity_range, read_facts
from common.facts import Facts
from tests.moto_apps import HEALTHY_TARGET, REGION, add_awake_app, build_platform, put_request_count


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
        self.clients.elbv2.register_targets(TargetGroupArn=self.app.service_target_group_arn, Targets=[HEALTHY_TARGET])

    def stop_tasks(self) -> None:
        self.clients.elbv2.deregister_targets(
            TargetGroupArn=self.app.service_target_group_arn, Targets=[HEALTHY_TARGET]
        )

    def put_requests(self, target_group_arn: str, moment: datetime, count: float) -> None:
        put_request_count(self.clients, self.app.load_balancer_dimension, target_group_arn, moment, count)

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
    platform = build_platform()
    app_object = add_awake_app(platform, "sales", priority=10, path="/*", title="Sales dashboard")
    return World(clients=platform.clients, app=parse_app(app_object), app_object=app_object)


@pytest.fixture
def app_env(world, monkeypatch) -> World:
    """The environment variables the infra sets, for tests that call the real `handler` entry points."""
    monkeypatch.setenv("ZERODASH_APPS", json.dumps([world.app_object]))
    monkeypatch.setenv("ZERODASH_APP", json.dumps(world.app_object))
    return world
