"""The scaler of every app: its own stack, deployed after the app stacks and referring to them (never back)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.monitoring import lambda_errors_alarm
from infra.constructs.scale_to_zero import Scaler, ScaleToZeroApp


class ScalerStack(Stack):
    """One `Scaler` for all apps that scale to zero.

    Attributes:
        scaler: the `Scaler` (`scaler.function`, `scaler.schedule`).
        errors_alarm: a `cw.Alarm` when runs fail in two consecutive periods (of 5 minutes, or of the rate if longer).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        apps: Sequence[ScaleToZeroApp],
        rate_minutes: int = 1,
        log_retention_days: int = 30,
        alarm_topic: sns.ITopic | None = None,
        **kwargs: Any,
    ) -> None:
        """Alarms go to `alarm_topic` when given; `kwargs` are `Stack` options (env, description, ...)."""
        super().__init__(scope, construct_id, **kwargs)
        self.scaler = Scaler(
            self, "Scaler", apps=apps, rate_minutes=rate_minutes, log_retention_days=log_retention_days
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

        # The operator CLI (zerodash/) finds every app through this function's ZERODASH_APPS.
        CfnOutput(
            self,
            "ScalerFunctionName",
            value=self.scaler.function.function.function_name,
            description="The scaler function; its ZERODASH_APPS environment lists every app",
        )
