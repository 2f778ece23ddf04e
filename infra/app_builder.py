"""Create every ZeroDash stack from a validated configuration; shared by app.py and the tests."""

from __future__ import annotations

import os
from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Token

from infra.config import ConfigError, ZeroDashConfig
from infra.constructs.cdn import EdgeApp
from infra.stacks.app_stack import AppStack
from infra.stacks.github_oidc import GithubOidcStack
from infra.stacks.platform import PlatformStack
from infra.stacks.scaler import ScalerStack
from infra.stacks.stateful import StatefulStack
from zerodash.access import load_balancer_frame_options
from zerodash.sources import data_directory

# Used when no AWS credentials are around: cdk.json pins this account's availability zones, so synth works offline.
OFFLINE_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
CLOUDFRONT_WAF_REGION = "us-east-1"


@dataclass(frozen=True)
class ZeroDashStacks:
    stateful: StatefulStack
    platform: PlatformStack
    apps: tuple[AppStack, ...]
    scaler: ScalerStack | None = None  # None with scaleToZero=false
    github: GithubOidcStack | None = None  # only with githubRepository

    @property
    def all(self) -> tuple[Stack, ...]:
        optional = tuple(stack for stack in (self.scaler, self.github) if stack is not None)
        return (self.stateful, self.platform, *self.apps, *optional)


def default_environment() -> Environment:
    """The CLI's account/region (CDK_DEFAULT_ACCOUNT/REGION), or the offline placeholder account in us-east-1."""
    return Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT") or OFFLINE_ACCOUNT,
        region=os.environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION,
    )


def check_region(config: ZeroDashConfig, env: Environment) -> None:
    """Refuse what the configuration asks that the stacks' region cannot give: CloudFront's web ACLs live in
    us-east-1 only (AWS WAF: "for CloudFront, you must create the web ACL in US East (N. Virginia)")."""
    region = env.region
    known = bool(region) and not Token.is_unresolved(region)
    if config.waf and config.way_in == "cloudfront" and known and region != CLOUDFRONT_WAF_REGION:
        raise ConfigError(
            "waf",
            f'with edge "cloudfront" the web ACL must be in {CLOUDFRONT_WAF_REGION}, where CloudFront\'s web ACLs '
            f"live, and these stacks deploy to {region}: deploy them to {CLOUDFRONT_WAF_REGION}, or leave out waf "
            "(or edge, for WAF on the load balancer)",
        )


def build(app: App, config: ZeroDashConfig, env: Environment) -> ZeroDashStacks:
    """Add the stateful, platform and one app stack per configured app to `app`, and the scaler stack.

    The Stateful stack holds one ECR repository per app ZeroDash builds (source directories) and, with
    sampleData, uploads each app's data/ directory to s3://<bucket>/<name>/. Each app stack runs its app's own
    image at its own tag (the content hash of its source, or the tag/digest an image app names).

    References point one way only (stateful -> platform -> apps, and platform -> scaler), so any app stack
    can be added, updated or removed without touching the others. The scaler does not depend on the apps:
    each app stack writes its app object to SSM under `config.apps_path`, where the scaler finds it at run
    time.
    With scaleToZero=false there is no scaler and no waker: apps run always on, autoscaled within
    [minTasks, maxTasks]. With githubRepository, the GitHub OIDC stack (deploy role for CI) is added too.
    """
    check_region(config, env)
    prefix = config.stack_prefix
    app_data: dict[str, str] = {}
    if config.sample_data:
        for app_config in config.apps:
            directory = data_directory(app_config.app_source)
            if directory is not None:
                app_data[app_config.name] = str(directory)
    stateful = StatefulStack(
        app,
        f"{prefix}-Stateful",
        env=env,
        description="ZeroDash: the apps' image registries and data bucket (kept on delete unless retainData=false)",
        built_apps=[app_config.name for app_config in config.apps if app_config.app_source.builds],
        app_data=app_data,
        retain_data=config.retain_data,
        ecr_keep_images=config.ecr_keep_images,
        log_retention_days=config.log_retention_days,
    )
    repositories = stateful.repositories
    platform = PlatformStack(
        app,
        f"{prefix}-Platform",
        env=env,
        description="ZeroDash: VPC, ECS cluster and load balancer",
        nat_gateways=config.nat_gateways,
        log_retention_days=config.log_retention_days,
        access_log_bucket=stateful.data.log_bucket,
        block_bots=config.block_bots,
        app_ports=sorted({app_config.port for app_config in config.apps}),
        scale_to_zero=config.scale_to_zero,
        alarm_email=config.alarm_email,
        edge=config.edge,
        domain_name=config.domain_name,
        hosts=[app_config.host for app_config in config.apps if app_config.host],
        hosted_zone_id=config.hosted_zone_id,
        hosted_zone_name=config.hosted_zone_name,
        certificate_arn=config.certificate_arn,
        authenticates=any(app_config.auth for app_config in config.apps),
        cognito=any(app_config.auth and app_config.auth.kind == "cognito" for app_config in config.apps),
        edge_apps=[
            EdgeApp(
                name=app_config.name,
                url_prefix=app_config.url_prefix,
                frame_ancestors=app_config.frame_ancestors,
                is_dash=app_config.app_source.kind == "runtime",
            )
            for app_config in config.apps
        ],
        waf=config.waf,
        waf_rate_limit=config.waf_rate_limit,
        frame_options=load_balancer_frame_options(config.apps),
    )
    alarm_topic = platform.alarms.topic if platform.alarms else None
    apps = tuple(
        AppStack(
            app,
            f"{prefix}-App-{app_config.name}",
            env=env,
            description=f"ZeroDash: the {app_config.name} app",
            app=app_config,
            repository=repositories.get(app_config.name),
            bucket=stateful.data.bucket,
            network=platform.network,
            platform=platform.platform,
            log_retention_days=config.log_retention_days,
            scale_to_zero=config.scale_to_zero,
            apps_path=config.apps_path if config.scale_to_zero else None,
            token_secret=platform.token_secret,
            waker_concurrency=config.waker_concurrency,
            dashboard=config.dashboards,
            alarm_topic=alarm_topic,
            host=config.host_of(app_config),
            url_origin=platform.url_origin(config.host_of(app_config)),
            login_pool=platform.login_pool,
        )
        for app_config in config.apps
    )
    scaler = None
    if config.scale_to_zero:
        scaler = ScalerStack(
            app,
            f"{prefix}-Scaler",
            env=env,
            description="ZeroDash: the scaler that sleeps idle apps and finishes wakes",
            cluster=platform.platform.cluster,
            load_balancer=platform.platform.load_balancer,
            apps_path=config.apps_path,
            rate_minutes=config.scaler_rate_minutes,
            log_retention_days=config.log_retention_days,
            alarm_topic=alarm_topic,
            login_pool_arn=platform.login_pool.user_pool.user_pool_arn if platform.login_pool else None,
        )
    github = None
    if config.github_repository:
        github = GithubOidcStack(
            app,
            f"{prefix}-GithubOidc",
            env=env,
            description=f"ZeroDash: the role GitHub Actions of {config.github_repository} assume to push and deploy",
            repositories=repositories,
            image_repositories=[
                app.app_source.image.repository
                for app in config.apps
                if app.app_source.image is not None and app.app_source.image.registry is None
            ],
            github_repository=config.github_repository,
            branch=config.github_branch,
            provider_arn=config.github_oidc_provider_arn,
        )
    return ZeroDashStacks(stateful=stateful, platform=platform, apps=apps, scaler=scaler, github=github)
