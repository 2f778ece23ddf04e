"""cdk-nag's AwsSolutions rules over every stack: nothing unacknowledged, and every acknowledgment explained.

The builds in conftest apply AwsSolutionsChecks before synthesis, as app.py does.
"""

from __future__ import annotations

import re

import pytest
from aws_cdk.assertions import Annotations, Match

from tests.infra.conftest import Build

NAG_FINDING = Match.string_like_regexp("AwsSolutions-.*")


@pytest.fixture(scope="module", params=["default_build", "nat_build", "three_apps_build", "image_apps_build"])
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
