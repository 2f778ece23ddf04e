"""Scale to zero and wake on visit: the app object both Lambdas read, one waker per app, one scaler for all.

The Lambdas' environment contract is in lambdas/README.md. `ScaleToZeroApp.app_object()` is the one place
that builds an app object, for the waker's ZERODASH_APP and for each entry of the scaler's ZERODASH_APPS, so
the two always agree. Values are CloudFormation tokens; `Stack.to_json_string` renders them inside the JSON.

IAM follows what the Lambdas call (lambdas/common/aws.py) and nothing else: the ECS service, listener rule and
target groups of the app by ARN. Resource "*" is used only where AWS offers no resource-level permission
(Describe* of ELBv2 and Application Auto Scaling, CloudWatch GetMetricData); each is acknowledged in cdk-nag
with that reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from cdk_nag import NagSuppressions
from constructs import Construct

from infra.config import ScalingConfig
from infra.constructs.lambda_function import LambdaFunction
from infra.constructs.retention import retention_days

WAKER_HANDLER = "waker.handler.handler"
SCALER_HANDLER = "scaler.handler.handler"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
# Lambda limits all environment variables of a function to 4 KB together. The scaler's ZERODASH_APPS holds
# every app object, whose names and ARNs CloudFormation generates at deploy time; these are generous
# upper bounds of their resolved lengths, to fail at synth rather than at deploy.
LAMBDA_ENVIRONMENT_BYTES = 4096
RESOLVED_LENGTH_BOUNDS = {
    "cluster": 64,
    "service": 96,
    "ruleArn": 170,
    "serviceTargetGroupArn": 110,
    "wakerTargetGroupArn": 110,
}


@dataclass(frozen=True, kw_only=True)
class ScaleToZeroApp:
    """One app's resources and scaling policy, as the scaler and its waker need them."""

    name: str
    title: str
    cluster: ecs.ICluster
    service: ecs.BaseService
    listener_rule: elbv2.ApplicationListenerRule
    service_target_group: elbv2.IApplicationTargetGroup
    waker_target_group: elbv2.IApplicationTargetGroup
    scaling: ScalingConfig

    def app_object(self) -> dict[str, Any]:
        """The app object of the Lambdas' environment contract (lambdas/README.md)."""
        return {
            "name": self.name,
            "title": self.title,
            "cluster": self.cluster.cluster_name,
            # The name, not the ARN (which repeats the cluster name): Lambda's environment is limited to 4 KB.
            "service": self.service.service_name,
            "ruleArn": self.listener_rule.listener_rule_arn,
            "serviceTargetGroupArn": self.service_target_group.target_group_arn,
            "wakerTargetGroupArn": self.waker_target_group.target_group_arn,
            **self.scaling.policy_json(),
        }

    def control_statements(self) -> list[iam.PolicyStatement]:
        """What both Lambdas do to this app: read and set its service, point its rule (lambdas/common/aws.py)."""
        return [
            iam.PolicyStatement(
                actions=["ecs:DescribeServices", "ecs:UpdateService", "ecs:TagResource"],
                resources=[self.service.service_arn],
            ),
            iam.PolicyStatement(
                actions=["elasticloadbalancing:ModifyRule"], resources=[self.listener_rule.listener_rule_arn]
            ),
        ]


def check_scaler_environment_size(app_objects: Sequence[dict[str, Any]]) -> None:
    """Raise ValueError when ZERODASH_APPS may exceed Lambda's 4 KB once CloudFormation has resolved its tokens."""
    placeholders = {key: "x" * length for key, length in RESOLVED_LENGTH_BOUNDS.items()}
    value = json.dumps([{**app, **placeholders} for app in app_objects], separators=(",", ":"))
    size = len("ZERODASH_APPS") + len(value)
    if size > LAMBDA_ENVIRONMENT_BYTES:
        raise ValueError(
            f"{len(app_objects)} apps may not fit the scaler's environment: Lambda allows 4 KB of environment "
            f"variables and ZERODASH_APPS could take {size} bytes once deployed (shorter titles and fewer "
            "keepWarm windows help)"
        )


def register_scalable_target_statement(scope: Construct) -> iam.PolicyStatement:
    """RegisterScalableTarget for ECS services' desired count in this account and region.

    A scalable target's ARN ends in an id Application Auto Scaling generates and CloudFormation does not
    return, so no template can name one target; the conditions keep it to ECS desired counts.
    """
    return iam.PolicyStatement(
        actions=["application-autoscaling:RegisterScalableTarget"],
        resources=[
            Stack.of(scope).format_arn(
                service="application-autoscaling",
                resource="scalable-target",
                resource_name="*",
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
        ],
        conditions={
            "StringEquals": {
                "application-autoscaling:service-namespace": "ecs",
                "application-autoscaling:scalable-dimension": SCALABLE_DIMENSION,
            }
        },
    )


SCALABLE_TARGET_REASON = (
    "RegisterScalableTarget: a scalable target's ARN ends in an id generated by Application Auto Scaling that "
    "CloudFormation does not return, so it cannot be named; the statement is limited to this account and region "
    "and, by condition, to the ecs namespace and the ecs:service:DesiredCount dimension."
)
DESCRIBE_REASON = (
    "elasticloadbalancing:DescribeTargetHealth/DescribeRules and application-autoscaling:DescribeScalableTargets "
    "support no resource-level permissions: AWS requires Resource '*'. They only read."
)


class AppWaker(Construct):
    """The waker: an ALB Lambda target that a sleeping app's listener rule forwards to.

    - Function: lambdas/ `waker.handler.handler`, 256 MiB, 10 s, env ZERODASH_APP (the app object).
    - Target group: Lambda target type, health check off, multi-value headers off. The template's
      listener rule keeps forwarding to the service's target group; the scaler and the waker move the
      live rule between the two (a deploy while asleep leaves them differing; the next scaler run
      reconciles).
    - The function is registered in the target group by a small custom resource after both exist: the
      function's environment names the target group, so the target group cannot name the function in
      its own `Targets` property (CloudFormation would see a cycle). The load balancer may invoke the
      function only through this target group (permission with SourceArn).
    - IAM: its app's service (DescribeServices/UpdateService/TagResource), listener rule (ModifyRule),
      tasks of its cluster (ListTasks, DescribeTasks), target health, and RegisterScalableTarget for ECS.

    Attributes:
        target_group: the Lambda `elbv2.ApplicationTargetGroup`.
        function: the waker `LambdaFunction` (`function.function`, `function.role`, `function.log_group`).
        registration: the `cr.AwsCustomResource` that registers the function in `target_group`.
        app: the `ScaleToZeroApp` (its `app_object()` is the waker's ZERODASH_APP).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        title: str,
        cluster: ecs.ICluster,
        service: ecs.BaseService,
        listener_rule: elbv2.ApplicationListenerRule,
        service_target_group: elbv2.IApplicationTargetGroup,
        scaling: ScalingConfig,
        log_retention_days: int = 30,
    ) -> None:
        """
        Args:
            name: the app's name (metric dimension `App`).
            title: shown on the holding page.
            cluster: the ECS cluster of `service`.
            service: the app's ECS service.
            listener_rule: the app's listener rule (forwarding to `service_target_group` in the template).
            service_target_group: the service's target group.
            scaling: the app's scaling policy (idle times, task range, keep-warm windows, start time).
            log_retention_days: retention of the waker's logs. Default 30.
        """
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            target_type=elbv2.TargetType.LAMBDA,
            health_check=elbv2.HealthCheck(enabled=False),
        )
        self.target_group.set_attribute("lambda.multi_value_headers.enabled", "false")

        self.app = ScaleToZeroApp(
            name=name,
            title=title,
            cluster=cluster,
            service=service,
            listener_rule=listener_rule,
            service_target_group=service_target_group,
            waker_target_group=self.target_group,
            scaling=scaling,
        )
        self.function = LambdaFunction(
            self,
            "Waker",
            handler=WAKER_HANDLER,
            description=f"ZeroDash waker of the {name} app: holding page, starts the service on a visit",
            environment={"ZERODASH_APP": stack.to_json_string(self.app.app_object())},
            timeout=Duration.seconds(10),
            memory_mib=256,
            log_retention_days=log_retention_days,
        )
        role = self.function.role
        for statement in self.app.control_statements():
            role.add_to_policy(statement)
        role.add_to_policy(register_scalable_target_statement(self))
        # The holding page's live step: the service's tasks (lambdas/common/aws.py read_progress).
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:ListTasks"],
                resources=["*"],
                conditions={"ArnEquals": {"ecs:cluster": cluster.cluster_arn}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:DescribeTasks"],
                resources=[
                    stack.format_arn(
                        service="ecs",
                        resource="task",
                        resource_name=f"{cluster.cluster_name}/*",
                        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                    )
                ],
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["elasticloadbalancing:DescribeTargetHealth"], resources=["*"]))
        NagSuppressions.add_resource_suppressions(
            role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "ecs:ListTasks has no resource-level permission (Resource '*', limited by the "
                    "ecs:cluster condition to the app's cluster); ecs:DescribeTasks is limited to the tasks of "
                    f"that cluster (task ids are not known in advance). {DESCRIBE_REASON} {SCALABLE_TARGET_REASON}",
                    "appliesTo": [
                        "Resource::*",
                        {"regex": "/^Resource::arn:[^:]+:ecs:[^:]+:[^:]+:task/.+/\\*$/"},
                        {"regex": "/^Resource::arn:[^:]+:application-autoscaling:[^:]+:[^:]+:scalable-target/\\*$/"},
                    ],
                }
            ],
            apply_to_children=True,
        )

        # The load balancer may invoke the waker only through this target group.
        self.function.function.add_permission(
            "InvokeFromTargetGroup",
            principal=iam.ServicePrincipal("elasticloadbalancing.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_arn=self.target_group.target_group_arn,
        )
        self.registration = _register_lambda_target(
            self,
            "RegisterTarget",
            target_group=self.target_group,
            function_arn=self.function.function.function_arn,
            log_retention_days=log_retention_days,
        )
        self.registration.node.add_dependency(self.function.function.node.find_child("InvokeFromTargetGroup"))


def _register_lambda_target(
    scope: Construct,
    construct_id: str,
    *,
    target_group: elbv2.IApplicationTargetGroup,
    function_arn: str,
    log_retention_days: int,
) -> cr.AwsCustomResource:
    """RegisterTargets on create and update, DeregisterTargets on delete: the function into its target group."""
    call = {"TargetGroupArn": target_group.target_group_arn, "Targets": [{"Id": function_arn}]}
    registration = cr.AwsCustomResource(
        scope,
        construct_id,
        on_create=cr.AwsSdkCall(
            service="ElasticLoadBalancingV2",
            action="registerTargets",
            parameters=call,
            physical_resource_id=cr.PhysicalResourceId.of(target_group.target_group_arn),
        ),
        on_update=cr.AwsSdkCall(
            service="ElasticLoadBalancingV2",
            action="registerTargets",
            parameters=call,
            physical_resource_id=cr.PhysicalResourceId.of(target_group.target_group_arn),
        ),
        on_delete=cr.AwsSdkCall(service="ElasticLoadBalancingV2", action="deregisterTargets", parameters=call),
        policy=cr.AwsCustomResourcePolicy.from_statements(
            [
                iam.PolicyStatement(
                    actions=["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                    resources=[target_group.target_group_arn],
                )
            ]
        ),
        install_latest_aws_sdk=False,
        log_group=logs.LogGroup(
            scope,
            f"{construct_id}Logs",
            retention=retention_days(log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )
    # CDK's AwsCustomResource runs one singleton provider function per stack; its role and runtime are CDK's.
    provider = Stack.of(scope).node.try_find_child("AWS679f53fac002430cb0da5b7982bd2287")
    if provider is not None:
        NagSuppressions.add_resource_suppressions(
            provider,
            [
                {
                    "id": "AwsSolutions-IAM4",
                    "reason": "CDK's AwsCustomResource provider uses AWSLambdaBasicExecutionRole only to write its own "
                    "CloudWatch logs.",
                    "appliesTo": [
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
                    ],
                },
                {
                    "id": "AwsSolutions-L1",
                    "reason": "The runtime of CDK's AwsCustomResource provider is chosen by aws-cdk-lib and upgraded "
                    "with it, not configurable here.",
                },
            ],
            apply_to_children=True,
        )
    return registration


class Scaler(Construct):
    """The scaler: one function for every app, run by an EventBridge schedule.

    - Function: lambdas/ `scaler.handler.handler`, 256 MiB, 50 s, reserved concurrency 1 (runs never
      overlap), no retries of failed runs (the next scheduled run is the retry), env ZERODASH_APPS (the
      JSON list of every app's object).
    - Schedule: every `rate_minutes` minutes, no retries.
    - IAM: per app its service (DescribeServices/UpdateService/TagResource) and listener rule
      (ModifyRule); RegisterScalableTarget for ECS; DescribeRules, DescribeTargetHealth,
      DescribeScalableTargets and cloudwatch:GetMetricData on '*' (no resource-level permissions).

    Attributes:
        function: the scaler `LambdaFunction` (`function.function`, `function.role`, `function.log_group`).
        schedule: the `events.Rule`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        apps: Sequence[ScaleToZeroApp],
        rate_minutes: int = 1,
        log_retention_days: int = 30,
    ) -> None:
        """
        Args:
            apps: every app that scales to zero (at least one).
            rate_minutes: minutes between runs (1-60). Default 1.
            log_retention_days: retention of the scaler's logs. Default 30.
        """
        super().__init__(scope, construct_id)
        if not apps:
            raise ValueError("the scaler needs at least one app")
        if not 1 <= rate_minutes <= 60:
            raise ValueError(f"rate_minutes must be 1 to 60, got {rate_minutes}")
        app_objects = [app.app_object() for app in apps]
        check_scaler_environment_size(app_objects)
        stack = Stack.of(self)

        self.function = LambdaFunction(
            self,
            "Scaler",
            handler=SCALER_HANDLER,
            description="ZeroDash scaler: sleeps idle apps, finishes wakes, reconciles listener rules",
            environment={"ZERODASH_APPS": stack.to_json_string(app_objects)},
            timeout=Duration.seconds(50),
            memory_mib=256,
            log_retention_days=log_retention_days,
            reserved_concurrent_executions=1,
            retry_attempts=0,
        )
        role = self.function.role
        for app in apps:
            for statement in app.control_statements():
                role.add_to_policy(statement)
        role.add_to_policy(register_scalable_target_statement(self))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetHealth",
                    "application-autoscaling:DescribeScalableTargets",
                ],
                resources=["*"],
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["cloudwatch:GetMetricData"], resources=["*"]))
        NagSuppressions.add_resource_suppressions(
            role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "cloudwatch:GetMetricData does not support resource-level permissions: AWS requires "
                    f"Resource '*'. {DESCRIBE_REASON} {SCALABLE_TARGET_REASON}",
                    "appliesTo": [
                        "Resource::*",
                        {"regex": "/^Resource::arn:[^:]+:application-autoscaling:[^:]+:[^:]+:scalable-target/\\*$/"},
                    ],
                }
            ],
            apply_to_children=True,
        )

        self.schedule = events.Rule(
            self,
            "Schedule",
            description="Runs the ZeroDash scaler",
            schedule=events.Schedule.rate(Duration.minutes(rate_minutes)),
            targets=[targets.LambdaFunction(self.function.function, retry_attempts=0)],
        )
