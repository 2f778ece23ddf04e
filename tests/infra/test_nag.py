"""cdk-nag's AwsSolutions rules over every stack: nothing unacknowledged, and every acknowledgment explained.

The builds in conftest apply AwsSolutionsChecks before synthesis, as app.py does.
"""

from __future__ import annotations

import re

import pytest
from aws_cdk.assertions import Annotations, Match

from tests.infra.conftest import EVERY_BUILD, Build

NAG_FINDING = Match.string_like_regexp("AwsSolutions-.*")


@pytest.fixture(
    scope="module",
    params=EVERY_BUILD,
)
def build(request: pytest.FixtureRequest) -> Build:
    return request.getfixturevalue(request.param)


def test_no_unacknowledged_nag_errors(build: Build) -> None:
    errors = [
        (stack.stack_name, message.id, message.entry.data)
        for stack in build.all_stacks
        for message in Annotations.from_stack(stack).find_error("*", NAG_FINDING)
    ]
    assert errors == []


def test_no_unacknowledged_nag_warnings(build: Build) -> None:
    warnings = [
        (stack.stack_name, message.id, message.entry.data)
        for stack in build.all_stacks
        for message in Annotations.from_stack(stack).find_warning("*", NAG_FINDING)
    ]
    assert warnings == []


def test_every_acknowledgment_names_a_rule_and_gives_a_specific_reason(build: Build) -> None:
    vague = []
    for stack in build.all_stacks:
        template = build.template(stack)
        for logical_id, resource in template.to_json()["Resources"].items():
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                if not re.fullmatch(r"AwsSolutions-[A-Z]+\d+", rule["id"]) or len(rule["reason"]) < 60:
                    vague.append((stack.stack_name, logical_id, rule))
    assert vague == []


def _acknowledgments(build: Build, rule: str) -> list[tuple[str, str, str]]:
    """(stack, logical id, reason) of every acknowledgment of `rule` in the build's templates."""
    found = []
    for stack in build.all_stacks:
        for logical_id, resource in build.template(stack).to_json()["Resources"].items():
            for entry in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                if entry["id"] == rule:
                    found.append((stack.stack_name, logical_id, entry["reason"]))
    return found


def test_plain_http_way_acknowledges_open_inbound_only_on_the_load_balancer_for_port_80(default_build: Build) -> None:
    ((stack, logical_id, reason),) = _acknowledgments(default_build, "AwsSolutions-EC23")
    assert (stack, logical_id.startswith("PlatformLoadBalancerSecurityGroup")) == ("ZeroDash-Platform", True)
    assert "plain HTTP" in reason and "port 80" in reason


def test_https_way_acknowledges_open_inbound_for_https_and_the_redirect(domain_build: Build) -> None:
    ((_, logical_id, reason),) = _acknowledgments(domain_build, "AwsSolutions-EC23")
    assert logical_id.startswith("PlatformLoadBalancerSecurityGroup")
    assert "HTTPS (443)" in reason and "redirect" in reason and "plain HTTP" not in reason


def test_cloudfront_way_needs_no_open_inbound_acknowledgment(cloudfront_build: Build) -> None:
    # the internal ALB admits only the VPC's range: cdk-nag's EC23 passes without an acknowledgment
    assert _acknowledgments(cloudfront_build, "AwsSolutions-EC23") == []


def test_the_user_pools_feature_plan_is_the_only_cognito_acknowledgment(domain_build: Build) -> None:
    cognito = [
        (logical_id, rule)
        for rule in ("AwsSolutions-COG1", "AwsSolutions-COG2", "AwsSolutions-COG3", "AwsSolutions-COG8")
        for _, logical_id, _ in _acknowledgments(domain_build, rule)
    ]
    assert [(logical_id.startswith("LoginUserPool"), rule) for logical_id, rule in cognito] == [
        (True, "AwsSolutions-COG8")
    ]
