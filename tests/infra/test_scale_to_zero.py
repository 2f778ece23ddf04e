"""Scale to zero: the app registry in SSM, the waker and keeper rule in each app stack, the scaler stack,
target tracking, and their IAM."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Match, Template

from common.apps import parse_app_json
from infra.app_builder import build
from infra.config import ConfigError, KeepWarmConfig, ScalingConfig, load_config
from infra.constructs.scale_to_zero import SSM_STANDARD_BYTES, AppWaker, app_object_bytes, check_app_object_size
from tests.infra.conftest import (
    ENV,
    POPULATION,
    SALES_SCALING,
    WAKER_CONCURRENCY,
    Build,
    cdk_json_context,
    role_statements,
)

LAMBDA = "AWS::Lambda::Function"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
PARAMETER = "AWS::SSM::Parameter"
ENV_KEYS = ["name", "title", "cluster", "service", "ruleArn", "serviceTargetGroupArn", "wakerTargetGroupArn"]
POLICY_KEYS = ["idleMinutes", "minAwakeMinutes", "minTasks", "maxTasks", "keepWarm", "expectedStartSeconds"]
APPS_PATH = "/zerodash/ZeroDash/apps/"
ARN_PREFIX = "arn:aws:{service}:us-east-1:000000000000:"
SCALABLE_TARGET_CONDITION = {
    "StringEquals": {
        "application-autoscaling:service-namespace": "ecs",
        "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
    }
}


def _function(template: Template, handler: str) -> dict[str, Any]:
    functions = template.find_resources(LAMBDA, {"Properties": {"Handler": handler}})
    assert len(functions) == 1, functions.keys()
    return next(iter(functions.values()))["Properties"]


def _rendered(value: Any) -> str:
    """A string, or a Fn::Join of strings and tokens, with each token replaced by a marker naming what it refers to."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(_rendered(part) for part in value["Fn::Join"][1])
    if "Ref" in value:
        return f"<Ref {value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<GetAtt {'.'.join(value['Fn::GetAtt'])}>"
    return f"<Output {value['Fn::GetStackOutput']['OutputName']}>"


def _parameter(template: Template) -> dict[str, Any]:
    parameters = template.find_resources(PARAMETER)
    assert len(parameters) == 1, parameters.keys()
    return next(iter(parameters.values()))["Properties"]


def _app_object(template: Template) -> dict[str, Any]:
    """The app object the stack writes to SSM, each token replaced by a marker."""
    return json.loads(_rendered(_parameter(template)["Value"]))


def _grants(statements: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """action -> the resources it is allowed on (the conditions are checked separately)."""
    grants: dict[str, list[Any]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            grants.setdefault(action, []).extend(_as_list(statement["Resource"]))
    return grants


def _rendered_grants(template: Template, role_prefix: str) -> dict[str, list[str]]:
    return {
        action: [_rendered(resource) for resource in resources]
        for action, resources in _grants(role_statements(template, role_prefix)).items()
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _logical_id(template: Template, resource_type: str, properties: dict[str, Any]) -> str:
    found = template.find_resources(resource_type, {"Properties": properties})
    assert len(found) == 1, found.keys()
    return next(iter(found))


def _app_rule(template: Template) -> tuple[str, dict[str, Any]]:
    rules = template.find_resources(
        RULE, {"Properties": {"Conditions": Match.array_with([Match.object_like({"Field": "path-pattern"})])}}
    )
    assert len(rules) == 1, rules.keys()
    logical_id, rule = next(iter(rules.items()))
    return logical_id, rule["Properties"]


def _keeper_rules(template: Template) -> dict[str, dict[str, Any]]:
    rules = template.find_resources(RULE, {"Properties": {"Conditions": [Match.object_like({"Field": "source-ip"})]}})
    return {logical_id: rule["Properties"] for logical_id, rule in rules.items()}


# --- the app registry (app stack) ----------------------------------------------------------------------------


def test_app_object_is_a_standard_string_parameter_under_the_apps_path(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        PARAMETER, {"Name": f"{APPS_PATH}dashboard", "Type": "String", "Tier": "Standard"}
    )


def test_app_object_has_the_keys_of_the_lambdas_contract_in_order(app_stack: Template) -> None:
    assert list(_app_object(app_stack)) == ENV_KEYS + POLICY_KEYS + ["auth"]


def test_app_object_says_the_rule_does_not_authenticate_by_default(app_stack: Template) -> None:
    assert _app_object(app_stack)["auth"] is False


def test_an_authenticated_app_object_says_so_and_the_lambdas_read_it(default_build: Build) -> None:
    app = default_build.stacks.apps[0].scale_to_zero_app
    assert app is not None and app.authenticated is False
    authenticated = dataclasses.replace(app, authenticated=True).app_object()
    assert authenticated["auth"] is True
    deployed = {**authenticated, **dict.fromkeys(ENV_KEYS[2:], "x"), **DEPLOYED}
    assert parse_app_json(json.dumps(deployed), "dashboard").auth is True


def test_app_object_points_at_this_stacks_resources(app_stack: Template) -> None:
    app = _app_object(app_stack)
    assert (app["name"], app["title"]) == ("dashboard", "Population by country")
    assert app["service"] == "<GetAtt DashService16DB4A4D.Name>"
    assert app["ruleArn"].startswith("<Ref DashListenerRule")
    assert app["serviceTargetGroupArn"].startswith("<Ref DashTargetGroup")
    assert app["wakerTargetGroupArn"].startswith("<Ref WakerTargetGroup")
    assert app["cluster"].startswith("<Output PublishOutputRefPlatformCluster")


def test_app_object_carries_the_default_policy(app_stack: Template) -> None:
    assert {key: _app_object(app_stack)[key] for key in POLICY_KEYS} == {
        "idleMinutes": 15,
        "minAwakeMinutes": 5,
        "minTasks": 1,
        "maxTasks": 2,
        "keepWarm": [],
        "expectedStartSeconds": 60,
    }


def test_app_object_carries_the_apps_configured_policy(nat_build: Build) -> None:
    template = nat_build.template(nat_build.stacks.apps[1])
    app = _app_object(template)
    assert {key: app[key] for key in POLICY_KEYS} == {key: SALES_SCALING[key] for key in POLICY_KEYS}
    assert (app["name"], app["title"]) == ("sales", "Sales")
    assert _parameter(template)["Name"] == f"{APPS_PATH}sales"


# The tokens resolve at deploy time to names and ARNs like these.
DEPLOYED = {
    "cluster": "ZeroDash-Platform-PlatformCluster-a1b2c3",
    "service": "ZeroDash-App-sales-DashService-d4e5f6",
    "ruleArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/ZeroD-Platf-1A2B3C/"
    "0123456789abcdef/0123456789abcdef/0123456789abcdef",
    "serviceTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/ZeroD-DashT/"
    "0123456789abcdef",
    "wakerTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/ZeroD-Waker/"
    "fedcba9876543210",
}


def test_app_object_parses_with_the_lambdas_own_parser(nat_build: Build) -> None:
    app = {**_app_object(nat_build.template(nat_build.stacks.apps[1])), **DEPLOYED}
    spec = parse_app_json(json.dumps(app), "sales")
    assert (spec.name, spec.policy.awake_range, len(spec.policy.keep_warm)) == ("sales", (2, 3), 2)
    assert spec.auth is False
    assert spec.policy.keep_warm[1].end == 24 * 60


def test_default_app_object_leaves_room_in_an_ssm_standard_parameter() -> None:
    app = {"name": "a" * 32, "title": "t" * 200, **dict.fromkeys(ENV_KEYS[2:], "${Token[TOKEN.1]}")}
    window = KeepWarmConfig(days="mon-fri", start="08:00", end="18:00", time_zone="America/Argentina/Buenos_Aires")
    app |= ScalingConfig(keep_warm=(window,) * 10).policy_json()
    assert app_object_bytes(app) < SSM_STANDARD_BYTES


def test_app_object_that_may_not_fit_ssm_is_refused_naming_the_app() -> None:
    window = KeepWarmConfig(days="mon-fri", start="08:00", end="18:00", time_zone="America/Argentina/Buenos_Aires")
    app = {"name": "sales", "title": "Sales", **dict.fromkeys(ENV_KEYS[2:], "${Token[TOKEN.1]}")}
    app |= ScalingConfig(keep_warm=(window,) * 40).policy_json()
    with pytest.raises(ConfigError) as caught:
        check_app_object_size(app)
    assert "'sales'" in str(caught.value)
    assert "4096" in str(caught.value)


def test_building_an_app_object_too_large_for_ssm_stops_before_synth(tmp_path) -> None:
    window = {"days": "mon-fri", "start": "08:00", "end": "18:00", "timeZone": "America/Argentina/Buenos_Aires"}
    apps = [{**POPULATION, "name": "sales", "keepWarm": [window] * 40}]
    app = cdk.App(outdir=str(tmp_path), context={**cdk_json_context(), "apps": json.dumps(apps)})
    with pytest.raises(ConfigError, match="app object of 'sales'"):
        build(app, load_config(app.node.try_get_context), ENV)


# --- the app's rules (app stack) -------------------------------------------------------------------------------


def test_app_rule_forwards_to_the_waker_target_group_in_the_template(app_stack: Template) -> None:
    # A deploy never sends visitors to a group that may have no healthy target; the scaler and the waker move
    # the live rule.
    waker_tg = _logical_id(app_stack, TARGET_GROUP, {"TargetType": "lambda"})
    _, rule = _app_rule(app_stack)
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": waker_tg}}]


def test_keeper_rule_forwards_to_the_service_target_group(app_stack: Template) -> None:
    service_tg = _logical_id(app_stack, TARGET_GROUP, {"TargetType": "ip"})
    (keeper,) = _keeper_rules(app_stack).values()
    assert keeper["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": service_tg}}]


def test_keeper_rule_never_matches_a_request(app_stack: Template) -> None:
    (keeper,) = _keeper_rules(app_stack).values()
    assert keeper["Conditions"] == [{"Field": "source-ip", "SourceIpConfig": {"Values": ["255.255.255.255/32"]}}]


def test_keeper_rule_is_on_the_keeper_listener_at_the_app_rules_priority(app_stack: Template) -> None:
    (keeper,) = _keeper_rules(app_stack).values()
    _, rule = _app_rule(app_stack)
    assert keeper["Priority"] == rule["Priority"] == 50000
    assert "PlatformLoadBalancerKeeper" in keeper["ListenerArn"]["Fn::GetStackOutput"]["OutputName"]
    assert "PlatformLoadBalancerHttp" in rule["ListenerArn"]["Fn::GetStackOutput"]["OutputName"]


def test_service_is_created_once_the_keeper_rule_attaches_its_target_group(app_stack: Template) -> None:
    (keeper,) = _keeper_rules(app_stack)
    app_stack.has_resource("AWS::ECS::Service", {"DependsOn": Match.array_with([keeper])})


# --- waker (app stack) -------------------------------------------------------------------------------------


def test_waker_runs_the_waker_handler_from_the_lambdas_asset(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        LAMBDA,
        {
            "Handler": "waker.handler.handler",
            "Runtime": "python3.12",
            "MemorySize": 256,
            "Timeout": 10,
            "Code": {"S3Bucket": Match.any_value(), "S3Key": Match.string_like_regexp(r"\.zip$")},
        },
    )


def test_waker_environment_names_its_parameter_and_the_token_secret(app_stack: Template) -> None:
    variables = {
        key: _rendered(value)
        for key, value in _function(app_stack, "waker.handler.handler")["Environment"]["Variables"].items()
    }
    assert sorted(variables) == ["FRAME_ANCESTORS", "ZERODASH_APP_PARAMETER", "ZERODASH_TOKEN_SECRET"]
    assert variables["ZERODASH_APP_PARAMETER"] == f"<Ref {_logical_id(app_stack, PARAMETER, {})}>"
    assert variables["ZERODASH_TOKEN_SECRET"].startswith("<Output PublishOutputRefWakeTokenSecret")


def test_by_default_nobody_may_frame_the_wakers_pages(app_stack: Template) -> None:
    variables = _function(app_stack, "waker.handler.handler")["Environment"]["Variables"]
    assert variables["FRAME_ANCESTORS"] == "'none'"


def test_the_waker_frames_as_the_apps_frame_ancestors_allow(tmp_path) -> None:
    app = cdk.App(outdir=str(tmp_path), context=cdk_json_context())
    stack = build(app, load_config(app.node.try_get_context), ENV).apps[0]
    assert stack.scale_to_zero_app is not None and stack.registration is not None
    AppWaker(
        stack,
        "FramedWaker",
        app=stack.scale_to_zero_app,
        parameter=stack.registration.parameter,
        token_secret=secretsmanager.Secret.from_secret_name_v2(stack, "TokenSecret", "token"),
        frame_ancestors=("'self'", "https://portal.example.com"),
    )
    functions = Template.from_stack(stack).find_resources(LAMBDA, {"Properties": {"Handler": "waker.handler.handler"}})
    values = sorted(item["Properties"]["Environment"]["Variables"]["FRAME_ANCESTORS"] for item in functions.values())
    assert values == ["'none'", "'self' https://portal.example.com"]


def test_waker_reserves_ten_concurrent_executions_by_default(app_stack: Template) -> None:
    assert _function(app_stack, "waker.handler.handler")["ReservedConcurrentExecutions"] == 10


def test_waker_reserves_the_configured_concurrency(nat_build: Build) -> None:
    for stack in nat_build.stacks.apps:
        function = _function(nat_build.template(stack), "waker.handler.handler")
        assert function["ReservedConcurrentExecutions"] == WAKER_CONCURRENCY


def test_waker_logs_to_its_own_log_group_with_the_configured_retention(app_stack: Template) -> None:
    log_group = _function(app_stack, "waker.handler.handler")["LoggingConfig"]["LogGroup"]["Ref"]
    app_stack.has_resource("AWS::Logs::LogGroup", {"Properties": {"RetentionInDays": 30}, "DeletionPolicy": "Delete"})
    assert log_group in app_stack.find_resources("AWS::Logs::LogGroup", {"Properties": {"RetentionInDays": 30}})


def test_waker_target_group_is_a_lambda_target_group_without_health_checks(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        TARGET_GROUP,
        {
            "TargetType": "lambda",
            "HealthCheckEnabled": False,
            "TargetGroupAttributes": [{"Key": "lambda.multi_value_headers.enabled", "Value": "false"}],
        },
    )


def test_load_balancer_may_invoke_the_waker_only_through_its_target_group(app_stack: Template) -> None:
    waker_tg = _logical_id(app_stack, TARGET_GROUP, {"TargetType": "lambda"})
    app_stack.resource_count_is("AWS::Lambda::Permission", 1)
    app_stack.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "elasticloadbalancing.amazonaws.com",
            "SourceArn": {"Ref": waker_tg},
            "FunctionName": {"Fn::GetAtt": [Match.string_like_regexp("^WakerFunction"), "Arn"]},
        },
    )


def test_waker_is_registered_in_its_target_group_after_the_permission_exists(app_stack: Template) -> None:
    # The permission names the target group (SourceArn), so the target group cannot list the function in
    # its own Targets (a CloudFormation cycle): a custom resource registers it once both exist.
    waker_tg = _logical_id(app_stack, TARGET_GROUP, {"TargetType": "lambda"})
    permission = next(iter(app_stack.find_resources("AWS::Lambda::Permission")))
    registration = app_stack.find_resources("Custom::AWS")
    assert len(registration) == 1
    resource = next(iter(registration.values()))
    assert permission in resource["DependsOn"]
    create = json.loads(_rendered(resource["Properties"]["Create"]))
    assert (create["service"], create["action"]) == ("ElasticLoadBalancingV2", "registerTargets")
    assert create["parameters"]["TargetGroupArn"] == f"<Ref {waker_tg}>"
    assert create["parameters"]["Targets"][0]["Id"].startswith("<GetAtt WakerFunction")
    assert json.loads(_rendered(resource["Properties"]["Delete"]))["action"] == "deregisterTargets"


def test_registration_may_only_register_into_the_waker_target_group(app_stack: Template) -> None:
    waker_tg = _logical_id(app_stack, TARGET_GROUP, {"TargetType": "lambda"})
    app_stack.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                        "Effect": "Allow",
                        "Resource": {"Ref": waker_tg},
                    }
                ],
                "Version": "2012-10-17",
            }
        },
    )


def test_waker_may_read_only_its_own_parameter(app_stack: Template) -> None:
    grants = _rendered_grants(app_stack, "WakerRole")
    parameter = _logical_id(app_stack, PARAMETER, {})
    assert grants["ssm:GetParameter"] == [f"{ARN_PREFIX.format(service='ssm')}parameter<Ref {parameter}>"]


def test_waker_may_read_the_token_secret(app_stack: Template) -> None:
    grants = _rendered_grants(app_stack, "WakerRole")
    for action in ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"):
        (secret,) = grants[action]
        assert secret.startswith("<Output PublishOutputRefWakeTokenSecret"), action


def test_waker_may_control_only_its_own_service_and_rule(app_stack: Template) -> None:
    grants = _grants(role_statements(app_stack, "WakerRole"))
    for action in ("ecs:DescribeServices", "ecs:UpdateService", "ecs:TagResource"):
        assert grants[action] == [{"Ref": "DashService16DB4A4D"}]
    assert grants["elasticloadbalancing:ModifyRule"] == [{"Ref": _app_rule(app_stack)[0]}]


def test_waker_may_list_and_describe_only_tasks_of_its_cluster(app_stack: Template) -> None:
    statements = role_statements(app_stack, "WakerRole")
    (list_tasks,) = [s for s in statements if s["Action"] == "ecs:ListTasks"]
    assert list_tasks["Resource"] == "*"
    assert list(list_tasks["Condition"]["ArnEquals"]) == ["ecs:cluster"]
    (describe,) = [s for s in statements if s["Action"] == "ecs:DescribeTasks"]
    prefix, cluster, suffix = describe["Resource"]["Fn::Join"][1]
    assert (prefix, suffix) == ("arn:aws:ecs:us-east-1:000000000000:task/", "/*")
    assert "PlatformCluster" in cluster["Fn::GetStackOutput"]["OutputName"]


def test_waker_may_register_only_ecs_desired_count_scalable_targets(app_stack: Template) -> None:
    statements = role_statements(app_stack, "WakerRole")
    (register,) = [s for s in statements if s["Action"] == "application-autoscaling:RegisterScalableTarget"]
    assert register["Resource"] == "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/*"
    assert register["Condition"] == SCALABLE_TARGET_CONDITION


def test_waker_has_no_other_permissions(app_stack: Template) -> None:
    assert sorted(_grants(role_statements(app_stack, "WakerRole"))) == [
        "application-autoscaling:RegisterScalableTarget",
        "ecs:DescribeServices",
        "ecs:DescribeTasks",
        "ecs:ListTasks",
        "ecs:TagResource",
        "ecs:UpdateService",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:ModifyRule",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
    ]


def test_waker_uses_resource_star_only_for_describe_rules_target_health_and_list_tasks(app_stack: Template) -> None:
    star = sorted(
        action for action, resources in _grants(role_statements(app_stack, "WakerRole")).items() if "*" in resources
    )
    assert star == ["ecs:ListTasks", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetHealth"]


def test_waker_role_has_no_managed_policies(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {"Statement": [Match.object_like({"Principal": {"Service": "lambda.amazonaws.com"}})]}
            ),
            "Description": Match.string_like_regexp("waker"),
            "ManagedPolicyArns": Match.absent(),
        },
    )


# --- autoscaling while awake (app stack) --------------------------------------------------------------------


def test_service_scales_between_min_and_max_tasks_by_default(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "MinCapacity": 1,
            "MaxCapacity": 2,
            "ScalableDimension": "ecs:service:DesiredCount",
            "ServiceNamespace": "ecs",
            "ResourceId": {
                "Fn::Join": ["", ["service/", Match.any_value(), "/", {"Fn::GetAtt": ["DashService16DB4A4D", "Name"]}]]
            },
            "RoleARN": Match.string_like_regexp(
                "role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
                "AWSServiceRoleForApplicationAutoScaling_ECSService$"
            ),
        },
    )


def test_target_tracking_starts_once_the_keeper_rule_attaches_the_target_group(app_stack: Template) -> None:
    (keeper,) = _keeper_rules(app_stack)
    app_stack.has_resource("AWS::ApplicationAutoScaling::ScalingPolicy", {"DependsOn": Match.array_with([keeper])})


def test_target_tracking_follows_request_count_per_task(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ALBRequestCountPerTarget",
                    # "app/<lb>/<id>/targetgroup/<tg>/<id>": the platform's LoadBalancerFullName, the service's group
                    "ResourceLabel": {
                        "Fn::Join": [
                            "",
                            [
                                {
                                    "Fn::GetStackOutput": Match.object_like(
                                        {"OutputName": Match.string_like_regexp("LoadBalancerFullName")}
                                    )
                                },
                                "/",
                                {"Fn::GetAtt": [Match.string_like_regexp("^DashTargetGroup"), "TargetGroupFullName"]},
                            ],
                        ]
                    },
                },
                "TargetValue": 100,
            },
        },
    )


def test_configured_task_range_and_request_target_reach_the_autoscaling(nat_build: Build) -> None:
    template = nat_build.template(nat_build.stacks.apps[1])
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 3}
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {"TargetTrackingScalingPolicyConfiguration": Match.object_like({"TargetValue": 50})},
    )


# --- scaler stack -----------------------------------------------------------------------------------------


def test_scaler_runs_the_scaler_handler_alone_without_retries(scaler_stack: Template) -> None:
    scaler_stack.has_resource_properties(
        LAMBDA,
        {
            "Handler": "scaler.handler.handler",
            "Runtime": "python3.12",
            "MemorySize": 256,
            "Timeout": 50,
            "ReservedConcurrentExecutions": 1,
        },
    )
    scaler_stack.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig", {"MaximumRetryAttempts": 0, "Qualifier": "$LATEST"}
    )


def test_scaler_runs_every_minute_by_default_without_retries(scaler_stack: Template) -> None:
    scaler_stack.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(1 minute)",
            "State": "ENABLED",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [Match.string_like_regexp("^ScalerFunction"), "Arn"]},
                        "RetryPolicy": {"MaximumRetryAttempts": 0},
                    }
                )
            ],
        },
    )


def test_scaler_runs_at_the_configured_rate(nat_build: Build) -> None:
    assert nat_build.stacks.scaler is not None
    nat_build.template(nat_build.stacks.scaler).has_resource_properties(
        "AWS::Events::Rule", {"ScheduleExpression": "rate(5 minutes)"}
    )


def test_scaler_environment_is_only_the_apps_path(scaler_stack: Template) -> None:
    variables = _function(scaler_stack, "scaler.handler.handler")["Environment"]["Variables"]
    assert variables == {"ZERODASH_APPS_PATH": APPS_PATH}


def test_scaler_may_read_only_the_parameters_under_the_apps_path(scaler_stack: Template) -> None:
    parameters = f"{ARN_PREFIX.format(service='ssm')}parameter/zerodash/ZeroDash/apps"
    assert _rendered_grants(scaler_stack, "ScalerRole")["ssm:GetParametersByPath"] == [parameters, f"{parameters}/*"]


def test_scaler_may_control_only_services_of_the_cluster(scaler_stack: Template) -> None:
    grants = _rendered_grants(scaler_stack, "ScalerRole")
    for action in ("ecs:DescribeServices", "ecs:UpdateService", "ecs:TagResource"):
        (services,) = grants[action]
        assert services.startswith(f"{ARN_PREFIX.format(service='ecs')}service/<Output PublishOutputRefPlatformCluster")
        assert services.endswith(">/*")


def test_scaler_may_modify_only_rules_of_the_load_balancer(scaler_stack: Template) -> None:
    (rules,) = _rendered_grants(scaler_stack, "ScalerRole")["elasticloadbalancing:ModifyRule"]
    prefix = f"{ARN_PREFIX.format(service='elasticloadbalancing')}listener-rule/"
    assert rules.startswith(f"{prefix}<Output PublishOutputFnGetAttPlatformLoadBalancer")
    assert "LoadBalancerFullName" in rules
    assert rules.endswith(">/*")


def test_scaler_may_list_and_describe_only_tasks_of_the_cluster(scaler_stack: Template) -> None:
    statements = role_statements(scaler_stack, "ScalerRole")
    (list_tasks,) = [s for s in statements if s["Action"] == "ecs:ListTasks"]
    assert list(list_tasks["Condition"]["ArnEquals"]) == ["ecs:cluster"]
    (describe,) = _rendered_grants(scaler_stack, "ScalerRole")["ecs:DescribeTasks"]
    assert describe.startswith(f"{ARN_PREFIX.format(service='ecs')}task/<Output PublishOutputRefPlatformCluster")


def test_scaler_uses_resource_star_only_where_aws_requires_it(scaler_stack: Template) -> None:
    grants = _grants(role_statements(scaler_stack, "ScalerRole"))
    star = sorted(action for action, resources in grants.items() if "*" in resources)
    assert star == [
        "application-autoscaling:DescribeScalableTargets",
        "cloudwatch:GetMetricData",
        "ecs:ListTasks",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetHealth",
    ]
    assert all(resources == ["*"] for action, resources in grants.items() if action in star)


def test_scaler_has_no_other_permissions(scaler_stack: Template) -> None:
    assert sorted(_grants(role_statements(scaler_stack, "ScalerRole"))) == [
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
        "cloudwatch:GetMetricData",
        "ecs:DescribeServices",
        "ecs:DescribeTasks",
        "ecs:ListTasks",
        "ecs:TagResource",
        "ecs:UpdateService",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:ModifyRule",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ssm:GetParametersByPath",
    ]


def test_scaler_may_register_only_ecs_desired_count_scalable_targets(scaler_stack: Template) -> None:
    statements = role_statements(scaler_stack, "ScalerRole")
    (register,) = [s for s in statements if s["Action"] == "application-autoscaling:RegisterScalableTarget"]
    assert register["Condition"] == SCALABLE_TARGET_CONDITION


def test_scaler_permissions_are_the_same_for_one_app_and_for_two(default_build: Build, nat_build: Build) -> None:
    # Scoped by pattern, the role policy never grows with the apps (tests/infra/test_many_apps.py: 50 apps).
    assert default_build.stacks.scaler is not None and nat_build.stacks.scaler is not None
    one = role_statements(default_build.template(default_build.stacks.scaler), "ScalerRole")
    two = role_statements(nat_build.template(nat_build.stacks.scaler), "ScalerRole")
    assert (len(default_build.stacks.apps), len(nat_build.stacks.apps)) == (1, 2)
    assert one == two


def test_scaler_outputs_its_function_name_and_the_apps_path(scaler_stack: Template) -> None:
    scaler_stack.has_output("ScalerFunctionName", {"Value": {"Ref": Match.string_like_regexp("^ScalerFunction")}})
    scaler_stack.has_output("AppsPath", {"Value": APPS_PATH})


def test_scaler_stack_depends_on_no_app_stack(nat_build: Build) -> None:
    # The scaler finds the apps in SSM at run time: apps come and go without touching its stack.
    scaler = nat_build.stacks.scaler
    assert scaler is not None
    assert [stack.stack_name for stack in scaler.dependencies] == ["ZeroDash-Platform"]
    body = json.dumps(nat_build.template(scaler).to_json())
    assert all(stack.stack_name not in body for stack in nat_build.stacks.apps)


def test_app_stacks_never_refer_to_the_scaler_stack(nat_build: Build) -> None:
    assert nat_build.stacks.scaler is not None
    scaler_name = nat_build.stacks.scaler.stack_name
    for stack in nat_build.stacks.apps:
        assert scaler_name not in json.dumps(nat_build.template(stack).to_json())
        assert nat_build.stacks.scaler not in stack.dependencies


# --- scaleToZero=false ---------------------------------------------------------------------------------------


def test_always_on_has_no_scaler_stack(always_on_build: Build) -> None:
    assert always_on_build.stacks.scaler is None
    assert [stack.stack_name for stack in always_on_build.all_stacks] == [
        "ZeroDash-Stateful",
        "ZeroDash-Platform",
        "ZeroDash-App-dashboard",
    ]


def test_always_on_app_has_no_waker_and_no_registry_entry(always_on_build: Build) -> None:
    template = always_on_build.template(always_on_build.stacks.apps[0])
    template.resource_count_is(LAMBDA, 0)
    template.resource_count_is(TARGET_GROUP, 1)
    template.resource_count_is("Custom::AWS", 0)
    template.resource_count_is(PARAMETER, 0)


def test_always_on_app_rule_forwards_to_the_service_and_needs_no_keeper_rule(always_on_build: Build) -> None:
    template = always_on_build.template(always_on_build.stacks.apps[0])
    service_tg = _logical_id(template, TARGET_GROUP, {"TargetType": "ip"})
    template.resource_count_is(RULE, 1)
    _, rule = _app_rule(template)
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": service_tg}}]
    assert _keeper_rules(template) == {}


def test_always_on_app_autoscales_within_the_configured_range(always_on_build: Build) -> None:
    template = always_on_build.template(always_on_build.stacks.apps[0])
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 4}
    )
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 1)
