"""Scale to zero and wake on visit: the app registry in SSM, one waker per app, one scaler for all.

The Lambdas' contract is in lambdas/README.md. Each app stack writes its app object (built in one place,
`ScaleToZeroApp.app_object()`) to the SSM parameter `/zerodash/<stackPrefix>/apps/<name>` (`AppRegistration`);
the app's waker reads its own parameter, the scaler every parameter under the path, so the scaler knows
nothing of the apps at deploy time and never grows with them. Values are CloudFormation tokens;
`Stack.to_json_string` renders them inside the JSON.

IAM follows what the Lambdas call (lambdas/common/aws.py) and nothing else. A waker may touch its own app's
service and listener rule by ARN. The scaler's statements are scoped by pattern (the cluster's services and
tasks, the load balancer's listener rules, the apps' SSM path), so its role policy stays the same size
however many apps there are (IAM limits a role's inline policies to 10,240 characters). Resource "*" is used
only where AWS offers no resource-level permission (Describe* of ELBv2 and Application Auto Scaling,
ecs:ListTasks, CloudWatch GetMetricData); each is acknowledged in cdk-nag with that reason.
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
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from cdk_nag import NagSuppressions
from constructs import Construct

from common.framing import frame_ancestors_value
from infra.config import DEFAULT_WAKER_CONCURRENCY, ConfigError, ScalingConfig
from infra.constructs.lambda_function import LambdaFunction
from infra.constructs.sdk_call import sdk_call_resource
from zerodash.config import APP_OBJECT_RESOLVED_BOUNDS, SSM_STANDARD_BYTES

WAKER_HANDLER = "waker.handler.handler"
SCALER_HANDLER = "scaler.handler.handler"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
WAKER_TIMEOUT = Duration.seconds(10)
SCALER_TIMEOUT = Duration.seconds(50)
TOKEN_SECRET_LENGTH = 64


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
    # The listener rule authenticates (authenticate-oidc/-cognito before its forward): the scaler and the
    # waker keep that action on every move, and close the rule if it is ever missing (lambdas/common/route.py).
    authenticated: bool = False
    # The Cognito user pool the rule's authenticate-cognito action names, if any. ELB checks the pool's app client
    # with the caller's own rights when a rule with that action is written, so whoever moves the rule needs
    # cognito-idp:DescribeUserPoolClient on the pool (the AWS Load Balancer Controller's policy grants it for the
    # same reason).
    login_pool_arn: str | None = None

    def app_object(self) -> dict[str, Any]:
        """The app object of the Lambdas' contract (lambdas/README.md, "Where the apps are listed")."""
        return {
            "name": self.name,
            "title": self.title,
            "cluster": self.cluster.cluster_name,
            # The name, not the ARN (which repeats the cluster name): the parameter is limited to 4 KB.
            "service": self.service.service_name,
            "ruleArn": self.listener_rule.listener_rule_arn,
            "serviceTargetGroupArn": self.service_target_group.target_group_arn,
            "wakerTargetGroupArn": self.waker_target_group.target_group_arn,
            **self.scaling.policy_json(),
            "auth": self.authenticated,
        }

    def control_statements(self) -> list[iam.PolicyStatement]:
        """What the waker does to its app: read and set its service, point its rule (lambdas/common/aws.py)."""
        return [
            iam.PolicyStatement(
                actions=["ecs:DescribeServices", "ecs:UpdateService", "ecs:TagResource"],
                resources=[self.service.service_arn],
            ),
            iam.PolicyStatement(
                actions=["elasticloadbalancing:ModifyRule"], resources=[self.listener_rule.listener_rule_arn]
            ),
            *login_pool_statements(self.login_pool_arn),
        ]


def login_pool_statements(login_pool_arn: str | None) -> list[iam.PolicyStatement]:
    """What writing a rule with an authenticate-cognito action needs beside ModifyRule (see ScaleToZeroApp)."""
    if login_pool_arn is None:
        return []
    return [iam.PolicyStatement(actions=["cognito-idp:DescribeUserPoolClient"], resources=[login_pool_arn])]


def app_object_bytes(app_object: dict[str, Any]) -> int:
    """The most bytes `app_object` may take as JSON once CloudFormation has resolved its tokens."""
    resolved = {**app_object, **{key: "x" * length for key, length in APP_OBJECT_RESOLVED_BOUNDS.items()}}
    return len(json.dumps(resolved, ensure_ascii=False, separators=(",", ":")).encode())


def check_app_object_size(app_object: dict[str, Any]) -> None:
    """Raise ConfigError (naming the app) when the app object may not fit an SSM standard parameter."""
    size = app_object_bytes(app_object)
    if size > SSM_STANDARD_BYTES:
        raise ConfigError(
            "apps",
            f"the app object of {app_object['name']!r} may take {size} bytes once deployed, more than the "
            f"{SSM_STANDARD_BYTES} an SSM standard parameter holds: use a shorter title or fewer keepWarm windows",
        )


def waker_target_group(scope: Construct, construct_id: str) -> elbv2.ApplicationTargetGroup:
    """A Lambda target group for an app's waker: no health check (a Lambda target is always available),
    multi-value headers off (the waker answers single-value headers)."""
    target_group = elbv2.ApplicationTargetGroup(
        scope, construct_id, target_type=elbv2.TargetType.LAMBDA, health_check=elbv2.HealthCheck(enabled=False)
    )
    target_group.set_attribute("lambda.multi_value_headers.enabled", "false")
    return target_group


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


def task_statements(scope: Construct, cluster: ecs.ICluster) -> list[iam.PolicyStatement]:
    """ListTasks and DescribeTasks in `cluster`: the holding page's step and why a failed wake's tasks stopped."""
    return [
        iam.PolicyStatement(
            actions=["ecs:ListTasks"],
            resources=["*"],
            conditions={"ArnEquals": {"ecs:cluster": cluster.cluster_arn}},
        ),
        iam.PolicyStatement(
            actions=["ecs:DescribeTasks"],
            resources=[
                Stack.of(scope).format_arn(
                    service="ecs",
                    resource="task",
                    resource_name=f"{cluster.cluster_name}/*",
                    arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                )
            ],
        ),
    ]


SCALABLE_TARGET_REASON = (
    "RegisterScalableTarget: a scalable target's ARN ends in an id generated by Application Auto Scaling that "
    "CloudFormation does not return, so it cannot be named; the statement is limited to this account and region "
    "and, by condition, to the ecs namespace and the ecs:service:DesiredCount dimension."
)
DESCRIBE_REASON = (
    "elasticloadbalancing:DescribeRules/DescribeTargetHealth and application-autoscaling:DescribeScalableTargets "
    "support no resource-level permissions: AWS requires Resource '*'. They only read."
)
TASKS_REASON = (
    "ecs:ListTasks has no resource-level permission (Resource '*', limited by the ecs:cluster condition to the "
    "apps' cluster); ecs:DescribeTasks is limited to the tasks of that cluster (task ids are not known in advance)."
)
SMG4_REASON = (
    "The secret only signs wake tokens, which live 120 seconds and can do no more than start an app that a "
    "visitor would start anyway; rotating it needs a rotation Lambda and would only cut open holding pages short."
)


class WakeTokenSecret(Construct):
    """The key that signs wake tokens (lambdas/waker/token.py): one Secrets Manager secret per deployment.

    A generated 64-character string of letters and digits, deleted with the stack (a new one only means
    holding pages open during the deploy ask again). Not rotated (cdk-nag AwsSolutions-SMG4 acknowledged).

    Attributes:
        secret: the `secretsmanager.Secret`; wakers get `secret.grant_read`.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description="ZeroDash: signs the wake tokens of the wakers' holding pages",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=TOKEN_SECRET_LENGTH, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        NagSuppressions.add_resource_suppressions(self.secret, [{"id": "AwsSolutions-SMG4", "reason": SMG4_REASON}])


class AppRegistration(Construct):
    """An app's entry in the registry: its app object in the SSM parameter `<apps_path><name>`.

    String, standard tier (free, at most 4 KB: checked at synth with generous bounds for the deploy-time
    names and ARNs, raising ConfigError naming the app). Written by the app's own stack, so an app is listed
    exactly while its stack exists.

    Attributes:
        parameter: the `ssm.StringParameter`.
        app: the `ScaleToZeroApp` whose object it holds.
    """

    def __init__(self, scope: Construct, construct_id: str, *, app: ScaleToZeroApp, apps_path: str) -> None:
        """
        Args:
            app: the app.
            apps_path: the registry's SSM path, "/zerodash/<stackPrefix>/apps/" (lambdas/common/registry.py).
        """
        super().__init__(scope, construct_id)
        if not (apps_path.startswith("/") and apps_path.endswith("/")):
            raise ValueError(f'apps_path must start and end with "/", got {apps_path!r}')
        app_object = app.app_object()
        check_app_object_size(app_object)
        self.app = app
        self.parameter = ssm.StringParameter(
            self,
            "Parameter",
            parameter_name=f"{apps_path}{app.name}",
            string_value=Stack.of(self).to_json_string(app_object),
            tier=ssm.ParameterTier.STANDARD,
            description=f"ZeroDash: the {app.name} app object, read by the scaler and the app's waker",
        )


class AppWaker(Construct):
    """The waker: the ALB Lambda target that a sleeping or dozing app's listener rule forwards to.

    - Function: lambdas/ `waker.handler.handler`, 256 MiB, 10 s, reserved concurrency `reserved_concurrency`
      (a burst of visitors cannot take the account's concurrency, nor cost more than that many at once).
      Environment: ZERODASH_APP_PARAMETER (its app's parameter), ZERODASH_TOKEN_SECRET (the secret's ARN)
      and FRAME_ANCESTORS (who may frame its pages, as the app's runtime gets it: "'none'" by default).
    - Target group (`app.waker_target_group`, see `waker_target_group`): the app's listener rule forwards to
      it in the template; the scaler and the waker move the live rule.
    - The function is registered in the target group by a small custom resource once both exist: the
      load balancer may invoke the function only through this target group (permission with SourceArn), so
      the target group cannot name the function in its own `Targets` property (CloudFormation would see a
      cycle).
    - IAM: its app's service (DescribeServices/UpdateService/TagResource), listener rule (ModifyRule), the
      tasks of its cluster (ListTasks, DescribeTasks), DescribeRules and DescribeTargetHealth,
      RegisterScalableTarget for ECS, ssm:GetParameter on its parameter, and read access to the secret.

    Attributes:
        target_group: the Lambda target group (`app.waker_target_group`).
        function: the waker `LambdaFunction` (`function.function`, `function.role`, `function.log_group`).
        registration: the `cr.AwsCustomResource` that registers the function in `target_group`.
        app: the `ScaleToZeroApp`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        app: ScaleToZeroApp,
        parameter: ssm.IStringParameter,
        token_secret: secretsmanager.ISecret,
        reserved_concurrency: int = DEFAULT_WAKER_CONCURRENCY,
        log_retention_days: int = 30,
        frame_ancestors: Sequence[str] = (),
    ) -> None:
        """
        Args:
            app: the app (its waker target group is created before its service: the rule names it).
            parameter: the SSM parameter holding the app object (`AppRegistration.parameter`).
            token_secret: the secret that signs wake tokens (`WakeTokenSecret.secret`).
            reserved_concurrency: the function's reserved concurrency (1-100). Default 10.
            log_retention_days: retention of the waker's logs. Default 30.
            frame_ancestors: CSP sources allowed to frame the app's pages (the app's `frameAncestors`), so the
                holding page frames exactly as the app does. Default () = nobody may frame them.
        """
        super().__init__(scope, construct_id)
        if not 1 <= reserved_concurrency <= 100:
            raise ValueError(f"reserved_concurrency must be 1 to 100, got {reserved_concurrency}")
        self.app = app
        self.target_group = app.waker_target_group

        self.function = LambdaFunction(
            self,
            "Waker",
            handler=WAKER_HANDLER,
            description=f"ZeroDash waker of the {app.name} app: holding page, starts the service on a visit",
            environment={
                "ZERODASH_APP_PARAMETER": parameter.parameter_name,
                "ZERODASH_TOKEN_SECRET": token_secret.secret_arn,
                "FRAME_ANCESTORS": frame_ancestors_value(tuple(frame_ancestors)),
            },
            timeout=WAKER_TIMEOUT,
            memory_mib=256,
            log_retention_days=log_retention_days,
            reserved_concurrent_executions=reserved_concurrency,
        )
        role = self.function.role
        role.add_to_policy(iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameter.parameter_arn]))
        token_secret.grant_read(role)
        for statement in app.control_statements():
            role.add_to_policy(statement)
        role.add_to_policy(register_scalable_target_statement(self))
        # The holding page's live step (lambdas/waker/runtime.py Runtime.step) and the rule's current target.
        for statement in task_statements(self, app.cluster):
            role.add_to_policy(statement)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetHealth"],
                resources=["*"],
            )
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": f"{TASKS_REASON} {DESCRIBE_REASON} {SCALABLE_TARGET_REASON}",
                    "appliesTo": [
                        "Resource::*",
                        {"regex": "/^Resource::arn:[^:]+:ecs:[^:]+:[^:]+:task/.+/\\*$/"},
                        {"regex": "/^Resource::arn:[^:]+:application-autoscaling:[^:]+:[^:]+:scalable-target/\\*$/"},
                    ],
                }
            ],
            apply_to_children=True,
        )

        # The load balancer may invoke the waker only through its target group.
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
    registration = sdk_call_resource(
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
        statements=[
            iam.PolicyStatement(
                actions=["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                resources=[target_group.target_group_arn],
            )
        ],
        log_retention_days=log_retention_days,
    )
    return registration


class Scaler(Construct):
    """The scaler: one function for every app, run by an EventBridge schedule.

    - Function: lambdas/ `scaler.handler.handler`, 256 MiB, 50 s, reserved concurrency 1 (runs never
      overlap), no retries of failed runs (the next scheduled run is the retry), env ZERODASH_APPS_PATH
      (`apps_path`): it finds the apps there each run, so it depends on no app stack.
    - Schedule: every `rate_minutes` minutes, no retries.
    - IAM, scoped by pattern so that it never grows with the apps: ssm:GetParametersByPath on the path;
      DescribeServices/UpdateService/TagResource on the cluster's services; ListTasks (cluster condition)
      and DescribeTasks on the cluster's tasks (why a failed wake's tasks stopped); ModifyRule on the load
      balancer's listener rules (and cognito-idp:DescribeUserPoolClient on `login_pool_arn`, which writing a
      rule with a Cognito login needs); RegisterScalableTarget for ECS; DescribeRules, DescribeTargetHealth,
      DescribeScalableTargets and cloudwatch:GetMetricData on '*' (no resource-level permissions).

    Attributes:
        function: the scaler `LambdaFunction` (`function.function`, `function.role`, `function.log_group`).
        schedule: the `events.Rule`.
        apps_path: the SSM path it reads.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        load_balancer: elbv2.IApplicationLoadBalancer,
        apps_path: str,
        rate_minutes: int = 1,
        log_retention_days: int = 30,
        login_pool_arn: str | None = None,
    ) -> None:
        """
        Args:
            login_pool_arn: the platform's Cognito user pool when apps log in with it (see ScaleToZeroApp).
            cluster: the cluster every app's service runs in.
            load_balancer: the load balancer every app's listener rule is on.
            apps_path: the registry's SSM path, "/zerodash/<stackPrefix>/apps/" (lambdas/common/registry.py).
            rate_minutes: minutes between runs (1-60). Default 1.
            log_retention_days: retention of the scaler's logs. Default 30.
        """
        super().__init__(scope, construct_id)
        if not 1 <= rate_minutes <= 60:
            raise ValueError(f"rate_minutes must be 1 to 60, got {rate_minutes}")
        if not (apps_path.startswith("/") and apps_path.endswith("/")):
            raise ValueError(f'apps_path must start and end with "/", got {apps_path!r}')
        stack = Stack.of(self)
        self.apps_path = apps_path

        self.function = LambdaFunction(
            self,
            "Scaler",
            handler=SCALER_HANDLER,
            description="ZeroDash scaler: sleeps idle apps, finishes wakes, reconciles listener rules",
            environment={"ZERODASH_APPS_PATH": apps_path},
            timeout=SCALER_TIMEOUT,
            memory_mib=256,
            log_retention_days=log_retention_days,
            reserved_concurrent_executions=1,
            retry_attempts=0,
        )
        role = self.function.role

        def arn(service: str, resource: str, resource_name: str) -> str:
            return stack.format_arn(
                service=service,
                resource=resource,
                resource_name=resource_name,
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )

        # GetParametersByPath is authorized on the path itself; "/*" also covers deeper levels.
        path = apps_path.strip("/")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ssm:GetParametersByPath"],
                resources=[arn("ssm", "parameter", path), arn("ssm", "parameter", f"{path}/*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:DescribeServices", "ecs:UpdateService", "ecs:TagResource"],
                resources=[arn("ecs", "service", f"{cluster.cluster_name}/*")],
            )
        )
        for statement in task_statements(self, cluster):
            role.add_to_policy(statement)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["elasticloadbalancing:ModifyRule"],
                resources=[arn("elasticloadbalancing", "listener-rule", f"{load_balancer.load_balancer_full_name}/*")],
            )
        )
        for statement in login_pool_statements(login_pool_arn):
            role.add_to_policy(statement)
        role.add_to_policy(register_scalable_target_statement(self))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetHealth",
                    "application-autoscaling:DescribeScalableTargets",
                    "cloudwatch:GetMetricData",
                ],
                resources=["*"],
            )
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "The scaler finds its apps at run time, so its permissions are scoped by pattern and "
                    "never grow with the apps: the cluster's services (ecs:DescribeServices/UpdateService/"
                    "TagResource), the load balancer's listener rules (elasticloadbalancing:ModifyRule) and the "
                    "parameters under the apps' SSM path (ssm:GetParametersByPath). cloudwatch:GetMetricData "
                    f"supports no resource-level permissions: AWS requires Resource '*'. {TASKS_REASON} "
                    f"{DESCRIBE_REASON} {SCALABLE_TARGET_REASON}",
                    "appliesTo": [
                        "Resource::*",
                        {"regex": "/^Resource::arn:[^:]+:ecs:[^:]+:[^:]+:(service|task)/.+/\\*$/"},
                        {"regex": "/^Resource::arn:[^:]+:elasticloadbalancing:[^:]+:[^:]+:listener-rule/.+/\\*$/"},
                        {"regex": "/^Resource::arn:[^:]+:ssm:[^:]+:[^:]+:parameter/zerodash/.+/apps/\\*$/"},
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
