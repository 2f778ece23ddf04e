"""The scaler of every app: its own stack, deployed after the app stacks and referring to them (never back)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constructs.scale_to_zero import Scaler, ScaleToZeroApp


class ScalerStack(Stack):
    """One `Scaler` for all apps that scale to zero.

    Attributes:
        scaler: the `Scaler` (`scaler.function`, `scaler.schedule`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        apps: Sequence[ScaleToZeroApp],
        rate_minutes: int = 1,
        log_retention_days: int = 30,
        **kwargs: Any,
    ) -> None:
        """`kwargs` are `Stack` options (env, description, ...)."""
        super().__init__(scope, construct_id, **kwargs)
        self.scaler = Scaler(
            self, "Scaler", apps=apps, rate_minutes=rate_minutes, log_retention_days=log_retention_days
        )

        # The operator CLI (zerodash/) finds every app through this function's ZERODASH_APPS.
        CfnOutput(
            self,
            "ScalerFunctionName",
            value=self.scaler.function.function.function_name,
            description="The scaler function; its ZERODASH_APPS environment lists every app",
        )
