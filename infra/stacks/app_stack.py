"""One app, with its own lifecycle: deployed, updated and removed independently of the others."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import CfnOutput, Duration, SecretValue, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config import DEFAULT_WAKER_CONCURRENCY, AppConfig
from infra.constructs.dash_service import DashService
from infra.constructs.login import CognitoLogin, Login, LoginPool, OidcLogin
from infra.constructs.monitoring import AppMonitoring
from infra.constructs.network import Network
from infra.constructs.platform import Platform
from infra.constructs.scale_to_zero import AppRegistration, AppWaker, ScaleToZeroApp, waker_target_group

if TYPE_CHECKING:
    from zerodash.config import SecretRef


class AppStack(Stack):
    """A `DashService` for one configured app, wired to the shared platform and the stateful resources;
    when the app scales to zero, also its waker target group, its entry in the SSM registry
    (`AppRegistration`) and its `AppWaker`.

    The image: a built app's (kind "runtime" or "dockerfile") is `repository` (its own, from the Stateful
    stack) at `app.image_tag`; an image app's is its ECR repository of this account by name at its tag or
    digest, or, with a registry host, pulled from that registry. The app's `secrets` become ECS secrets
    (`container_secret`).

    The app's listener rule matches `host` (its own host name or the deployment's domain on the "domain" way in;
    the ALB's DNS name otherwise). With the app's `auth` it authenticates first: OIDC with the client secret read
    from Secrets Manager by CloudFormation (`secret_value`), or Cognito with a client of the platform's
    `login_pool` made here.

    Order matters with scale to zero: the waker's target group comes first, because the app's listener rule
    forwards to it in the template; then the service; then the app object (which names both) and the waker.

    Attributes:
        dash: the `DashService` (`dash.service`, `dash.target_group`, `dash.listener_rule`, `dash.keeper_rule`).
        registration: the `AppRegistration` (`registration.parameter`), or None with `scale_to_zero=False`.
        waker: the `AppWaker`, or None with `scale_to_zero=False`.
        scale_to_zero_app: the app as the scaler sees it (`waker.app`), or None with `scale_to_zero=False`.
        monitoring: the `AppMonitoring` (alarms, and the dashboard unless `dashboard=False`).
        secrets: the container's `ecs.Secret`s by variable name.
        login: the app's `OidcLogin` or `CognitoLogin`, or None without `auth`.
        host: the Host the app's rule matches.
        url: where visitors open the app (the `Url` output).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        app: AppConfig,
        repository: ecr.IRepository | None = None,
        bucket: s3.IBucket,
        network: Network,
        platform: Platform,
        log_retention_days: int = 30,
        scale_to_zero: bool = True,
        apps_path: str | None = None,
        token_secret: secretsmanager.ISecret | None = None,
        waker_concurrency: int = DEFAULT_WAKER_CONCURRENCY,
        dashboard: bool = True,
        alarm_topic: sns.ITopic | None = None,
        host: str | None = None,
        url_origin: str | None = None,
        login_pool: LoginPool | None = None,
        **kwargs: Any,
    ) -> None:
        """`repository` is the app's own repository (the Stateful stack's) when ZeroDash builds its image, None
        (the default) for an app that brings an image; `scale_to_zero` adds the waker and the registry entry
        under `apps_path` (the scaler lives in its own stack), and needs `apps_path`, `token_secret` (the
        platform's wake token secret) and `waker_concurrency` (the waker's reserved concurrency, default 10);
        `dashboard` adds the CloudWatch dashboard; alarms go to `alarm_topic` when given; `host` is the Host the
        app's rule matches (default the ALB's DNS name) and `url_origin` the scheme and host visitors use (default
        "http://<host>"; "https://..." on the HTTPS ways in); `login_pool` is the platform's Cognito pool, needed by
        an app whose `auth` is Cognito; `kwargs` are `Stack` options."""
        super().__init__(scope, construct_id, **kwargs)
        if scale_to_zero and (apps_path is None or token_secret is None):
            raise ValueError("scale_to_zero needs apps_path and token_secret")
        waker_group = waker_target_group(self, "WakerTargetGroup") if scale_to_zero else None
        source = app.app_source
        self.secrets = {
            variable: container_secret(self, f"Secret-{variable}", ref) for variable, ref in app.secrets.items()
        }
        self.host = host or platform.load_balancer.load_balancer_dns_name
        self.url = f"{url_origin or f'http://{self.host}'}{app.url_prefix}"
        self.login = self._login(app, platform, login_pool)
        self.dash = DashService(
            self,
            "Dash",
            cluster=platform.cluster,
            listener=platform.listener,
            load_balancer_security_group=platform.load_balancer_security_group,
            load_balancer_full_name=platform.load_balancer.load_balancer_full_name,
            host=self.host,
            image=self._image(app, repository),
            bucket=bucket,
            app_name=app.name,
            data_prefix=app.data_prefix,
            read_prefixes=app.read_prefixes,
            priority=app.priority,
            path_pattern=app.path,
            title=app.title,
            port=app.port,
            health_check_path=app.health_path,
            command=app.command,
            app_module=source.module if source.kind == "runtime" else None,
            environment=app.environment,
            secrets=self.secrets,
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
            waker_target_group=waker_group,
            keeper_listener=platform.keeper_listener if scale_to_zero else None,
            login=self.login,
            frame_ancestors=app.frame_ancestors,
        )

        self.registration: AppRegistration | None = None
        self.waker: AppWaker | None = None
        self.scale_to_zero_app: ScaleToZeroApp | None = None
        if waker_group is not None and apps_path is not None and token_secret is not None:
            self.scale_to_zero_app = ScaleToZeroApp(
                name=app.name,
                title=app.title,
                cluster=platform.cluster,
                service=self.dash.service,
                listener_rule=self.dash.listener_rule,
                service_target_group=self.dash.target_group,
                waker_target_group=waker_group,
                scaling=app.scaling,
                authenticated=self.dash.authenticated,
                login_pool_arn=self.login.pool.user_pool.user_pool_arn
                if isinstance(self.login, CognitoLogin)
                else None,
            )
            self.registration = AppRegistration(self, "Registry", app=self.scale_to_zero_app, apps_path=apps_path)
            self.waker = AppWaker(
                self,
                "Waker",
                app=self.scale_to_zero_app,
                parameter=self.registration.parameter,
                token_secret=token_secret,
                reserved_concurrency=waker_concurrency,
                log_retention_days=log_retention_days,
                frame_ancestors=app.frame_ancestors,
            )

        self.monitoring = AppMonitoring(
            self,
            "Monitoring",
            app_name=app.name,
            load_balancer_full_name=platform.load_balancer.load_balancer_full_name,
            service_target_group=self.dash.target_group,
            cluster_name=platform.cluster.cluster_name,
            service_name=self.dash.service.service_name,
            waker_target_group=waker_group,
            waker_function=self.waker.function.function if self.waker else None,
            dashboard=dashboard,
            alarm_topic=alarm_topic,
            health_check_path=self.dash.health_check_path,
        )

        CfnOutput(
            self,
            "Url",
            value=self.url,
            description=f"Where the {app.name} app is served",
        )
        CfnOutput(self, "ServiceName", value=self.dash.service.service_name, description="The ECS service")
        if self.registration is not None:
            CfnOutput(
                self,
                "AppParameterName",
                value=self.registration.parameter.parameter_name,
                description="The SSM parameter holding the app object the scaler and the waker read",
            )

    def _login(self, app: AppConfig, platform: Platform, login_pool: LoginPool | None) -> Login | None:
        """The login the app's `auth` asks for, or None."""
        auth = app.auth
        if auth is None:
            return None
        if not platform.https:
            raise ValueError(f"app {app.name!r} has a login, which needs the ALB's HTTPS listener (a domain)")
        session_timeout = Duration.minutes(auth.session_timeout_minutes)
        if auth.kind == "cognito":
            if login_pool is None:
                raise ValueError(f"app {app.name!r} logs in with Cognito and needs the platform's login_pool")
            return CognitoLogin(
                self, "Login", pool=login_pool, host=self.host, app_name=app.name, session_timeout=session_timeout
            )
        # AuthConfig requires every one of these for "oidc".
        assert auth.issuer and auth.authorization_endpoint and auth.token_endpoint and auth.user_info_endpoint
        assert auth.client_id and auth.client_secret
        return OidcLogin(
            issuer=auth.issuer,
            authorization_endpoint=auth.authorization_endpoint,
            token_endpoint=auth.token_endpoint,
            user_info_endpoint=auth.user_info_endpoint,
            client_id=auth.client_id,
            client_secret=secret_value(auth.client_secret),
            app_name=app.name,
            scope=auth.scope,
            session_timeout=session_timeout,
        )

    def _image(self, app: AppConfig, repository: ecr.IRepository | None) -> ecs.ContainerImage:
        """The app's image. ECR repositories are referred to by name in this stack: a URI is then built from
        this stack's own account/region instead of by splitting a cross-stack ARN (which cfn-lint rejects for
        Fn::GetStackOutput references), and pull rights stay scoped to that one repository."""
        source = app.app_source
        if source.builds:
            if repository is None:
                raise ValueError(f"app {app.name!r} is built by ZeroDash and needs its repository")
            local = ecr.Repository.from_repository_name(self, "Repository", repository.repository_name)
            return ecs.ContainerImage.from_ecr_repository(local, app.image_tag)
        if repository is not None:
            raise ValueError(f"app {app.name!r} brings its image; it has no repository of its own")
        reference = source.image
        assert reference is not None
        if reference.registry is not None:
            return ecs.ContainerImage.from_registry(str(reference))
        local = ecr.Repository.from_repository_name(self, "Repository", reference.repository)
        return ecs.ContainerImage.from_ecr_repository(local, reference.version)


def container_secret(scope: Construct, construct_id: str, ref: SecretRef) -> ecs.Secret:
    """An ECS secret for `ref`; the container definition grants its execution role read on it (and only it).

    - "secretsmanager": by name (`Secret.from_secret_name_v2`: CDK builds the partial ARN, and grants
      GetSecretValue/DescribeSecret on "<partial ARN>-??????", matching the suffix Secrets Manager adds), with
      the `json_key` when given; a complete ARN ("arn:...:secret:<name>-AbCdEf") is used as is
      (`from_secret_complete_arn`), which AWS and CDK advise for names that themselves end in "-" and six
      characters. Secrets encrypted with a customer-managed KMS key also need kms:Decrypt (not granted).
    - "ssm": a parameter by name (String or SecureString with the AWS-managed key), in this account and region.
    """
    if ref.kind == "ssm":
        parameter = ssm.StringParameter.from_string_parameter_name(scope, construct_id, ref.name)
        return ecs.Secret.from_ssm_parameter(parameter)
    return ecs.Secret.from_secrets_manager(secrets_manager_secret(scope, construct_id, ref), ref.json_key)


def secrets_manager_secret(scope: Construct, construct_id: str, ref: SecretRef) -> secretsmanager.ISecret:
    """The Secrets Manager secret `ref` names: by name (`from_secret_name_v2`), or by its complete ARN as is."""
    if ref.name.startswith("arn:"):
        return secretsmanager.Secret.from_secret_complete_arn(scope, construct_id, ref.name)
    return secretsmanager.Secret.from_secret_name_v2(scope, construct_id, ref.name)


def secret_value(ref: SecretRef) -> SecretValue:
    """`ref`'s value (or its JSON key's) as a CloudFormation dynamic reference, "{{resolve:secretsmanager:...}}",
    read by CloudFormation at deploy time, so the value never appears in the template. Like `container_secret`, it
    names the secret by its name or by its complete ARN, the two forms a dynamic reference takes ("Get a secret or
    secret value from Secrets Manager", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
    dynamic-references-secretsmanager.html); CloudFormation reads it again only when the stack is updated, so a
    rotated secret needs a deploy."""
    if ref.kind != "secretsmanager":
        raise ValueError(f"{ref.kind}:{ref.name}: a dynamic reference reads Secrets Manager secrets only")
    return SecretValue.secrets_manager(ref.name, json_field=ref.json_key)
