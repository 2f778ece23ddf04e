"""One Dash app: a Fargate service behind its own target group and listener rule on the shared ALB."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from cdk_nag import NagSuppressions
from constructs import Construct

from infra.constructs.platform import APP_PORT
from infra.constructs.retention import retention_days

CONTAINER_NAME = "dash"
# The keeper rule's condition: 255.255.255.255 is the limited broadcast address, never a request's source.
NEVER_MATCHING_SOURCE = "255.255.255.255/32"
# Health check and deregistration: a wake waits for interval x healthy threshold after the app answers, and
# the timeout must stay below the interval.
HEALTH_CHECK_INTERVAL = Duration.seconds(5)
HEALTH_CHECK_TIMEOUT = Duration.seconds(4)
HEALTHY_THRESHOLD = 2
UNHEALTHY_THRESHOLD = 3
DEREGISTRATION_DELAY = Duration.seconds(30)


class DashService(Construct):
    """A Dash container on Fargate, reachable through the shared ALB at `path_pattern`.

    - Task: X86_64 Linux, `cpu`/`memory_mib`, logs to a log group kept `log_retention_days`.
      The container learns where its data is from BUCKET_NAME/DATA_KEY and how to present
      itself from APP_TITLE/URL_PREFIX. Its role may read only the one data object
      (s3:GetObject), and list the bucket only for that exact key (so a missing object is
      reported as 404 NoSuchKey rather than a misleading 403).
    - Target group: IP targets on port 8050, load-balancer cookie stickiness (Dash keeps
      per-user state in the browser, but a session stays on one task while it scales),
      fast health checks on `<prefix>health` (5 s interval, 4 s timeout, 2 healthy / 3 unhealthy,
      200 only) and a 30 s deregistration delay, to keep wakes and scale-in short.
    - Listener rule: `path_pattern` at `priority`, and only for the Host `load_balancer_dns_name`, so
      requests to the ALB's bare IP addresses (scanners) get the listener's 404 and never reach an app
      or wake it. Without a waker it forwards to the target group.
    - With `waker_target_group` (scale to zero) the rule forwards to the WAKER's target group in the
      template: a deploy never sends visitors to a group that may have no healthy target, and the
      scaler and the waker move the live rule between the two groups. A keeper rule on
      `keeper_listener` (same priority, source IP 255.255.255.255/32, which no request has) forwards to
      the service's target group, so the group stays in use and ELB health-checks woken tasks whatever
      the app's rule points at (see `Platform`).
    - Service: rolls back failed deployments (circuit breaker), keeps 100% healthy during
      deploys, and has NO desired count in the template: the scaler owns it, and CloudFormation
      leaves a live count alone when the property is absent.
    - Scalable target [min_tasks, max_tasks] with target tracking on ALBRequestCountPerTarget
      (`requests_per_target`). While an app sleeps the scaler sets the range to [0, 0]; CloudFormation
      only writes the range back when min/max change in the template, which wakes a sleeping app.
    - Security group: TCP 8050 only from the ALB's security group; egress HTTPS only (ECR,
      S3, CloudWatch Logs).

    The root filesystem stays writable: gunicorn needs a temporary directory; a tmpfs volume
    will allow `readonly_root_filesystem` later.

    The listener and the ALB's security group usually live in another stack. They are referred
    to by ARN/ID through local handles so that every security-group rule CDK derives from the
    attachment is created in this stack (dependencies point only from the app to the platform).

    Attributes:
        task_definition: the `ecs.FargateTaskDefinition`.
        container: its `ecs.ContainerDefinition`.
        log_group: the container's `logs.LogGroup`.
        security_group: the tasks' `ec2.SecurityGroup`.
        target_group: the service's `elbv2.ApplicationTargetGroup`.
        listener_rule: the app's `elbv2.ApplicationListenerRule` on the public listener.
        keeper_rule: the keeper `elbv2.ApplicationListenerRule`, or None without `waker_target_group`.
        service: the `ecs.FargateService`.
        scalable_target: the service's `appscaling.ScalableTarget` (desired count, [min_tasks, max_tasks]).
        scaling_policy: its target-tracking `appscaling.TargetTrackingScalingPolicy`.
        url_prefix: "/" or "/<segment>/": where the app is served.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        listener: elbv2.IApplicationListener,
        load_balancer_security_group: ec2.ISecurityGroup,
        load_balancer_full_name: str,
        load_balancer_dns_name: str,
        image: ecs.ContainerImage,
        bucket: s3.IBucket,
        data_key: str,
        priority: int,
        path_pattern: str = "/*",
        title: str = "Population by country",
        cpu: int = 512,
        memory_mib: int = 1024,
        stickiness: Duration | None = None,
        health_check_grace_period: Duration | None = None,
        log_retention_days: int = 30,
        task_subnets: ec2.SubnetSelection | None = None,
        assign_public_ip: bool = False,
        min_tasks: int = 1,
        max_tasks: int = 2,
        requests_per_target: int = 100,
        waker_target_group: elbv2.IApplicationTargetGroup | None = None,
        keeper_listener: elbv2.IApplicationListener | None = None,
    ) -> None:
        """
        Args:
            cluster: the ECS cluster (its VPC is used for the target group and security group).
            listener: the ALB listener to add the rule to.
            load_balancer_security_group: the ALB's security group, the only source admitted on port 8050.
            load_balancer_full_name: the ALB's "app/<name>/<id>" (target tracking's resource label).
            load_balancer_dns_name: the ALB's DNS name: the only Host the listener rule serves.
            image: the Dash container image, e.g. `ecs.ContainerImage.from_ecr_repository(repository, tag)`
                (execution-role pull permissions are granted by the image).
            bucket: the data bucket.
            data_key: the object the app reads (e.g. "gapminder.csv"); the only object it may read.
            priority: the listener rule priority (1-50000, unique on the listener; lower is evaluated first).
            path_pattern: "/*" or "/<segment>/*". Default "/*".
            title: the page title (APP_TITLE). Default "Population by country".
            cpu: Fargate cpu units. Default 512.
            memory_mib: Fargate memory in MiB. Default 1024.
            stickiness: load-balancer cookie duration. Default 10 minutes.
            health_check_grace_period: time ECS ignores failing ALB health checks after a task starts.
                Default 60 seconds.
            log_retention_days: container log retention. Default 30.
            task_subnets: where tasks run. Default: the VPC's private subnets (CDK's default).
            assign_public_ip: give tasks a public IP; needed in public subnets without NAT. Default False.
            min_tasks: the autoscaling minimum (>= 1; the scaler alone takes an app to 0). Default 1.
            max_tasks: the autoscaling maximum (>= min_tasks). Default 2.
            requests_per_target: target tracking keeps ALBRequestCountPerTarget (requests per task per
                minute) near this. Default 100.
            waker_target_group: the waker's target group when the app scales to zero: the listener rule
                forwards to it in the template. Default None: always on, the rule forwards to the service.
            keeper_listener: the platform's unreachable keeper listener, where the keeper rule goes; required
                with `waker_target_group`. Default None.
        """
        super().__init__(scope, construct_id)
        if not 1 <= min_tasks <= max_tasks:
            raise ValueError(f"need 1 <= min_tasks <= max_tasks, got {min_tasks} and {max_tasks}")
        if not (path_pattern.startswith("/") and path_pattern.endswith("/*")):
            raise ValueError(f'path_pattern must be "/*" or "/<prefix>/*", got {path_pattern!r}')
        if waker_target_group is not None and keeper_listener is None:
            raise ValueError("a waker_target_group needs the keeper_listener, or the service's group falls out of use")
        self.url_prefix = path_pattern[:-1]
        vpc = cluster.vpc

        self.log_group = logs.LogGroup(
            self, "Logs", retention=retention_days(log_retention_days), removal_policy=RemovalPolicy.DESTROY
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=cpu,
            memory_limit_mib=memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.container = self.task_definition.add_container(
            "Dash",
            container_name=CONTAINER_NAME,
            image=image,
            port_mappings=[ecs.PortMapping(container_port=APP_PORT, protocol=ecs.Protocol.TCP)],
            logging=ecs.LogDrivers.aws_logs(stream_prefix=CONTAINER_NAME, log_group=self.log_group),
            environment={
                "BUCKET_NAME": bucket.bucket_name,
                "DATA_KEY": data_key,
                "APP_TITLE": title,
                "URL_PREFIX": self.url_prefix,
            },
        )
        self.task_definition.add_to_task_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(data_key)])
        )
        self.task_definition.add_to_task_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": {"s3:prefix": data_key}},
            )
        )
        NagSuppressions.add_resource_suppressions(
            self.task_definition,
            [
                {
                    "id": "AwsSolutions-ECS2",
                    "reason": "The environment holds only non-secret settings (bucket name, object key, title, "
                    "URL prefix); there are no secrets to move to Secrets Manager.",
                }
            ],
        )
        NagSuppressions.add_resource_suppressions(
            self.task_definition.obtain_execution_role(),
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "ecr:GetAuthorizationToken has no resource-level permissions: AWS requires Resource "
                    "'*'. Image pull itself is scoped to the one repository.",
                    "appliesTo": ["Resource::*"],
                }
            ],
            apply_to_children=True,
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="ZeroDash app tasks: port 8050 from the ALB only; HTTPS out",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to ECR, S3 and CloudWatch Logs"
        )

        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            vpc=vpc,
            port=APP_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            stickiness_cookie_duration=stickiness or Duration.minutes(10),
            deregistration_delay=DEREGISTRATION_DELAY,
            health_check=elbv2.HealthCheck(
                path=f"{self.url_prefix}health",
                interval=HEALTH_CHECK_INTERVAL,
                timeout=HEALTH_CHECK_TIMEOUT,
                healthy_threshold_count=HEALTHY_THRESHOLD,
                unhealthy_threshold_count=UNHEALTHY_THRESHOLD,
                healthy_http_codes="200",
            ),
        )

        # Local, immutable handles: the rules CDK derives from attaching the service to the listener
        # (ALB SG -> task SG on 8050) then live in this stack instead of the listener's stack. Both listeners
        # share one handle of the security group, so that rule is derived once.
        local_security_group = ec2.SecurityGroup.from_security_group_id(
            self, "LoadBalancerSecurityGroup", load_balancer_security_group.security_group_id, mutable=False
        )
        local_listener = elbv2.ApplicationListener.from_application_listener_attributes(
            self, "Listener", listener_arn=listener.listener_arn, security_group=local_security_group
        )
        self.listener_rule = elbv2.ApplicationListenerRule(
            self,
            "ListenerRule",
            listener=local_listener,
            priority=priority,
            conditions=[
                elbv2.ListenerCondition.path_patterns([path_pattern]),
                elbv2.ListenerCondition.host_headers([load_balancer_dns_name]),
            ],
            action=elbv2.ListenerAction.forward([waker_target_group or self.target_group]),
        )
        self.keeper_rule: elbv2.ApplicationListenerRule | None = None
        if waker_target_group is not None and keeper_listener is not None:
            local_keeper_listener = elbv2.ApplicationListener.from_application_listener_attributes(
                self, "KeeperListener", listener_arn=keeper_listener.listener_arn, security_group=local_security_group
            )
            self.keeper_rule = elbv2.ApplicationListenerRule(
                self,
                "KeeperRule",
                listener=local_keeper_listener,
                priority=priority,
                conditions=[elbv2.ListenerCondition.source_ips([NEVER_MATCHING_SOURCE])],
                action=elbv2.ListenerAction.forward([self.target_group]),
            )
        # The rule that keeps the service's group attached to the load balancer in the template.
        service_rule = self.keeper_rule or self.listener_rule

        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=cluster,
            task_definition=self.task_definition,
            security_groups=[self.security_group],
            vpc_subnets=task_subnets,
            assign_public_ip=assign_public_ip,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            health_check_grace_period=health_check_grace_period or Duration.seconds(60),
            min_healthy_percent=100,
            max_healthy_percent=200,
        )
        self.service.attach_to_application_target_group(self.target_group)

        # Target tracking on ALBRequestCountPerTarget. Built from the scalable target directly rather than with
        # `service.auto_scale_task_count().scale_on_request_count()`, which derives the load balancer's name by
        # splitting the (cross-stack) listener ARN; here the platform's LoadBalancerFullName is used as is.
        self.scalable_target = appscaling.ScalableTarget(
            self,
            "TaskCount",
            service_namespace=appscaling.ServiceNamespace.ECS,
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster.cluster_name}/{self.service.service_name}",
            min_capacity=min_tasks,
            max_capacity=max_tasks,
            # The AWS-managed service-linked role ECS service autoscaling always uses (as CDK's own ECS does).
            role=iam.Role.from_role_arn(
                self,
                "AutoScalingRole",
                Stack.of(self).format_arn(
                    service="iam",
                    region="",
                    resource="role/aws-service-role/ecs.application-autoscaling.amazonaws.com",
                    resource_name="AWSServiceRoleForApplicationAutoScaling_ECSService",
                ),
            ),
        )
        self.scaling_policy = self.scalable_target.scale_to_track_metric(
            "RequestsPerTask",
            target_value=requests_per_target,
            predefined_metric=appscaling.PredefinedMetric.ALB_REQUEST_COUNT_PER_TARGET,
            resource_label=f"{load_balancer_full_name}/{self.target_group.target_group_full_name}",
        )
        # ALBRequestCountPerTarget needs the target group attached to the load balancer, i.e. a rule naming it.
        self.scaling_policy.node.add_dependency(service_rule)
