"""The shared, stateless platform: network, ECS cluster, load balancer, and the wake token secret."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.monitoring import AlarmTopic
from infra.constructs.network import Network
from infra.constructs.platform import APP_PORT, Platform
from infra.constructs.scale_to_zero import WakeTokenSecret


class PlatformStack(Stack):
    """VPC, ECS cluster and internet-facing ALB shared by all app stacks, and with scale to zero the secret
    that signs every waker's wake tokens.

    Attributes:
        network: the `Network` (`network.vpc`, `network.task_subnets`, `network.tasks_are_public`).
        platform: the `Platform` (`cluster`, `load_balancer`, `load_balancer_security_group`, `listener`,
            `keeper_listener`).
        wake_token: the `WakeTokenSecret`, or None with `scale_to_zero=False`.
        token_secret: its `secretsmanager.Secret` (`wake_token.secret`), or None.
        alarms: the `AlarmTopic` every alarm is sent to, or None without `alarm_email`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        nat_gateways: int = 0,
        log_retention_days: int = 30,
        access_log_bucket: s3.IBucket | None = None,
        block_bots: bool = True,
        app_ports: Sequence[int] = (APP_PORT,),
        scale_to_zero: bool = True,
        alarm_email: str | None = None,
        **kwargs: Any,
    ) -> None:
        """`app_ports` are the apps' container ports the ALB may send to (default 8050); `scale_to_zero` adds
        the wake token secret; `alarm_email` the alarm topic mailing that address;
        `kwargs` are `Stack` options."""
        super().__init__(scope, construct_id, **kwargs)
        self.network = Network(self, "Network", nat_gateways=nat_gateways, flow_log_retention_days=log_retention_days)
        self.platform = Platform(
            self,
            "Platform",
            vpc=self.network.vpc,
            access_log_bucket=access_log_bucket,
            block_bots=block_bots,
            app_ports=app_ports,
        )

        self.wake_token = WakeTokenSecret(self, "WakeToken") if scale_to_zero else None
        self.token_secret = self.wake_token.secret if self.wake_token else None

        self.alarms = AlarmTopic(self, "Alarms", email=alarm_email) if alarm_email else None

        CfnOutput(self, "ClusterName", value=self.platform.cluster.cluster_name, description="The ECS cluster")
        CfnOutput(
            self,
            "LoadBalancerDnsName",
            value=self.platform.load_balancer.load_balancer_dns_name,
            description="The ALB every app is served from",
        )
