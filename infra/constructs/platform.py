"""The shared ECS cluster and the internet-facing Application Load Balancer in front of every app."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from cdk_nag import NagSuppressions
from constructs import Construct

APP_PORT = 8050  # the default container port (config `port`)
LISTENER_PORT = 80
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
    """An ECS cluster plus an internet-facing ALB with an HTTP listener that apps add rules to.

    The listener answers 404 "Not found" for paths no app claims, and answers `/robots.txt`
    itself (rule priority 1) so crawlers are turned away without waking a sleeping app. With
    `block_bots` it answers known bots, monitors and scripted clients 403 (priorities 2 and 3).
    The ALB's security group admits port 80 from anywhere and may only send to the apps' container
    ports (`app_ports`, default 8050) inside the VPC; each app's tasks admit only this group, on their port.

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
        listener: the HTTP `elbv2.ApplicationListener` on port 80.
        keeper_listener: the unreachable HTTP `elbv2.ApplicationListener` on port 8081 for keeper rules.
        robots_rule: the `/robots.txt` `elbv2.ApplicationListenerRule`.
        bot_rules: the 403 rules for bots (empty without `block_bots`).
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
    ) -> None:
        """
        Args:
            vpc: the VPC; the ALB goes into its public subnets.
            access_log_bucket: where the ALB writes access logs (prefix `alb/`); S3-managed encryption only.
                Default None: no access logs.
            app_ports: the container ports the ALB may reach (every app's `port`; one egress rule each).
                Default (8050,).
            block_bots: answer clients whose User-Agent matches `BOT_USER_AGENTS` with 403 at the listener
                (rules at priorities 2 and 3), so bots and monitors neither wake nor keep awake any app.
                Default True.
        """
        super().__init__(scope, construct_id)
        ports = sorted(set(app_ports))
        if not ports or any(not 1 <= port <= 65535 for port in ports):
            raise ValueError(f"app_ports must be one or more ports in 1..65535, got {list(app_ports)}")

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
            description="ZeroDash ALB: HTTP from anywhere, to the app containers only",
            allow_all_outbound=False,
        )
        self.load_balancer_security_group.add_ingress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(LISTENER_PORT), "HTTP from the internet"
        )
        for port in ports:
            self.load_balancer_security_group.add_egress_rule(
                ec2.Peer.ipv4(vpc.vpc_cidr_block), ec2.Port.tcp(port), "To app containers and their health checks"
            )
        NagSuppressions.add_resource_suppressions(
            self.load_balancer_security_group,
            [
                {
                    "id": "AwsSolutions-EC23",
                    "reason": "The ALB is the public entry point of the dashboards: port 80 must be open to any "
                    "IPv4 address. Nothing else is open; the tasks admit only this security group.",
                }
            ],
        )

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_group=self.load_balancer_security_group,
            drop_invalid_header_fields=True,
            # The ALB holds no data and is recreated by a deploy; protection would only block `cdk destroy`.
            deletion_protection=False,
        )
        if access_log_bucket is not None:
            self.load_balancer.log_access_logs(access_log_bucket, prefix="alb")

        # HTTP only for now: HTTPS needs a certificate and a domain, which a later issue adds (then this
        # listener redirects to 443). cdk-nag's AwsSolutions pack has no rule for ALB listener protocols.
        self.listener = self.load_balancer.add_listener(
            "Http",
            port=LISTENER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            open=False,  # the security group above already admits port 80
            default_action=elbv2.ListenerAction.fixed_response(
                404, content_type="text/plain", message_body="Not found"
            ),
        )
        # Not opened: the security group admits LISTENER_PORT only (see the class docstring for why it exists).
        self.keeper_listener = self.load_balancer.add_listener(
            "Keeper",
            port=KEEPER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            open=False,
            default_action=elbv2.ListenerAction.fixed_response(
                404, content_type="text/plain", message_body="Not found"
            ),
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
