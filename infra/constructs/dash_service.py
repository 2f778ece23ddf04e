"""One app: a Fargate service behind its own target group and listener rule on the shared ALB."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

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

from common.framing import frame_ancestors_value
from infra.constructs.login import Login
from infra.constructs.platform import APP_PORT
from infra.constructs.retention import retention_days
from zerodash.access import is_frame_source
from zerodash.config import ENV_NAME_PATTERN, PLATFORM_ENVIRONMENT, READ_PREFIX_PATTERN

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
# The root filesystem is read-only; the runtime (and most servers) write temporary files here. Fargate has no
# tmpfs, so it is an empty task volume (on the task's ephemeral storage).
TMP_VOLUME = "tmp"
TMP_PATH = "/tmp"
DEFAULT_LOG_LEVEL = "INFO"
# What ZeroDash sets in every container (zerodash.config.PLATFORM_ENVIRONMENT); an app's own `environment` and
# `secrets` may not redefine them. LOG_LEVEL is only a default, which the app's environment may override.
RESERVED_VARIABLES = tuple(PLATFORM_ENVIRONMENT)


class DashService(Construct):
    """An app's container on Fargate, reachable through the shared ALB at `path_pattern`.

    - Task: X86_64 Linux, `cpu`/`memory_mib`, logs to a log group kept `log_retention_days`. The
      container runs `image` (with `command` instead of the image's CMD when given) as the image's
      user, with a READ-ONLY root filesystem and an empty task volume at /tmp (the runtime writes only
      /tmp and /dev/shm).
    - Environment (non-secret settings only): PORT, URL_PREFIX, APP_NAME, APP_TITLE, APP_MODULE (with
      `app_module`, for apps built around the ZeroDash runtime), BUCKET_NAME, DATA_PREFIX, HEALTH_PATH,
      LOG_LEVEL, FRAME_ANCESTORS (the CSP frame-ancestors sources allowed to frame the app, space-separated;
      'none' without `frame_ancestors`), LOGIN_REQUIRED=1 (with `login`), then the app's own `environment`.
      `secrets` are ECS secrets (Secrets Manager or SSM Parameter Store) that ECS resolves when the task
      starts: the execution role may read exactly those, and their values never appear in the template.
    - Task role: may read the objects under `data_prefix` and under each of `read_prefixes` in `bucket`
      (s3:GetObject), and list the bucket only under those prefixes (s3:ListBucket with an s3:prefix
      condition, so a missing object is reported as 404 NoSuchKey rather than a misleading 403);
      nothing else.
    - Target group: IP targets on `port`, load-balancer cookie stickiness (Dash keeps per-user state in
      the browser, but a session stays on one task while it scales), fast health checks on
      `health_check_path` (5 s interval, 4 s timeout, 2 healthy / 3 unhealthy, 200 only) and a 30 s
      deregistration delay, to keep wakes and scale-in short.
    - Listener rule: `path_pattern` at `priority`, and only for the Host `host` (the ALB's DNS name, or the
      app's domain), so requests to the ALB's bare IP addresses (scanners) get the listener's 404 and never
      reach an app or wake it. Without a waker it forwards to the target group. With `login` its actions
      are [authenticate (order 1), forward (order 2)]: the ALB signs the visitor in before anything reaches
      the app, or its waker.
    - With `waker_target_group` (scale to zero) the rule forwards to the WAKER's target group in the
      template: a deploy never sends visitors to a group that may have no healthy target, and the
      scaler and the waker move the live rule between the two groups. A keeper rule on
      `keeper_listener` (same priority, source IP 255.255.255.255/32, which no request has) forwards to
      the service's target group, so the group stays in use and ELB health-checks woken tasks whatever
      the app's rule points at (see `Platform`). The keeper rule needs no login: no request ever matches it.
    - Service: rolls back failed deployments (circuit breaker), keeps 100% healthy during
      deploys, and has NO desired count in the template: the scaler owns it, and CloudFormation
      leaves a live count alone when the property is absent.
    - Scalable target [min_tasks, max_tasks] with target tracking on ALBRequestCountPerTarget
      (`requests_per_target`). While an app sleeps the scaler sets the range to [0, 0]; CloudFormation
      only writes the range back when min/max change in the template, which wakes a sleeping app.
    - Security group: TCP `port` only from the ALB's security group; egress HTTPS only (ECR, S3,
      Secrets Manager, SSM, CloudWatch Logs, and registries of images pulled from elsewhere).

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
        health_check_path: the path the target group checks.
        port: the container port.
        environment: the container's plain environment, as set.
        authenticated: True when the app's rule authenticates visitors (`login`).
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
        host: str,
        image: ecs.ContainerImage,
        bucket: s3.IBucket,
        app_name: str,
        data_prefix: str | None = None,
        read_prefixes: Sequence[str] = (),
        priority: int,
        path_pattern: str = "/*",
        title: str = "Population by country",
        port: int = APP_PORT,
        health_check_path: str | None = None,
        command: Sequence[str] | None = None,
        app_module: str | None = None,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        log_level: str = DEFAULT_LOG_LEVEL,
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
        login: Login | None = None,
        frame_ancestors: Sequence[str] = (),
    ) -> None:
        """
        Args:
            cluster: the ECS cluster (its VPC is used for the target group and security group).
            listener: the ALB listener to add the rule to.
            load_balancer_security_group: the ALB's security group, the only source admitted on `port`.
            load_balancer_full_name: the ALB's "app/<name>/<id>" (target tracking's resource label).
            host: the only Host the listener rule serves: the ALB's DNS name, or the app's domain name.
            image: the container image, e.g. `ecs.ContainerImage.from_ecr_repository(repository, tag)`
                (execution-role pull permissions are granted by the image).
            bucket: the data bucket (BUCKET_NAME).
            app_name: the app's name (APP_NAME).
            data_prefix: the app's own key prefix in `bucket` (DATA_PREFIX), ending with "/". Default
                "<app_name>/".
            read_prefixes: further key prefixes in `bucket` the app may read (e.g. ["shared/"]), each
                ending with "/". Default none.
            priority: the listener rule priority (1-50000, unique on the listener; lower is evaluated first).
            path_pattern: "/*" or "/<segment>/*". Default "/*".
            title: the app's title (APP_TITLE). Default "Population by country".
            port: the port the container listens on (PORT; target group port and the only port the tasks
                admit). Default 8050.
            health_check_path: the path the target group checks (HEALTH_PATH). Default the URL prefix +
                "health" ("/health", "/sales/health").
            command: replaces the image's CMD. Default None: the image's CMD.
            app_module: APP_MODULE, "module[:attribute]", for images built around the ZeroDash runtime.
                Default None: not set.
            environment: the app's own plain (non-secret) environment variables, added after ZeroDash's;
                none may be one of `RESERVED_VARIABLES` (LOG_LEVEL may be). Default none.
            secrets: ECS secrets by variable name, e.g. `ecs.Secret.from_ssm_parameter(...)`; the execution
                role is granted read on exactly these. Default none.
            log_level: LOG_LEVEL unless `environment` sets it. Default "INFO".
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
            login: authenticate visitors before the rule forwards (an `OidcLogin` or `CognitoLogin`; the
                listener must be HTTPS). Default None: anyone may open the app.
            frame_ancestors: CSP sources allowed to frame the app ("'self'", "https://host[:port]"), passed to
                the container as FRAME_ANCESTORS. Default none: nobody may frame it.
        """
        super().__init__(scope, construct_id)
        if not 1 <= min_tasks <= max_tasks:
            raise ValueError(f"need 1 <= min_tasks <= max_tasks, got {min_tasks} and {max_tasks}")
        if not (path_pattern.startswith("/") and path_pattern.endswith("/*")):
            raise ValueError(f'path_pattern must be "/*" or "/<prefix>/*", got {path_pattern!r}')
        if waker_target_group is not None and keeper_listener is None:
            raise ValueError("a waker_target_group needs the keeper_listener, or the service's group falls out of use")
        if not 1 <= port <= 65535:
            raise ValueError(f"port must be in 1..65535, got {port}")
        for source in frame_ancestors:
            if not is_frame_source(source):
                raise ValueError(f"a frame ancestor is \"'self'\" or an https origin, got {source!r}")
        self.url_prefix = path_pattern[:-1]
        self.authenticated = login is not None
        self.port = port
        self.health_check_path = health_check_path or f"{self.url_prefix}health"
        if not self.health_check_path.startswith("/"):
            raise ValueError(f'health_check_path must start with "/", got {self.health_check_path!r}')
        data_prefix = data_prefix or f"{app_name}/"
        prefixes = list(dict.fromkeys([data_prefix, *read_prefixes]))
        for prefix in prefixes:
            if not READ_PREFIX_PATTERN.fullmatch(prefix):
                raise ValueError(f'a data prefix must be a relative S3 key prefix ending with "/", got {prefix!r}')
        environment = dict(environment or {})
        secrets = dict(secrets or {})
        for name in [*environment, *secrets]:
            if name in RESERVED_VARIABLES or not ENV_NAME_PATTERN.fullmatch(name):
                raise ValueError(f"{name!r} cannot be an app's variable: ZeroDash sets {', '.join(RESERVED_VARIABLES)}")
        both = sorted(set(environment) & set(secrets))
        if both:
            raise ValueError(f"{both[0]!r} is both in environment and in secrets")
        vpc = cluster.vpc

        self.environment: dict[str, str] = {
            "PORT": str(port),
            "URL_PREFIX": self.url_prefix,
            "APP_NAME": app_name,
            "APP_TITLE": title,
            **({"APP_MODULE": app_module} if app_module else {}),
            "BUCKET_NAME": bucket.bucket_name,
            "DATA_PREFIX": data_prefix,
            "HEALTH_PATH": self.health_check_path,
            **({} if "LOG_LEVEL" in secrets else {"LOG_LEVEL": log_level}),
            "FRAME_ANCESTORS": frame_ancestors_value(tuple(frame_ancestors)),
            **({"LOGIN_REQUIRED": "1"} if login else {}),
            **environment,
        }

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
            volumes=[ecs.Volume(name=TMP_VOLUME)],
        )
        self.container = self.task_definition.add_container(
            "Dash",
            container_name=CONTAINER_NAME,
            image=image,
            command=list(command) if command else None,
            port_mappings=[ecs.PortMapping(container_port=port, protocol=ecs.Protocol.TCP)],
            logging=ecs.LogDrivers.aws_logs(stream_prefix=CONTAINER_NAME, log_group=self.log_group),
            readonly_root_filesystem=True,
            environment=self.environment,
            secrets=secrets or None,
        )
        self.container.add_mount_points(
            ecs.MountPoint(container_path=TMP_PATH, source_volume=TMP_VOLUME, read_only=False)
        )
        self.task_definition.add_to_task_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes]
            )
        )
        self.task_definition.add_to_task_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
            )
        )
        NagSuppressions.add_resource_suppressions(
            self.task_definition.task_role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "The app reads the objects under its own data prefix (where its data/ directory is "
                    "uploaded) and under the prefixes its readPrefixes name, and may list only those: a prefix "
                    "is a set of keys, so the resource ends in '*'. Nothing else in the bucket is readable.",
                    "appliesTo": [
                        {"regex": f"/^Resource::.+\\/{_js_regex_escape(prefix)}\\*$/"} for prefix in prefixes
                    ],
                }
            ],
            apply_to_children=True,
        )
        NagSuppressions.add_resource_suppressions(
            self.task_definition,
            [
                {
                    "id": "AwsSolutions-ECS2",
                    "reason": "The plain environment holds only non-secret settings (port, URL prefix, app name, "
                    "title, module, bucket name, data prefix, health path, log level, and the app's own "
                    "non-secret variables); the app's secrets are ECS secrets from Secrets Manager or SSM.",
                }
            ],
        )
        NagSuppressions.add_resource_suppressions(
            self.task_definition.obtain_execution_role(),
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "ecr:GetAuthorizationToken has no resource-level permissions: AWS requires Resource "
                    "'*'. Image pull itself is scoped to the app's one repository.",
                    "appliesTo": ["Resource::*"],
                }
            ],
            apply_to_children=True,
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"ZeroDash app tasks: port {port} from the ALB only; HTTPS out",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to ECR, S3, Secrets Manager, SSM and CloudWatch Logs"
        )

        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            vpc=vpc,
            port=port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            stickiness_cookie_duration=stickiness or Duration.minutes(10),
            deregistration_delay=DEREGISTRATION_DELAY,
            health_check=elbv2.HealthCheck(
                path=self.health_check_path,
                interval=HEALTH_CHECK_INTERVAL,
                timeout=HEALTH_CHECK_TIMEOUT,
                healthy_threshold_count=HEALTHY_THRESHOLD,
                unhealthy_threshold_count=UNHEALTHY_THRESHOLD,
                healthy_http_codes="200",
            ),
        )

        # Local, immutable handles: the rules CDK derives from attaching the service to the listener
        # (ALB SG -> task SG on `port`) then live in this stack instead of the listener's stack. Both listeners
        # share one handle of the security group, so that rule is derived once.
        local_security_group = ec2.SecurityGroup.from_security_group_id(
            self, "LoadBalancerSecurityGroup", load_balancer_security_group.security_group_id, mutable=False
        )
        local_listener = elbv2.ApplicationListener.from_application_listener_attributes(
            self, "Listener", listener_arn=listener.listener_arn, security_group=local_security_group
        )
        # Asleep or awake, visitors pass the login first: the waker never sees an anonymous request.
        forward = elbv2.ListenerAction.forward([waker_target_group or self.target_group])
        self.listener_rule = elbv2.ApplicationListenerRule(
            self,
            "ListenerRule",
            listener=local_listener,
            priority=priority,
            conditions=[
                elbv2.ListenerCondition.path_patterns([path_pattern]),
                elbv2.ListenerCondition.host_headers([host]),
            ],
            action=login.authenticate(forward) if login else forward,
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


def _js_regex_escape(text: str) -> str:
    """`text` as a literal inside a JavaScript regular expression literal (cdk-nag's appliesTo "regex")."""
    return re.sub(r"[\\^$.*+?()[\]{}|/-]", lambda match: "\\" + match.group(0), text)
