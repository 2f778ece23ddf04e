"""Three different apps, and apps that bring images: each gets its own repository (or none), image and tag, task
role and listener rule, and every per-app setting (environment, secrets, readPrefixes, port, healthPath, command)
lands in its stack. cdk-nag and cfn-lint run over these builds too (test_nag.py, test_cfn_lint.py).
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra.stacks.app_stack import container_secret
from tests.infra.conftest import ECR_IMAGE, PUBLIC_IMAGE, Build, role_statements
from zerodash.config import SecretRef

TASK_DEFINITION = "AWS::ECS::TaskDefinition"
RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
THREE = ("dashboard", "bokeh", "pages")


def _container(template: Template) -> dict[str, Any]:
    (definition,) = template.find_resources(TASK_DEFINITION).values()
    (container,) = definition["Properties"]["ContainerDefinitions"]
    return container


def _environment(template: Template) -> dict[str, Any]:
    return {entry["Name"]: entry["Value"] for entry in _container(template)["Environment"]}


# --- one of each per app ---------------------------------------------------------------------------------------


def test_three_apps_get_a_stack_each(three_apps_build: Build) -> None:
    assert [stack.stack_name for stack in three_apps_build.stacks.apps] == [f"ZeroDash-App-{name}" for name in THREE]


@pytest.mark.parametrize("name", THREE)
def test_each_app_runs_its_own_repository_at_its_own_tag(three_apps_build: Build, name: str) -> None:
    # given three apps built from three sources, then each image is its own repository (by name from the
    # Stateful stack) at the app's content tag
    tag = three_apps_build.app_config(name).image_tag
    image = json.dumps(_container(three_apps_build.app_stack(name))["Image"])
    assert f"Registry{name}Repository" in image
    assert image.endswith(f':{tag}"]]}}')
    others = [other for other in THREE if other != name]
    assert not any(f"Registry{other}Repository" in image for other in others)


def test_three_apps_have_three_different_tags(three_apps_build: Build) -> None:
    tags = {three_apps_build.app_config(name).image_tag for name in THREE}
    assert len(tags) == 3
    assert all(tag.startswith("src-") for tag in tags)


@pytest.mark.parametrize("name", THREE)
def test_each_app_has_its_own_task_role_reading_its_own_prefix(three_apps_build: Build, name: str) -> None:
    statements = role_statements(three_apps_build.app_stack(name), "DashTaskDefinitionTaskRole")
    listed = [statement for statement in statements if statement["Action"] == "s3:ListBucket"]
    assert len(listed) == 1
    assert f"{name}/*" in listed[0]["Condition"]["StringLike"]["s3:prefix"]
    assert {statement["Action"] for statement in statements} == {"s3:GetObject", "s3:ListBucket"}


@pytest.mark.parametrize(
    ("name", "path", "priority"), [("dashboard", "/*", 50000), ("bokeh", "/bokeh/*", 20), ("pages", "/pages/*", 30)]
)
def test_each_app_has_its_own_listener_rule(three_apps_build: Build, name: str, path: str, priority: int) -> None:
    three_apps_build.app_stack(name).has_resource_properties(
        RULE,
        {
            "Priority": priority,
            "Conditions": Match.array_with([{"Field": "path-pattern", "PathPatternConfig": {"Values": [path]}}]),
        },
    )


# --- per-app settings ------------------------------------------------------------------------------------------


def test_environment_adds_the_apps_own_variables_after_zerodashs(three_apps_build: Build) -> None:
    # given environment {"FEATURE_FLAGS": ..., "LOG_LEVEL": "DEBUG"}, then both are set and LOG_LEVEL overrides
    # ZeroDash's default INFO
    environment = _environment(three_apps_build.app_stack("dashboard"))
    assert environment["FEATURE_FLAGS"] == "maps,export"
    assert environment["LOG_LEVEL"] == "DEBUG"
    assert environment["DATA_PREFIX"] == "dashboard/"


def test_secrets_are_ecs_secrets_never_plain_environment(three_apps_build: Build) -> None:
    template = three_apps_build.app_stack("dashboard")
    template.has_resource_properties(
        TASK_DEFINITION,
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "Secrets": [
                            {
                                "Name": "DB_PASSWORD",
                                "ValueFrom": "arn:aws:secretsmanager:us-east-1:000000000000:secret:zerodash/sales-db"
                                ":password::",
                            },
                            {
                                "Name": "API_TOKEN",
                                "ValueFrom": "arn:aws:secretsmanager:us-east-1:000000000000:secret:zerodash/api-token",
                            },
                            {
                                "Name": "MAPS_KEY",
                                "ValueFrom": "arn:aws:ssm:us-east-1:000000000000:parameter/zerodash/maps-key",
                            },
                        ]
                    }
                )
            ]
        },
    )
    environment = _environment(template)
    assert not {"DB_PASSWORD", "API_TOKEN", "MAPS_KEY"} & set(environment)


def test_execution_role_may_read_exactly_the_apps_secrets(three_apps_build: Build) -> None:
    # Secrets Manager names get CDK's "-??????" (the 6 characters Secrets Manager appends to every secret's ARN)
    statements = role_statements(three_apps_build.app_stack("dashboard"), "DashTaskDefinitionExecutionRole")
    secret_reads = sorted(
        resource
        for statement in statements
        if any(action.startswith(("secretsmanager:", "ssm:")) for action in _as_list(statement["Action"]))
        for resource in _as_list(statement["Resource"])
    )
    assert secret_reads == sorted(
        [
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:zerodash/sales-db-??????",
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:zerodash/api-token-??????",
            "arn:aws:ssm:us-east-1:000000000000:parameter/zerodash/maps-key",
        ]
    )


def test_apps_without_secrets_grant_no_secret_reads(three_apps_build: Build) -> None:
    statements = role_statements(three_apps_build.app_stack("bokeh"), "DashTaskDefinitionExecutionRole")
    actions = [action for statement in statements for action in _as_list(statement["Action"])]
    assert not [action for action in actions if action.startswith(("secretsmanager:", "ssm:"))]


def test_read_prefixes_are_readable_and_listable_and_nothing_more(three_apps_build: Build) -> None:
    statements = role_statements(three_apps_build.app_stack("dashboard"), "DashTaskDefinitionTaskRole")
    by_action = {statement["Action"]: statement for statement in statements}
    assert set(by_action) == {"s3:GetObject", "s3:ListBucket"}
    prefixes = ["dashboard/", "shared/", "reference/countries/"]
    readable = sorted(resource["Fn::Join"][1][1] for resource in _as_list(by_action["s3:GetObject"]["Resource"]))
    assert readable == sorted(f"/{prefix}*" for prefix in prefixes)
    listed = by_action["s3:ListBucket"]
    assert sorted(listed["Condition"]["StringLike"]["s3:prefix"]) == sorted(f"{prefix}*" for prefix in prefixes)
    assert "Fn::GetStackOutput" in listed["Resource"]  # the bucket itself, not "*"


def test_port_health_path_and_command_land_in_the_dockerfile_apps_stack(three_apps_build: Build) -> None:
    template = three_apps_build.app_stack("bokeh")
    template.has_resource_properties(
        TASK_DEFINITION,
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "PortMappings": [{"ContainerPort": 5006, "Protocol": "tcp"}],
                        "Command": ["python", "serve.py", "--port", "5006"],
                        "ReadonlyRootFilesystem": True,
                    }
                )
            ]
        },
    )
    template.has_resource_properties(TARGET_GROUP, {"Port": 5006, "HealthCheckPath": "/bokeh/healthz"})
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress", {"IpProtocol": "tcp", "FromPort": 5006, "ToPort": 5006}
    )
    environment = _environment(template)
    assert (environment["PORT"], environment["HEALTH_PATH"], environment["URL_PREFIX"]) == (
        "5006",
        "/bokeh/healthz",
        "/bokeh/",
    )
    assert "APP_MODULE" not in environment  # a Dockerfile app decides how it starts


def test_module_override_is_the_runtime_apps_app_module(three_apps_build: Build) -> None:
    assert _environment(three_apps_build.app_stack("pages"))["APP_MODULE"] == "app:app"


def test_unhealthy_alarm_names_the_apps_health_path(three_apps_build: Build) -> None:
    three_apps_build.app_stack("bokeh").has_resource_properties(
        "AWS::CloudWatch::Alarm", {"AlarmDescription": Match.string_like_regexp("see /bokeh/healthz")}
    )


def test_registered_app_object_is_unchanged_by_port_and_health_path(three_apps_build: Build) -> None:
    # The scaler and the waker read target health from ELB, not the app's port or path: the app object they
    # read from SSM has the same keys for every app.
    keys = set()
    for name in THREE:
        (parameter,) = three_apps_build.app_stack(name).find_resources("AWS::SSM::Parameter").values()
        value = json.dumps(parameter["Properties"]["Value"])
        keys.add("5006" in value or "healthz" in value)
    assert keys == {False}


# --- apps that bring an image ----------------------------------------------------------------------------------


def test_image_in_an_ecr_repository_of_the_account_is_pulled_by_digest(image_apps_build: Build) -> None:
    template = image_apps_build.app_stack("reports")
    repository, _, digest = ECR_IMAGE.partition("@")
    template.has_resource_properties(
        TASK_DEFINITION,
        {
            "ContainerDefinitions": [
                Match.object_like({"Image": {"Fn::Join": ["", Match.array_with([f"/{repository}@{digest}"])]}})
            ]
        },
    )
    statements = role_statements(template, "DashTaskDefinitionExecutionRole")
    pull = [statement for statement in statements if "ecr:BatchGetImage" in _as_list(statement["Action"])]
    assert [statement["Resource"] for statement in pull] == [
        f"arn:aws:ecr:us-east-1:000000000000:repository/{repository}"
    ]


def test_image_on_another_registry_is_pulled_by_its_reference(image_apps_build: Build) -> None:
    template = image_apps_build.app_stack("panel")
    assert _container(template)["Image"] == PUBLIC_IMAGE
    statements = role_statements(template, "DashTaskDefinitionExecutionRole")
    assert not [statement for statement in statements if "ecr" in json.dumps(statement["Action"])]
    template.has_resource_properties(TARGET_GROUP, {"Port": 5006, "HealthCheckPath": "/panel/health"})


def test_image_apps_still_read_their_own_prefix(image_apps_build: Build) -> None:
    environment = _environment(image_apps_build.app_stack("panel"))
    assert environment["DATA_PREFIX"] == "panel/"
    assert "APP_MODULE" not in environment


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize(("json_key", "value_from"), [(None, ""), ("password", ":password::")])
def test_a_secret_named_by_its_complete_arn_is_read_by_that_arn(json_key: str | None, value_from: str) -> None:
    # given a secret whose name ends like Secrets Manager's own suffix, named by its complete ARN
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
    stack = cdk.Stack(cdk.App(), "Secrets")

    secret = container_secret(stack, "Secret", SecretRef(kind="secretsmanager", name=arn, json_key=json_key))

    # then ECS reads exactly that ARN (no partial ARN to widen with "-??????")
    assert stack.resolve(secret.arn) == arn + value_from
