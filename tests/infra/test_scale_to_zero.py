"""Scale to zero (issue 3): the waker in each app stack, the scaler stack, target tracking and their IAM."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.config import ScalingConfig
from infra.constructs.scale_to_zero import check_scaler_environment_size
from tests.infra.conftest import SALES_SCALING, Build

LAMBDA = "AWS::Lambda::Function"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
ENV_KEYS = ["name", "title", "cluster", "service", "ruleArn", "serviceTargetGroupArn", "wakerTargetGroupArn"]
POLICY_KEYS = ["idleMinutes", "minAwakeMinutes", "minTasks", "maxTasks", "keepWarm", "expectedStartSeconds"]
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


def _env_json(join: Any) -> Any:
    """Parse a Fn::Join-rendered JSON string, each token replaced by a marker naming what it refers to."""
    if isinstance(join, str):
        return json.loads(join)
    parts = []
    for part in join["Fn::Join"][1]:
        if isinstance(part, str):
            parts.append(part)
        elif "Ref" in part:
            parts.append(f"<Ref {part['Ref']}>")
        elif "Fn::GetAtt" in part:
            parts.append(f"<GetAtt {'.'.join(part['Fn::GetAtt'])}>")
        else:
            parts.append(f"<Output {part['Fn::GetStackOutput']['OutputName']}>")
    return json.loads("".join(parts))


def _statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    """The statements of the policies attached to the role whose logical id starts with `role_prefix`."""
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        roles = [role.get("Ref", "") for role in policy["Properties"]["Roles"]]
        if any(role.startswith(role_prefix) for role in roles):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    assert found, f"no policy for {role_prefix}"
    return found


def _grants(statements: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """action -> the resources it is allowed on (the conditions are checked separately)."""
    grants: dict[str, list[Any]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            grants.setdefault(action, []).extend(_as_list(statement["Resource"]))
    return grants


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _logical_id(template: Template, resource_type: str, properties: dict[str, Any]) -> str:
    found = template.find_resources(resource_type, {"Properties": properties})
    assert len(found) == 1, found.keys()
    return next(iter(found))


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


def test_waker_environment_is_its_app_object_pointing_at_this_stacks_resources(app_stack: Template) -> None:
    env = _env_json(_function(app_stack, "waker.handler.handler")["Environment"]["Variables"]["ZERODASH_APP"])
    assert list(env) == ENV_KEYS + POLICY_KEYS
    assert (env["name"], env["title"]) == ("dashboard", "Population by country")
    assert env["service"] == "<GetAtt DashService16DB4A4D.Name>"
    assert env["ruleArn"].startswith("<Ref DashListenerRule")
    assert env["serviceTargetGroupArn"].startswith("<Ref DashTargetGroup")
    assert env["wakerTargetGroupArn"].startswith("<Ref WakerTargetGroup")
    assert env["cluster"].startswith("<Output PublishOutputRefPlatformCluster")


def test_waker_environment_carries_the_default_policy(app_stack: Template) -> None:
    env = _env_json(_function(app_stack, "waker.handler.handler")["Environment"]["Variables"]["ZERODASH_APP"])
    assert {key: env[key] for key in POLICY_KEYS} == {
        "idleMinutes": 15,
        "minAwakeMinutes": 5,
        "minTasks": 1,
        "maxTasks": 2,
        "keepWarm": [],
        "expectedStartSeconds": 60,
    }


def test_waker_environment_carries_the_apps_configured_policy(nat_build: Build) -> None:
    template = nat_build.template(nat_build.stacks.apps[1])
    env = _env_json(_function(template, "waker.handler.handler")["Environment"]["Variables"]["ZERODASH_APP"])
    assert {key: env[key] for key in POLICY_KEYS} == {key: SALES_SCALING[key] for key in POLICY_KEYS}
    assert (env["name"], env["title"]) == ("sales", "Sales")


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
    # The function's environment names the target group, so the target group cannot list the function in
    # its own Targets (a CloudFormation cycle): a custom resource registers it once both exist.
    waker_tg = _logical_id(app_stack, TARGET_GROUP, {"TargetType": "lambda"})
    permission = next(iter(app_stack.find_resources("AWS::Lambda::Permission")))
    registration = app_stack.find_resources("Custom::AWS")
    assert len(registration) == 1
    resource = next(iter(registration.values()))
    assert permission in resource["DependsOn"]
    create = _env_json(resource["Properties"]["Create"])
    assert (create["service"], create["action"]) == ("ElasticLoadBalancingV2", "registerTargets")
    assert create["parameters"]["TargetGroupArn"] == f"<Ref {waker_tg}>"
    assert create["parameters"]["Targets"][0]["Id"].startswith("<GetAtt WakerFunction")
    assert _env_json(resource["Properties"]["Delete"])["action"] == "deregisterTargets"


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


def test_listener_rule_still_forwards_to_the_service_in_the_template(app_stack: Template) -> None:
    # The scaler and the waker move the live rule; a deploy while asleep is reconciled by the next scaler run.
    service_tg = _logical_id(app_stack, TARGET_GROUP, {"TargetType": "ip"})
    app_stack.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        {"Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": service_tg}}]},
    )


def test_waker_may_control_only_its_own_service_and_rule(app_stack: Template) -> None:
    grants = _grants(_statements(app_stack, "WakerRole"))
    for action in ("ecs:DescribeServices", "ecs:UpdateService", "ecs:TagResource"):
        assert grants[action] == [{"Ref": "DashService16DB4A4D"}]
    assert grants["elasticloadbalancing:ModifyRule"] == [
        {"Ref": _logical_id(app_stack, "AWS::ElasticLoadBalancingV2::ListenerRule", {})}
    ]


def test_waker_may_list_and_describe_only_tasks_of_its_cluster(app_stack: Template) -> None:
    statements = _statements(app_stack, "WakerRole")
    (list_tasks,) = [s for s in statements if s["Action"] == "ecs:ListTasks"]
    assert list_tasks["Resource"] == "*"
    assert list(list_tasks["Condition"]["ArnEquals"]) == ["ecs:cluster"]
    (describe,) = [s for s in statements if s["Action"] == "ecs:DescribeTasks"]
    prefix, cluster, suffix = describe["Resource"]["Fn::Join"][1]
    assert (prefix, suffix) == ("arn:aws:ecs:us-east-1:000000000000:task/", "/*")
    assert "PlatformCluster" in cluster["Fn::GetStackOutput"]["OutputName"]


def test_waker_may_register_only_ecs_desired_count_scalable_targets(app_stack: Template) -> None:
    statements = _statements(app_stack, "WakerRole")
    (register,) = [s for s in statements if s["Action"] == "application-autoscaling:RegisterScalableTarget"]
    assert register["Resource"] == "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/*"
    assert register["Condition"] == SCALABLE_TARGET_CONDITION


def test_waker_has_no_other_permissions(app_stack: Template) -> None:
    assert sorted(_grants(_statements(app_stack, "WakerRole"))) == [
        "application-autoscaling:RegisterScalableTarget",
        "ecs:DescribeServices",
        "ecs:DescribeTasks",
        "ecs:ListTasks",
        "ecs:TagResource",
        "ecs:UpdateService",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:ModifyRule",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]


def test_waker_uses_resource_star_only_for_describe_target_health_and_list_tasks(app_stack: Template) -> None:
    star = sorted(
        action for action, resources in _grants(_statements(app_stack, "WakerRole")).items() if "*" in resources
    )
    assert star == ["ecs:ListTasks", "elasticloadbalancing:DescribeTargetHealth"]


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


def test_target_tracking_starts_once_the_listener_rule_attaches_the_target_group(app_stack: Template) -> None:
    rule = _logical_id(app_stack, "AWS::ElasticLoadBalancingV2::ListenerRule", {})
    app_stack.has_resource("AWS::ApplicationAutoScaling::ScalingPolicy", {"DependsOn": Match.array_with([rule])})


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


def test_scaler_environment_lists_every_app_object_in_order(nat_build: Build) -> None:
    assert nat_build.stacks.scaler is not None
    template = nat_build.template(nat_build.stacks.scaler)
    apps = _env_json(_function(template, "scaler.handler.handler")["Environment"]["Variables"]["ZERODASH_APPS"])
    assert [(app["name"], list(app)) for app in apps] == [
        ("dashboard", ENV_KEYS + POLICY_KEYS),
        ("sales", ENV_KEYS + POLICY_KEYS),
    ]
    assert {key: apps[1][key] for key in POLICY_KEYS} == {key: SALES_SCALING[key] for key in POLICY_KEYS}


def test_scaler_and_waker_read_the_same_app_object(nat_build: Build) -> None:
    assert nat_build.stacks.scaler is not None
    scaler = nat_build.template(nat_build.stacks.scaler)
    from_scaler = _env_json(_function(scaler, "scaler.handler.handler")["Environment"]["Variables"]["ZERODASH_APPS"])
    for index, stack in enumerate(nat_build.stacks.apps):
        waker = _env_json(
            _function(nat_build.template(stack), "waker.handler.handler")["Environment"]["Variables"]["ZERODASH_APP"]
        )
        literal = {key: value for key, value in waker.items() if not str(value).startswith("<")}
        assert {key: from_scaler[index][key] for key in literal} == literal
        # the token values name the same resources: the app stack's outputs of its own Refs/GetAtts
        assert from_scaler[index]["wakerTargetGroupArn"].startswith("<Output PublishOutputRefWakerTargetGroup")
        assert from_scaler[index]["service"].startswith("<Output PublishOutputFnGetAttDashService")


def test_scaler_may_control_each_apps_service_and_rule_only(nat_build: Build) -> None:
    assert nat_build.stacks.scaler is not None
    grants = _grants(_statements(nat_build.template(nat_build.stacks.scaler), "ScalerRole"))
    for action, output in (
        ("ecs:DescribeServices", "PublishOutputRefDashService"),
        ("ecs:UpdateService", "PublishOutputRefDashService"),
        ("ecs:TagResource", "PublishOutputRefDashService"),
        ("elasticloadbalancing:ModifyRule", "PublishOutputRefDashListenerRule"),
    ):
        stacks = sorted(resource["Fn::GetStackOutput"]["StackName"] for resource in grants[action])
        assert stacks == ["ZeroDash-App-dashboard", "ZeroDash-App-sales"], action
        assert all(r["Fn::GetStackOutput"]["OutputName"].startswith(output) for r in grants[action]), action


def test_scaler_uses_resource_star_only_where_aws_requires_it(scaler_stack: Template) -> None:
    grants = _grants(_statements(scaler_stack, "ScalerRole"))
    star = sorted(action for action, resources in grants.items() if "*" in resources)
    assert star == [
        "application-autoscaling:DescribeScalableTargets",
        "cloudwatch:GetMetricData",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetHealth",
    ]
    assert all(resources == ["*"] for action, resources in grants.items() if action in star)


def test_scaler_may_register_only_ecs_desired_count_scalable_targets(scaler_stack: Template) -> None:
    statements = _statements(scaler_stack, "ScalerRole")
    (register,) = [s for s in statements if s["Action"] == "application-autoscaling:RegisterScalableTarget"]
    assert register["Condition"] == SCALABLE_TARGET_CONDITION


def test_scaler_outputs_its_function_name_for_the_operator_cli(scaler_stack: Template) -> None:
    scaler_stack.has_output("ScalerFunctionName", {"Value": {"Ref": Match.string_like_regexp("^ScalerFunction")}})


def test_app_stacks_never_refer_to_the_scaler_stack(nat_build: Build) -> None:
    assert nat_build.stacks.scaler is not None
    scaler_name = nat_build.stacks.scaler.stack_name
    for stack in nat_build.stacks.apps:
        assert scaler_name not in json.dumps(nat_build.template(stack).to_json())
        assert stack in nat_build.stacks.scaler.dependencies


# --- scaleToZero=false ---------------------------------------------------------------------------------------


def test_always_on_has_no_scaler_stack(always_on_build: Build) -> None:
    assert always_on_build.stacks.scaler is None
    assert [stack.stack_name for stack in always_on_build.all_stacks] == [
        "ZeroDash-Stateful",
        "ZeroDash-Platform",
        "ZeroDash-App-dashboard",
    ]


def test_always_on_app_has_no_waker(always_on_build: Build) -> None:
    template = always_on_build.template(always_on_build.stacks.apps[0])
    template.resource_count_is(LAMBDA, 0)
    template.resource_count_is(TARGET_GROUP, 1)
    template.resource_count_is("Custom::AWS", 0)


def test_always_on_app_autoscales_within_the_configured_range(always_on_build: Build) -> None:
    template = always_on_build.template(always_on_build.stacks.apps[0])
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 4}
    )
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 1)


def _app_object(index: int, title: str) -> dict[str, Any]:
    tokens = dict.fromkeys(ENV_KEYS, "${Token[TOKEN.1]}")
    return {**tokens, "name": f"app{index}", "title": title, **ScalingConfig().policy_json()}


def test_five_default_apps_fit_the_scalers_environment() -> None:
    check_scaler_environment_size([_app_object(index, "Population by country") for index in range(5)])


def test_apps_that_may_not_fit_the_scalers_environment_fail_at_synth() -> None:
    with pytest.raises(ValueError, match="4 KB"):
        check_scaler_environment_size([_app_object(index, "x" * 100) for index in range(5)])
