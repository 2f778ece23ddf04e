"""moto fixtures for the handler tests: apps deployed as the infra deploys them (tests/moto_apps.py).

moto checks the shape of every API call the handlers make (names, parameters, ARNs); it forgives what AWS
does not (every registered target is healthy at once, metrics are readable at once), so the behaviour of the
loop is tested on the AWS twin instead (tests/twin, test_loop_*.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from moto import mock_aws

from common.apps import AppSpec, parse_app
from common.aws import Clients, read_capacity_ranges, read_facts
from common.facts import Facts
from tests.moto_apps import REGION, Platform, add_awake_app, add_sleeping_app, build_platform


@dataclass
class MotoWorld:
    platform: Platform
    apps: dict[str, AppSpec]

    @property
    def clients(self) -> Clients:
        return self.platform.clients

    def facts(self, name: str) -> Facts:
        return read_facts(self.clients, self.apps[name], with_capacity=True)

    def capacity(self, name: str) -> tuple[int, int] | None:
        return read_capacity_ranges(self.clients, [self.apps[name]]).get(name)

    def tags(self, name: str) -> dict[str, str]:
        arn = self.facts(name).service.service_arn
        return {tag["key"]: tag["value"] for tag in self.clients.ecs.list_tags_for_resource(resourceArn=arn)["tags"]}


@pytest.fixture
def moto(monkeypatch) -> Iterator[MotoWorld]:
    """Two apps: `sales` awake (idle for two hours), `ops` asleep."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        platform = build_platform()
        sales = add_awake_app(platform, "sales", priority=10, path="/sales/*", title="Sales dashboard")
        ops = add_sleeping_app(platform, "ops", priority=20, path="/ops/*")
        yield MotoWorld(platform=platform, apps={"sales": parse_app(sales), "ops": parse_app(ops)})


NOW = datetime.now(UTC)
