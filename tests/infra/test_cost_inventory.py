"""The cost report's inventory (zerodash/cost.py) read from the real synthesized templates."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Build, synthesize
from zerodash.cost import AppTasks, Inventory, compare_ways_in, inventory_from_templates


def _templates(build: Build) -> dict:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in build.outdir.glob("*.template.json")
    }


def test_default_build_inventory(default_build: Build) -> None:
    assert inventory_from_templates(_templates(default_build)) == Inventory(
        apps=(AppTasks(name="dashboard", vcpu=0.5, memory_gb=1, tasks=1, public_ip=True),),
        load_balancers=1,
        load_balancer_azs=2,
        nat_gateways=0,
        elastic_ips=0,
        gateway_endpoints=1,  # S3
        alarms=5,  # 5xx rate, unhealthy targets, waker errors, wake failures; scaler errors
        dashboards=1,
        kms_keys=0,
        scaler_runs_per_hour=60,
        scaler_memory_gb=0.25,
        scaled_apps=1,
        secrets=1,  # the wake token secret
        ssm_parameters=1,  # the app object
    )


def test_nat_build_inventory(nat_build: Build) -> None:
    inventory = inventory_from_templates(_templates(nat_build))
    assert [(app.name, app.tasks, app.public_ip) for app in inventory.apps] == [
        ("dashboard", 1, False),
        ("sales", 2, False),
    ]
    assert (inventory.nat_gateways, inventory.elastic_ips, inventory.kms_keys) == (1, 1, 1)
    assert (inventory.alarms, inventory.dashboards, inventory.scaler_runs_per_hour, inventory.scaled_apps) == (
        9,
        2,
        12,
        2,
    )
    assert (inventory.secrets, inventory.ssm_parameters) == (1, 2)


def test_default_build_is_the_http_way_and_its_cloudfront_variant_meets_the_goal(default_build: Build) -> None:
    """Issue 10: one app asleep all month with HTTPS at most $20 (when its dashboard is one of the free 3)."""
    inventory = inventory_from_templates(_templates(default_build))
    costs = {(cost.way, cost.waf): cost for cost in compare_ways_in(inventory, 0.1)}

    assert [key for key, cost in costs.items() if cost.configured] == [("http", False)]
    cloudfront = costs["cloudfront", False]
    assert cloudfront.asleep.total - cloudfront.dashboards <= 20


@pytest.fixture(scope="module")
def cloudfront_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return synthesize(tmp_path_factory.mktemp("cdk-cost-cloudfront"), edge="cloudfront")


def test_cloudfront_build_alb_has_no_public_addresses(cloudfront_build: Build) -> None:
    """The cloudfront way: the ALB is internal (a VPC origin reaches it), so none of its AZs has a public IPv4."""
    inventory = inventory_from_templates(_templates(cloudfront_build))

    assert (inventory.load_balancers, inventory.load_balancer_azs, inventory.internal_load_balancer_azs) == (1, 2, 2)
    assert inventory.public_load_balancer_azs == 0
