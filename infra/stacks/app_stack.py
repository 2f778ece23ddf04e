"""One Dash app, with its own lifecycle: deployed, updated and removed independently of the others."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import AppConfig
from infra.constructs.dash_service import DashService
from infra.constructs.monitoring import AppMonitoring
from infra.constructs.network import Network
from infra.constructs.platform import Platform
from infra.constructs.scale_to_zero import AppWaker, ScaleToZeroApp


class AppStack(Stack):
    """A `DashService` for one configured app, wired to the shared platform and the stateful resources,
    plus its `AppWaker` when the app scales to zero.

    Attributes:
        dash: the `DashService` (`dash.service`, `dash.target_group`, `dash.listener_rule`, ...).
        waker: the `AppWaker`, or None with `scale_to_zero=False`.
        scale_to_zero_app: the app as the scaler sees it (`waker.app`), or None with `scale_to_zero=False`.
        monitoring: the `AppMonitoring` (alarms, and the dashboard unless `dashboard=False`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        app: AppConfig,
        image_tag: str,
        repository: ecr.IRepository,
        bucket: s3.IBucket,
        network: Network,
        platform: Platform,
        log_retention_days: int = 30,
        scale_to_zero: bool = True,
        dashboard: bool = True,
        alarm_topic: sns.ITopic | None = None,
        **kwargs: Any,
    ) -> None:
        """`scale_to_zero` adds the waker (the scaler lives in its own stack); `dashboard` the CloudWatch
        dashboard; alarms go to `alarm_topic` when given; `kwargs` are `Stack` options."""
        super().__init__(scope, construct_id, **kwargs)
        # Refer to the repository by name in this stack: its URI is then built from this stack's own
        # account/region instead of by splitting the cross-stack ARN (which cfn-lint rejects for
        # Fn::GetStackOutput references), and pull rights stay scoped to that one repository.
        local_repository = ecr.Repository.from_repository_name(self, "Repository", repository.repository_name)
        self.dash = DashService(
            self,
            "Dash",
            cluster=platform.cluster,
            listener=platform.listener,
            load_balancer_security_group=platform.load_balancer_security_group,
            load_balancer_full_name=platform.load_balancer.load_balancer_full_name,
            image=ecs.ContainerImage.from_ecr_repository(local_repository, image_tag),
            bucket=bucket,
            data_key=app.data_key,
            priority=app.priority,
            path_pattern=app.path,
            title=app.title,
            cpu=app.cpu,
            memory_mib=app.memory_mib,
            stickiness=Duration.minutes(app.stickiness_minutes),
            health_check_grace_period=Duration.seconds(app.health_check_grace_seconds),
            log_retention_days=log_retention_days,
            task_subnets=network.task_subnets,
            assign_public_ip=network.tasks_are_public,
            min_tasks=app.scaling.min_tasks,
            max_tasks=app.scaling.max_tasks,
            requests_per_target=app.scaling.target_requests_per_target,
        )

        self.waker: AppWaker | None = None
        self.scale_to_zero_app: ScaleToZeroApp | None = None
        if scale_to_zero:
            self.waker = AppWaker(
                self,
                "Waker",
                name=app.name,
                title=app.title,
                cluster=platform.cluster,
                service=self.dash.service,
                listener_rule=self.dash.listener_rule,
                service_target_group=self.dash.target_group,
                scaling=app.scaling,
                log_retention_days=log_retention_days,
            )
            self.scale_to_zero_app = self.waker.app

        self.monitoring = AppMonitoring(
            self,
            "Monitoring",
            app_name=app.name,
            load_balancer_full_name=platform.load_balancer.load_balancer_full_name,
            service_target_group=self.dash.target_group,
            cluster_name=platform.cluster.cluster_name,
            service_name=self.dash.service.service_name,
            waker_target_group=self.waker.target_group if self.waker else None,
            waker_function=self.waker.function.function if self.waker else None,
            dashboard=dashboard,
            alarm_topic=alarm_topic,
        )

        CfnOutput(
            self,
            "Url",
            value=f"http://{platform.load_balancer.load_balancer_dns_name}{app.url_prefix}",
            description=f"Where the {app.name} app is served",
        )
        CfnOutput(self, "ServiceName", value=self.dash.service.service_name, description="The ECS service")
