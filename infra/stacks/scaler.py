"""The scaler of every app: its own stack, referring only to the platform; it finds the apps in SSM at run time."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.monitoring import lambda_errors_alarm
from infra.constructs.scale_to_zero import Scaler


class ScalerStack(Stack):
    """One `Scaler` for all apps that scale to zero: every app stack registers itself under `apps_path`, so
    this stack depends on no app stack and does not change when apps come and go.

    Attributes:
        scaler: the `Scaler` (`scaler.function`, `scaler.schedule`).
        errors_alarm: a `cw.Alarm` when runs fail in two consecutive periods (of 5 minutes, or of the rate if longer).
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
        alarm_topic: sns.ITopic | None = None,
        login_pool_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        """`cluster` and `load_balancer` are the platform's (they scope the scaler's permissions); `apps_path` is
        the registry's SSM path; alarms go to `alarm_topic` when given; `login_pool_arn` is the platform's Cognito
        user pool when apps log in with it; `kwargs` are `Stack` options."""
        super().__init__(scope, construct_id, **kwargs)
        self.scaler = Scaler(
            self,
            "Scaler",
            cluster=cluster,
            load_balancer=load_balancer,
            apps_path=apps_path,
            rate_minutes=rate_minutes,
            log_retention_days=log_retention_days,
            login_pool_arn=login_pool_arn,
        )
        # The scaler fails a run when any app failed (lambdas/scaler/handler.py); one failed run may be a passing
        # throttle, two in a row are not.
        self.errors_alarm = lambda_errors_alarm(
            self,
            "ScalerErrors",
            function=self.scaler.function.function,
            what="The ZeroDash scaler",
            period=Duration.minutes(max(5, rate_minutes)),
            evaluation_periods=2,
            topic=alarm_topic,
        )

        CfnOutput(
            self,
            "ScalerFunctionName",
            value=self.scaler.function.function.function_name,
            description="The scaler function",
        )
        # The operator CLI (zerodash/) reads the apps where the scaler does.
        CfnOutput(
            self,
            "AppsPath",
            value=apps_path,
            description="The SSM path of the app objects (one parameter per app, written by its app stack)",
        )
