"""The shared ECS cluster and the Application Load Balancer in front of every app."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from cdk_nag import NagSuppressions
from constructs import Construct

from infra.constructs.sdk_call import sdk_call_resource

APP_PORT = 8050  # the default container port (config `port`)
LISTENER_PORT = 80
HTTPS_PORT = 443
# TLS 1.3 and 1.2 only (ELBSecurityPolicy-TLS13-1-2-2021-06), AWS's recommended policy:
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
SSL_POLICY = elbv2.SslPolicy.RECOMMENDED_TLS
# Response headers the ALB adds (listener attributes, "HTTP header modification"). Per the ALB guide, "Add response
# headers": when the target's response carries the header, the load balancer replaces its value with the configured
# one; otherwise it adds it. So only headers that are the same for every app belong here; per-app ones
# (Content-Security-Policy frame-ancestors, Referrer-Policy) are set by the app's runtime and the waker.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/header-modification.html
NOSNIFF_ATTRIBUTE = "routing.http.response.x_content_type_options.header_value"
NOSNIFF = "nosniff"
FRAME_OPTIONS_ATTRIBUTE = "routing.http.response.x_frame_options.header_value"
HSTS_ATTRIBUTE = "routing.http.response.strict_transport_security.header_value"
HSTS = "max-age=31536000; includeSubDomains"  # one year; only sent over HTTPS (browsers ignore it over HTTP)
# The AWS-managed prefix list of CloudFront's origin-facing servers, which a CloudFront VPC origin's requests come
# from. Its ID differs per region, so it is looked up at deploy time.
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
PREFIX_LIST_ID = "PrefixLists.0.PrefixListId"
# The keeper listener's port. The ALB's security group does not admit it, so no request ever reaches it.
KEEPER_PORT = 8081
ROBOTS_PRIORITY = 1
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"
BOT_RULE_PRIORITIES = (2, 3)  # 1..9 are the platform's; apps start at 10 (infra.config.FIRST_APP_PRIORITY)
BOT_RESPONSE = "Automated clients are not served here; see /robots.txt"
# User-Agent wildcards (ALB matches header values case-insensitively, * and ? as wildcards) of clients that
# are turned away before they reach any app: a request that reaches an app's service counts as activity and
# keeps it awake, and one that reaches a sleeping app's waker must not wake it. Uptime monitors are the costly
# case: in the simulation (bench/) a monitor polling every 15 minutes kept a public app awake all month,
# $18.19 against $1.59 with bots kept off the service. ALB allows 5 values per rule, so two rules of five:
BOT_USER_AGENTS = (
    # crawlers and AI scrapers (Googlebot, bingbot, GPTBot, ClaudeBot, AhrefsBot, Baiduspider, Yahoo! Slurp);
    # "*bot*" also catches most monitors: UptimeRobot, Pingdom.com_bot, Better Uptime Bot
    "*bot*",
    "*crawl*",
    "*spider*",
    "*slurp*",
    "*python-requests*",  # scripted checks (requests' default User-Agent)
    # uptime monitors and synthetic checks that call themselves so (Uptime Kuma, Site24x7 Website Monitoring,
    # Route 53 health checks, Datadog and CloudWatch Synthetics) and cron jobs with curl
    "*uptime*",
    "*monitor*",
    "*health*",
    "*synthetic*",
    "*curl/*",
)
MAX_CONDITION_VALUES = 5  # per listener rule, an ALB quota


class Platform(Construct):
    """An ECS cluster plus an ALB with the listener that apps add rules to, in one of three shapes:

    - no `certificate`, `internet_facing` (the "http" way in): an HTTP listener on port 80, and the ALB's
      security group admits port 80 from any IPv4 address;
    - a `certificate`, `internet_facing` (the "domain" way): an HTTPS listener on 443 (TLS 1.3/1.2 policy) is
      `listener`, and an HTTP listener on 80 (`redirect_listener`) only answers 301 to the same URL over
      HTTPS; the group admits 443 and 80 from any IPv4 address;
    - not `internet_facing` (the "cloudfront" way): an internal ALB in the VPC's PRIVATE_ISOLATED subnets (no
      route to or from the internet) with an HTTP listener on 80, admitting port 80 only from CloudFront's
      origin-facing managed prefix list (`CLOUDFRONT_ORIGIN_FACING`, its ID looked up at deploy time by
      `origin_facing_lookup`). A VPC origin's requests keep CloudFront's source addresses: the two ways AWS
      documents to admit them are that prefix list and the security group CloudFront creates after the VPC
      origin (whose ID CloudFormation does not return); a rule for the VPC's own range does not admit them
      (peers who tried). "Restrict access with VPC origins",
      https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html, and
      aws_cloudfront_origins' "Restrict traffic coming to the VPC origin".

    The public listener(s) add X-Content-Type-Options: nosniff to every response, and an HTTPS listener also
    Strict-Transport-Security (one year, includeSubDomains). `listener` answers 404 "Not found" for paths no
    app claims, and answers `/robots.txt` itself (rule priority 1) so crawlers are turned away without waking
    a sleeping app. With `block_bots` it answers known bots, monitors and scripted clients 403 (priorities 2
    and 3). The ALB's security group may only send to the apps' container ports (`app_ports`, default 8050)
    inside the VPC, and with `authenticates` also HTTPS anywhere (the identity providers' endpoints); each
    app's tasks admit only this group, on their port.

    The keeper listener (HTTP on 8081, default 404) is never reachable: the security group does not
    admit its port. It exists for the keeper rules apps that scale to zero add to it (infra/constructs/
    dash_service.py). While a sleeping app's rule forwards to its waker, no rule of the public listener
    names the service's target group, and a target group that no rule or default action forwards to is
    not in use: its targets are reported `unused` (Target.NotInUse) and are never health-checked, so a
    woken task could never become healthy and the wake could never finish. A keeper rule forwards to the
    service's group under a condition no request meets, which keeps the group in use.

    Attributes:
        cluster: the `ecs.Cluster`.
        load_balancer: the `elbv2.ApplicationLoadBalancer`.
        load_balancer_security_group: the ALB's `ec2.SecurityGroup`; app services admit only this group.
        listener: the `elbv2.ApplicationListener` apps add rules to: HTTPS on 443 with a certificate, else HTTP
            on 80.
        redirect_listener: the HTTP listener on 80 that redirects to HTTPS, or None without a certificate.
        public_listeners: the listeners the security group admits (`listener`, and `redirect_listener`).
        https: True when `listener` is HTTPS.
        keeper_listener: the unreachable HTTP `elbv2.ApplicationListener` on port 8081 for keeper rules.
        robots_rule: the `/robots.txt` `elbv2.ApplicationListenerRule`.
        bot_rules: the 403 rules for bots (empty without `block_bots`).
        origin_facing_lookup: the `cr.AwsCustomResource` that finds the CloudFront origin-facing prefix list's ID
            (internal ALB only), or None.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        access_log_bucket: s3.IBucket | None = None,
        app_ports: Sequence[int] = (APP_PORT,),
        block_bots: bool = True,
        certificate: acm.ICertificate | None = None,
        internet_facing: bool = True,
        authenticates: bool = False,
        log_retention_days: int = 30,
        frame_options: str | None = "DENY",
    ) -> None:
        """
        Args:
            vpc: the VPC; an internet-facing ALB goes into its public subnets, an internal one into its
                PRIVATE_ISOLATED subnets (`Network(..., isolated_subnets=True)`).
            access_log_bucket: where the ALB writes access logs (prefix `alb/`); S3-managed encryption only.
                Default None: no access logs.
            app_ports: the container ports the ALB may reach (every app's `port`; one egress rule each).
                Default (8050,).
            block_bots: answer clients whose User-Agent matches `BOT_USER_AGENTS` with 403 at the listener
                (rules at priorities 2 and 3), so bots and monitors neither wake nor keep awake any app.
                Default True.
            certificate: the ACM certificate of the HTTPS listener. Default None: HTTP only.
            internet_facing: an internet-facing ALB in public subnets (default True), or an internal one that
                only the VPC (a CloudFront VPC origin) reaches, over HTTP (no `certificate`).
            authenticates: some app's rule authenticates its visitors (OIDC or Cognito): the ALB then calls the
                identity provider's token and user-info endpoints over HTTPS, which its security group must
                allow ("Authenticate users using an Application Load Balancer",
                https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html).
                Needs a certificate (the ALB authenticates on HTTPS listeners only). Default False.
            log_retention_days: retention of the prefix-list lookup's logs (internal ALB). Default 30.
            frame_options: the X-Frame-Options every response gets ("DENY" or "SAMEORIGIN";
                zerodash.access.load_balancer_frame_options), or None for none. Default "DENY".
        """
        super().__init__(scope, construct_id)
        ports = sorted(set(app_ports))
        if not ports or any(not 1 <= port <= 65535 for port in ports):
            raise ValueError(f"app_ports must be one or more ports in 1..65535, got {list(app_ports)}")
        if certificate is not None and not internet_facing:
            raise ValueError(
                "an internal ALB (behind a CloudFront VPC origin) serves HTTP to CloudFront, which terminates the "
                "viewers' TLS; it takes no certificate"
            )
        if authenticates and certificate is None:
            raise ValueError("authentication needs HTTPS: the ALB authenticates users on HTTPS listeners only")
        self.https = certificate is not None

        self.cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.DISABLED)
        NagSuppressions.add_resource_suppressions(
            self.cluster,
            [
                {
                    "id": "AwsSolutions-ECS4",
                    "reason": "Container Insights bills custom metrics per cluster, service and task, which would "
                    "dominate the cost of apps that sleep most of the time; ALB and ECS service metrics suffice.",
                }
            ],
        )

        self.load_balancer_security_group = ec2.SecurityGroup(
            self,
            "LoadBalancerSecurityGroup",
            vpc=vpc,
            description=_security_group_description(https=self.https, internet_facing=internet_facing),
            allow_all_outbound=False,
        )
        if internet_facing:
            if self.https:
                self.load_balancer_security_group.add_ingress_rule(
                    ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT), "HTTPS from the internet"
                )
            self.load_balancer_security_group.add_ingress_rule(
                ec2.Peer.any_ipv4(),
                ec2.Port.tcp(LISTENER_PORT),
                "HTTP from the internet (redirected to HTTPS)" if self.https else "HTTP from the internet",
            )
            NagSuppressions.add_resource_suppressions(
                self.load_balancer_security_group,
                [{"id": "AwsSolutions-EC23", "reason": _public_ingress_reason(https=self.https)}],
            )
        self.origin_facing_lookup: cr.AwsCustomResource | None = None
        if not internet_facing:
            self.origin_facing_lookup = _origin_facing_lookup(self, "CloudFrontOriginFacing", log_retention_days)
            self.load_balancer_security_group.add_ingress_rule(
                ec2.Peer.prefix_list(self.origin_facing_lookup.get_response_field(PREFIX_LIST_ID)),
                ec2.Port.tcp(LISTENER_PORT),
                "HTTP from CloudFront's origin-facing servers only (the VPC origin)",
            )
        for port in ports:
            self.load_balancer_security_group.add_egress_rule(
                ec2.Peer.ipv4(vpc.vpc_cidr_block), ec2.Port.tcp(port), "To app containers and their health checks"
            )
        if authenticates:
            self.load_balancer_security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT), "HTTPS to the identity providers (login)"
            )

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=internet_facing,
            vpc_subnets=ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PUBLIC if internet_facing else ec2.SubnetType.PRIVATE_ISOLATED
            ),
            security_group=self.load_balancer_security_group,
            drop_invalid_header_fields=True,
            # The ALB holds no data and is recreated by a deploy; protection would only block `cdk destroy`.
            deletion_protection=False,
        )
        if access_log_bucket is not None:
            self.load_balancer.log_access_logs(access_log_bucket, prefix="alb")

        not_found = elbv2.ListenerAction.fixed_response(404, content_type="text/plain", message_body="Not found")
        self.redirect_listener: elbv2.ApplicationListener | None = None
        if certificate is not None:
            self.listener = self.load_balancer.add_listener(
                "Https",
                port=HTTPS_PORT,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
                ssl_policy=SSL_POLICY,
                open=False,  # the security group above admits what it should
                default_action=not_found,
            )
            self.listener.set_attribute(HSTS_ATTRIBUTE, HSTS)
            self.redirect_listener = self.load_balancer.add_listener(
                "Http",
                port=LISTENER_PORT,
                protocol=elbv2.ApplicationProtocol.HTTP,
                open=False,
                default_action=elbv2.ListenerAction.redirect(protocol="HTTPS", port=str(HTTPS_PORT), permanent=True),
            )
        else:
            self.listener = self.load_balancer.add_listener(
                "Http",
                port=LISTENER_PORT,
                protocol=elbv2.ApplicationProtocol.HTTP,
                open=False,  # the security group above already admits port 80
                default_action=not_found,
            )
        self.public_listeners = [self.listener, *([self.redirect_listener] if self.redirect_listener else [])]
        for listener in self.public_listeners:
            listener.set_attribute(NOSNIFF_ATTRIBUTE, NOSNIFF)
            if frame_options is not None:
                listener.set_attribute(FRAME_OPTIONS_ATTRIBUTE, frame_options)

        # Not opened: the security group admits only the public listeners' ports (see the class docstring).
        self.keeper_listener = self.load_balancer.add_listener(
            "Keeper", port=KEEPER_PORT, protocol=elbv2.ApplicationProtocol.HTTP, open=False, default_action=not_found
        )
        self.robots_rule = elbv2.ApplicationListenerRule(
            self,
            "RobotsTxt",
            listener=self.listener,
            priority=ROBOTS_PRIORITY,
            conditions=[elbv2.ListenerCondition.path_patterns(["/robots.txt"])],
            action=elbv2.ListenerAction.fixed_response(200, content_type="text/plain", message_body=ROBOTS_TXT),
        )

        self.bot_rules: list[elbv2.ApplicationListenerRule] = []
        if block_bots:
            for index, priority in enumerate(BOT_RULE_PRIORITIES):
                values = BOT_USER_AGENTS[index * MAX_CONDITION_VALUES : (index + 1) * MAX_CONDITION_VALUES]
                self.bot_rules.append(
                    elbv2.ApplicationListenerRule(
                        self,
                        f"BlockBots{index + 1}",
                        listener=self.listener,
                        priority=priority,
                        conditions=[elbv2.ListenerCondition.http_header("User-Agent", list(values))],
                        action=elbv2.ListenerAction.fixed_response(
                            403, content_type="text/plain", message_body=BOT_RESPONSE
                        ),
                    )
                )


def _security_group_description(*, https: bool, internet_facing: bool) -> str:
    """The ALB security group's description. The "http" way keeps the one it always had: a new description
    replaces the group."""
    if not internet_facing:
        return "ZeroDash ALB: HTTP from CloudFront (VPC origin) only, to the app containers only"
    if https:
        return "ZeroDash ALB: HTTPS (and HTTP, redirected) from anywhere, to the app containers only"
    return "ZeroDash ALB: HTTP from anywhere, to the app containers only"


def _public_ingress_reason(*, https: bool) -> str:
    if https:
        return (
            "The ALB is the public entry point of the dashboards: HTTPS (443) must be open to any IPv4 address, "
            "and port 80 only answers a permanent redirect to HTTPS. Nothing else is open; the tasks admit only "
            "this security group."
        )
    return (
        "The ALB is the public entry point of the dashboards over plain HTTP (no domainName and not behind "
        "CloudFront; synth warns): port 80 must be open to any IPv4 address. Nothing else is open; the tasks "
        "admit only this security group."
    )


def _origin_facing_lookup(scope: Construct, construct_id: str, log_retention_days: int) -> cr.AwsCustomResource:
    """DescribeManagedPrefixLists for `CLOUDFRONT_ORIGIN_FACING` on create and update; its ID is the response field
    `PREFIX_LIST_ID`. (`ec2.PrefixList.from_lookup` would need AWS credentials at synth, which offline synth has not.)
    """
    call = cr.AwsSdkCall(
        service="EC2",
        action="describeManagedPrefixLists",
        parameters={"Filters": [{"Name": "prefix-list-name", "Values": [CLOUDFRONT_ORIGIN_FACING]}]},
        physical_resource_id=cr.PhysicalResourceId.of(CLOUDFRONT_ORIGIN_FACING),
        output_paths=[PREFIX_LIST_ID],
    )
    lookup = sdk_call_resource(
        scope,
        construct_id,
        on_create=call,
        on_update=call,
        statements=[iam.PolicyStatement(actions=["ec2:DescribeManagedPrefixLists"], resources=["*"])],
        log_retention_days=log_retention_days,
    )
    NagSuppressions.add_resource_suppressions(
        lookup,
        [
            {
                "id": "AwsSolutions-IAM5",
                "reason": "ec2:DescribeManagedPrefixLists has no resource-level permissions: AWS requires Resource "
                "'*'. The lookup only reads the ID of CloudFront's origin-facing prefix list.",
                "appliesTo": ["Resource::*"],
            }
        ],
        apply_to_children=True,
    )
    return lookup
