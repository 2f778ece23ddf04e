"""The shared, stateless platform: network, ECS cluster, load balancer and its way in, and the wake token secret."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.cdn import CloudFrontEdge, EdgeApp
from infra.constructs.certificate import DomainCertificate
from infra.constructs.firewall import Firewall
from infra.constructs.login import LoginPool
from infra.constructs.monitoring import AlarmTopic
from infra.constructs.network import Network
from infra.constructs.platform import APP_PORT, Platform
from infra.constructs.scale_to_zero import WakeTokenSecret
from zerodash.access import way_in_of

FRAME_OPTIONS_WARNING = (
    "Apps that bring their own server (Dockerfile or image) allow different framing (frameAncestors), so the load "
    "balancer sends no X-Frame-Options: each such app's own code must send Content-Security-Policy frame-ancestors"
)
PLAIN_HTTP_WARNING = (
    "The apps are served over plain HTTP on the ALB's address; set domainName (with hostedZoneId and "
    'hostedZoneName, or with certificateArn) or edge: "cloudfront" for HTTPS'
)


class PlatformStack(Stack):
    """VPC, ECS cluster and ALB shared by all app stacks, the way visitors reach it, and with scale to zero the
    secret that signs every waker's wake tokens.

    The ways in:
    - "http" (no `domain_name`, `edge` "alb"): the internet-facing ALB's own address over plain HTTP; synth warns.
    - "domain" (`domain_name`): HTTPS on the internet-facing ALB with a `DomainCertificate` for `domain_name` and
      the apps' `hosts`: made and DNS-validated in the hosted zone (`hosted_zone_id`/`hosted_zone_name`), with
      alias records to the ALB, or imported (`certificate_arn`, no DNS records). HTTP is redirected to HTTPS.
    - "cloudfront" (`edge` "cloudfront"): an internal ALB in isolated subnets, reached only through a CloudFront
      distribution (`CloudFrontEdge`, a VPC origin) serving `edge_apps` over HTTPS on its *.cloudfront.net name.

    With `waf`, a `Firewall` (AWS WAF web ACL) where the traffic enters: associated with the ALB (REGIONAL), or
    attached to the distribution on the cloudfront way (CLOUDFRONT scope, only in us-east-1).

    Attributes:
        network: the `Network` (`network.vpc`, `network.task_subnets`, `network.tasks_are_public`).
        platform: the `Platform` (`cluster`, `load_balancer`, `load_balancer_security_group`, `listener`,
            `redirect_listener`, `keeper_listener`, `https`).
        way_in: "http", "domain" or "cloudfront".
        certificate: the `DomainCertificate`, or None without `domain_name`.
        login_pool: the Cognito `LoginPool`, or None unless `cognito`.
        edge: the `CloudFrontEdge`, or None unless the way in is "cloudfront".
        firewall: the `Firewall`, or None without `waf`.
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
        edge: str = "alb",
        domain_name: str | None = None,
        hosts: Sequence[str] = (),
        hosted_zone_id: str | None = None,
        hosted_zone_name: str | None = None,
        certificate_arn: str | None = None,
        authenticates: bool = False,
        cognito: bool = False,
        edge_apps: Sequence[EdgeApp] = (),
        waf: bool = False,
        waf_rate_limit: int | None = None,
        frame_options: str | None = "DENY",
        **kwargs: Any,
    ) -> None:
        """`app_ports` are the apps' container ports the ALB may send to (default 8050); `scale_to_zero` adds
        the wake token secret; `alarm_email` the alarm topic mailing that address; `edge` "cloudfront" puts an
        internal ALB behind CloudFront; `domain_name` (with `hosted_zone_id` and `hosted_zone_name`, or
        `certificate_arn`) serves HTTPS on the ALB for it and the apps' `hosts`; `authenticates` lets the ALB
        reach identity providers (some app has a login), `cognito` adds the Cognito user pool; `edge_apps` are the
        apps the CloudFront distribution serves (cloudfront way); `waf` adds the web ACL limiting each client IP to
        `waf_rate_limit` requests per 5 minutes (the Firewall's default when None); `frame_options` is the
        X-Frame-Options the listeners give every response (None: none, and synth warns); `kwargs` are `Stack`
        options."""
        super().__init__(scope, construct_id, **kwargs)
        if edge not in ("alb", "cloudfront"):
            raise ValueError(f'edge must be "alb" or "cloudfront", got {edge!r}')
        if edge == "cloudfront" and domain_name is not None:
            raise ValueError('a domain name on edge "cloudfront" is not supported yet')
        if hosts and domain_name is None:
            raise ValueError("app host names need domain_name (HTTPS on the ALB)")
        if cognito and not authenticates:
            raise ValueError("cognito is a login: it needs authenticates")
        self.way_in = way_in_of(edge, domain_name)

        self.network = Network(
            self,
            "Network",
            nat_gateways=nat_gateways,
            flow_log_retention_days=log_retention_days,
            isolated_subnets=self.way_in == "cloudfront",
        )
        self.certificate: DomainCertificate | None = None
        if domain_name is not None:
            self.certificate = DomainCertificate(
                self,
                "Certificate",
                domain_name=domain_name,
                hosts=hosts,
                hosted_zone_id=hosted_zone_id,
                hosted_zone_name=hosted_zone_name,
                certificate_arn=certificate_arn,
            )
        self.platform = Platform(
            self,
            "Platform",
            vpc=self.network.vpc,
            access_log_bucket=access_log_bucket,
            block_bots=block_bots,
            app_ports=app_ports,
            certificate=self.certificate.certificate if self.certificate else None,
            internet_facing=self.way_in != "cloudfront",
            authenticates=authenticates,
            log_retention_days=log_retention_days,
            frame_options=frame_options,
        )
        if frame_options is None:
            Annotations.of(self).add_warning_v2("zerodash:frame-options", FRAME_OPTIONS_WARNING)
        if self.certificate is not None:
            self.certificate.alias_to(self.platform.load_balancer)
        self.login_pool = LoginPool(self, "Login") if cognito else None

        self.firewall: Firewall | None = None
        if waf:
            at_edge = self.way_in == "cloudfront"
            self.firewall = Firewall(
                self,
                "Firewall",
                waf_scope="CLOUDFRONT" if at_edge else "REGIONAL",
                load_balancer_arn=None if at_edge else self.platform.load_balancer.load_balancer_arn,
                **({"rate_limit": waf_rate_limit} if waf_rate_limit is not None else {}),
            )
        self.edge: CloudFrontEdge | None = None
        if self.way_in == "cloudfront":
            self.edge = CloudFrontEdge(
                self,
                "Edge",
                load_balancer=self.platform.load_balancer,
                apps=edge_apps,
                web_acl_arn=self.firewall.web_acl_arn if self.firewall else None,
            )

        self.wake_token = WakeTokenSecret(self, "WakeToken") if scale_to_zero else None
        self.token_secret = self.wake_token.secret if self.wake_token else None

        self.alarms = AlarmTopic(self, "Alarms", email=alarm_email) if alarm_email else None

        if self.way_in == "http":
            Annotations.of(self).add_warning_v2("zerodash:plain-http", PLAIN_HTTP_WARNING)

        CfnOutput(self, "ClusterName", value=self.platform.cluster.cluster_name, description="The ECS cluster")
        CfnOutput(
            self,
            "LoadBalancerDnsName",
            value=self.platform.load_balancer.load_balancer_dns_name,
            description="The ALB every app is served from",
        )
        if self.edge is not None:
            CfnOutput(
                self,
                "DistributionDomainName",
                value=self.edge.domain_name,
                description="The CloudFront distribution every app is served from, over HTTPS",
            )
        if self.login_pool is not None:
            CfnOutput(
                self,
                "UserPoolId",
                value=self.login_pool.user_pool.user_pool_id,
                description="The Cognito user pool of the apps' logins: create their users here",
            )

    def url_origin(self, host: str | None) -> str:
        """Where visitors reach an app whose rule matches `host` (None: the ALB's DNS name), as "scheme://host":
        CloudFront's domain on the cloudfront way, https on the domain way, http on the ALB's address otherwise."""
        if self.edge is not None:
            return f"https://{self.edge.domain_name}"
        scheme = "https" if self.way_in == "domain" else "http"
        return f"{scheme}://{host or self.platform.load_balancer.load_balancer_dns_name}"
