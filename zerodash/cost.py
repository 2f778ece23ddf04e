"""Monthly cost at list prices (zerodash/prices.py) of a synthesized ZeroDash, next to an always-on architecture.

Pure calculation: `inventory_from_templates` counts what costs money in the CloudFormation templates (load
balancers and their AZs, internal or internet-facing, HTTPS listeners, CloudFront distributions, WAF web ACLs and
their rules, NAT gateways and Elastic IPs, VPC endpoints, alarms, dashboards, KMS keys, secrets, SSM parameters,
each app's task size, minimum tasks and public IP, the scaler's memory and schedule, the wakers' memory) and what
is free or priced per user (ACM certificates, Route 53 records, Cognito user pools); `estimate` prices an
`Inventory` for the fraction of the month the apps are awake. `report` renders both architectures side by side.

Ways in (issue 10): `as_way_in` turns the configured inventory into the same deployment behind another way in
(http, domain, cloudfront; with or without WAF), `compare_ways_in` prices each asleep all month and at the awake
fraction, and `ways_in_table` prints them, with and without the dashboards' list price (CloudWatch bills no
dashboard among an account's first 3: whether the deployment's are among them depends on the account, so both
totals are shown).

Assumptions (documented here; the report prints the ones a reader may want to change):
- "Awake" is every state with tasks running: AWAKE, WAKING and DOZING (common/lifecycle.py).
- Fixed: what is billed every hour whatever the traffic: ALB hours, the ALB's public IPv4 address per AZ (an
  internal ALB, Scheme "internal", has none: the cloudfront way reaches it through a VPC origin), WAF web ACLs and
  their rules (a managed rule group is one rule),
  NAT gateways and their Elastic IPs, interface endpoints per AZ (gateway endpoints are free), alarms,
  dashboards (the account's first 3 are free; not deducted here), KMS keys, the wake-token secret (one per
  deployment). SSM standard parameters (the app list) are free.
- Variable: Fargate task-hours (each app's minimum tasks, i.e. autoscaling beyond the minimum is not
  estimated) and the tasks' public IPv4 addresses while awake; ALB LCUs at 1 LCU-hour per awake hour (a small
  dashboard's traffic stays well under 1 LCU); scaler invocations (one run per schedule tick, 1 s at the
  function's memory each); GetMetricData: 1 metric per app per scaler run (lambdas/scaler/metrics.py), asked
  only while the app is awake or dozing, so it scales with the awake fraction.
- Custom metrics (ZeroDash namespace, billed per metric for the hours it has data): `State`, written every
  scaler run while the app is not asleep (the awake hours); `ColdStarts`, `WakeSeconds` and `WakeRequests`, in
  the hours with a wake: WAKES_PER_AWAKE_HOUR wakes per awake hour (`--wakes-per-awake-hour`), each counted in an
  hour of its own (an upper bound: wakes in the same hour share it); `WakeFailures` only when a wake fails
  (about never: not priced).
- Waker invocations: per wake the holding page, the wake request and a status poll every POLL_SECONDS for the
  default expected start (60 s); while asleep WAKER_REQUESTS_PER_ASLEEP_HOUR page loads by scanners that pass
  the bot rules (they run no JavaScript, so they never wake the app); WAKER_SECONDS_PER_CALL each.
- Requests at the edge (CloudFront's HTTPS requests, WAF's inspected requests): REQUESTS_PER_AWAKE_HOUR per app
  per awake hour (people using a dashboard) plus REQUESTS_PER_ASLEEP_HOUR per hour the apps sleep (scanners and
  crawlers, whether or not the bot rules stop them: the edge counts them all). A WAF inspects every request its
  ALB or distribution receives.
- Per user, noted without a figure: a Cognito user pool's monthly active users above the free 10,000 (its tier's
  price per MAU is printed). Free, noted: ACM certificates, Route 53 alias records to the ALB or CloudFront
  (queries free; the hosted zone is the user's), the CloudFront VPC origin and the isolated subnets it reaches.
- Not estimated: data transfer (out of CloudFront $0.085/GB, out of an ALB to the internet at EC2's rates: about
  the same whichever way in, so the comparison holds) and NAT data processing ($0.045/GB), CloudWatch Logs
  ingestion (the EMF lines are logs too), Secrets Manager API calls, ECR and S3 storage, and free tiers (the
  CloudFront always-free tier, 1 TB and 10M requests a month, would cover a few dashboards' requests).
- Without a scaler (scaleToZero=false) the tasks run all month whatever the awake fraction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from scaler.metrics import QUERIES_PER_APP
from waker.page import POLL_SECONDS
from zerodash.prices import HOURS_PER_MONTH, PRICES, PRICES_AS_OF, REGION, Prices

SCALER_HANDLER = "scaler.handler.handler"
WAKER_HANDLER = "waker.handler.handler"
SCALER_SECONDS_PER_RUN = 1.0  # a run's billed duration: a few batched AWS API calls for every app
METRICS_PER_APP_PER_RUN = QUERIES_PER_APP  # GetMetricData: the service's RequestCount, while awake or dozing
LCU_PER_AWAKE_HOUR = 1.0
# Wakes per awake hour, by default: the README's simulated month (bench/simulate.py) had 68 cold starts in 33.4
# awake hours (office trace) and 158 in 64.2 (public trace with blockBots), about 2 to 2.5: a wake keeps an app
# up for at least idleMinutes plus the doze, so short visits make about two wakes per awake hour.
WAKES_PER_AWAKE_HOUR = 2.0
WAKE_METRICS = ("ColdStarts", "WakeSeconds", "WakeRequests")  # emitted in the hours with a wake
EXPECTED_START_SECONDS = 60  # the default expectedStartSeconds: how long the holding page polls
WAKER_CALLS_PER_WAKE = 2 + EXPECTED_START_SECONDS / POLL_SECONDS  # page + wake request + status polls
WAKER_REQUESTS_PER_ASLEEP_HOUR = 10  # scanners with browser User-Agents that pass the bot rules (assumed)
WAKER_SECONDS_PER_CALL = 0.2  # billed duration of a waker call: a few cached AWS reads at most
RATE_PATTERN = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours)\)$")
SCHEDULE_TYPES = ("AWS::Events::Rule", "AWS::Scheduler::Schedule")
STANDARD_PARAMETER_TIERS = ("Standard", None)
# Requests reaching the edge (CloudFront, a WAF), assumed: per app per awake hour, a few people using a dashboard:
# page loads of about 30 requests each (the page, Dash's and plotly's bundles, layout and dependencies) and a
# callback every few seconds while someone interacts; per asleep hour, scanners and crawlers.
REQUESTS_PER_AWAKE_HOUR = 2_000
REQUESTS_PER_ASLEEP_HOUR = 60
# The ways in (docs: notes/plan10.md) and the rules of ZeroDash's web ACL: AWSManagedRulesCommonRuleSet and a
# rate-based rule per IP.
WAYS_IN = ("http", "domain", "cloudfront")
WAF_RULES = 2
FREE_DASHBOARDS = 3  # CloudWatch bills no dashboard among an account's first 3 (not deducted in `estimate`)
DEFAULT_USER_POOL_TIER = "ESSENTIALS"  # UserPoolTier's default (Cognito API reference: UserPoolType)


@dataclass(frozen=True, kw_only=True)
class AppTasks:
    """One app's Fargate service while awake: its minimum tasks of `vcpu`/`memory_gb`."""

    name: str
    vcpu: float
    memory_gb: float
    tasks: int = 1
    public_ip: bool = False


@dataclass(frozen=True, kw_only=True)
class Inventory:
    """What the templates create that costs money. `scaler_runs_per_hour` 0 means no scaler: always on."""

    apps: tuple[AppTasks, ...]
    load_balancers: int = 1
    load_balancer_azs: int = 2  # AZs of all ALBs: a public IPv4 address in each, unless the ALB is internal
    internal_load_balancer_azs: int = 0  # AZs of internal ALBs (Scheme "internal"): no public IPv4 address
    https_listeners: int = 0  # the domain way: TLS on the ALB (no charge of its own)
    distributions: int = 0  # CloudFront: the cloudfront way
    web_acls: int = 0  # WAFv2
    web_acl_rules: int = 0  # over all web ACLs; a managed rule group is one rule
    user_pool_tiers: tuple[str, ...] = ()  # Cognito user pools' UserPoolTier: priced per monthly active user
    certificates: int = 0  # ACM: free
    dns_records: int = 0  # Route 53 records: alias queries to the ALB or CloudFront are free
    nat_gateways: int = 0
    elastic_ips: int = 0
    interface_endpoint_azs: int = 0
    gateway_endpoints: int = 0
    alarms: int = 0
    dashboards: int = 0
    kms_keys: int = 0
    secrets: int = 0  # Secrets Manager: the wake-token secret, one per deployment
    ssm_parameters: int = 0  # standard tier: the app list, one per app (free)
    scaler_runs_per_hour: float = 0.0
    scaler_memory_gb: float = 0.25
    scaled_apps: int = 0  # apps with a waker: they sleep, and the scaler and the waker look after them
    waker_memory_gb: float = 0.25

    @property
    def scales_to_zero(self) -> bool:
        return self.scaler_runs_per_hour > 0

    @property
    def public_load_balancer_azs(self) -> int:
        """The ALBs' public IPv4 addresses: one per AZ of an internet-facing ALB."""
        return self.load_balancer_azs - self.internal_load_balancer_azs

    @property
    def way_in(self) -> str:
        """How visitors reach the apps: CloudFront, HTTPS on the ALB with a domain, or plain HTTP on the ALB."""
        if self.distributions:
            return "cloudfront"
        return "domain" if self.https_listeners else "http"


@dataclass(frozen=True)
class Line:
    item: str
    fixed: float
    variable: float
    detail: str


@dataclass(frozen=True)
class Estimate:
    title: str
    awake_fraction: float
    lines: tuple[Line, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def fixed(self) -> float:
        return sum(line.fixed for line in self.lines)

    @property
    def variable(self) -> float:
        return sum(line.variable for line in self.lines)

    @property
    def total(self) -> float:
        return self.fixed + self.variable


# The article's always-on architecture: 2 tasks of 0.5 vCPU / 4 GB in private subnets, a NAT gateway per AZ
# (2, each with an Elastic IP), one ALB in 2 AZs. No scaler, alarms or dashboards.
ALWAYS_ON_ARTICLE = Inventory(
    apps=(AppTasks(name="article", vcpu=0.5, memory_gb=4, tasks=2, public_ip=False),),
    load_balancers=1,
    load_balancer_azs=2,
    nat_gateways=2,
    elastic_ips=2,
)


def estimate(
    inventory: Inventory,
    awake_fraction: float,
    *,
    title: str = "ZeroDash",
    prices: Prices = PRICES,
    wakes_per_awake_hour: float = WAKES_PER_AWAKE_HOUR,
) -> Estimate:
    """Monthly cost of `inventory` when its apps are awake `awake_fraction` (0-1) of the month."""
    if not 0 <= awake_fraction <= 1:
        raise ValueError(f"awake_fraction must be between 0 and 1, got {awake_fraction}")
    if wakes_per_awake_hour < 0:
        raise ValueError(f"wakes_per_awake_hour must be 0 or more, got {wakes_per_awake_hour}")
    hours = HOURS_PER_MONTH
    awake_hours = hours * awake_fraction
    task_hours = awake_hours if inventory.scales_to_zero else hours
    notes = []
    if not inventory.scales_to_zero:
        notes.append("no scaler: tasks run all month")
    elif inventory.scaled_apps:
        notes.append(
            f"wakes per awake hour: {wakes_per_awake_hour:g} (--wakes-per-awake-hour), "
            "each billing the wake metrics for an hour of its own"
        )
    if inventory.ssm_parameters:
        notes.append(f"{inventory.ssm_parameters} SSM standard parameters (the app list): free")
    notes.extend(_edge_notes(inventory, prices))

    task_hour_price = sum(
        app.tasks * (app.vcpu * prices.fargate_vcpu_hour + app.memory_gb * prices.fargate_gb_hour)
        for app in inventory.apps
    )
    public_tasks = sum(app.tasks for app in inventory.apps if app.public_ip)
    runs = inventory.scaler_runs_per_hour * hours
    scaled = inventory.scaled_apps if inventory.scales_to_zero else 0
    metrics = inventory.scaler_runs_per_hour * awake_hours * METRICS_PER_APP_PER_RUN * scaled
    sizes = ", ".join(f"{app.tasks}x {app.vcpu:g} vCPU/{app.memory_gb:g} GB" for app in inventory.apps)
    # Custom metrics: a metric-hour is 1/730 of a metric-month.
    metric_hour = prices.custom_metric_month / hours
    wakes = wakes_per_awake_hour * awake_hours  # per app
    wake_hours = min(wakes, hours)  # hours with wake metrics, per app
    waker_calls = scaled * (wakes * WAKER_CALLS_PER_WAKE + (hours - awake_hours) * WAKER_REQUESTS_PER_ASLEEP_HOUR)
    waker_call_price = (
        prices.lambda_request + WAKER_SECONDS_PER_CALL * inventory.waker_memory_gb * prices.lambda_gb_second
    )
    requests = edge_requests(apps=len(inventory.apps), awake_hours=awake_hours)
    cloudfront_requests = requests if inventory.distributions else 0.0
    inspected = requests if inventory.web_acls else 0.0

    lines = [
        Line("ALB", inventory.load_balancers * prices.alb_hour * hours, 0.0, f"{inventory.load_balancers} x {hours} h"),
        Line(
            "ALB LCUs",
            0.0,
            inventory.load_balancers * LCU_PER_AWAKE_HOUR * prices.alb_lcu_hour * awake_hours,
            f"{LCU_PER_AWAKE_HOUR:g} LCU x {awake_hours:g} awake h",
        ),
        Line(
            "public IPv4 (ALB)",
            inventory.public_load_balancer_azs * prices.public_ipv4_hour * hours,
            0.0,
            f"{inventory.public_load_balancer_azs} addresses"
            + (
                f" (internal ALB in {inventory.internal_load_balancer_azs} AZs)"
                if inventory.internal_load_balancer_azs
                else ""
            ),
        ),
        Line(
            "CloudFront requests",
            0.0,
            cloudfront_requests * prices.cloudfront_https_request,
            f"{cloudfront_requests:,.0f} HTTPS requests (data transfer not included)",
        ),
        Line(
            "WAF web ACLs",
            inventory.web_acls * prices.waf_web_acl_month + inventory.web_acl_rules * prices.waf_rule_month,
            0.0,
            f"{inventory.web_acls} web ACL(s), {inventory.web_acl_rules} rules",
        ),
        Line("WAF requests", 0.0, inspected * prices.waf_request, f"{inspected:,.0f} requests inspected"),
        Line(
            "NAT gateways",
            inventory.nat_gateways * prices.nat_gateway_hour * hours,
            0.0,
            f"{inventory.nat_gateways} (data not included)",
        ),
        Line(
            "public IPv4 (NAT)",
            inventory.elastic_ips * prices.public_ipv4_hour * hours,
            0.0,
            f"{inventory.elastic_ips} Elastic IPs",
        ),
        Line(
            "VPC endpoints",
            inventory.interface_endpoint_azs * prices.interface_endpoint_az_hour * hours
            + inventory.gateway_endpoints * prices.gateway_endpoint_hour * hours,
            0.0,
            f"{inventory.gateway_endpoints} gateway (free), {inventory.interface_endpoint_azs} interface AZs",
        ),
        Line("Fargate tasks", 0.0, task_hour_price * task_hours, f"{sizes or 'none'}, {task_hours:g} h"),
        Line(
            "public IPv4 (tasks)",
            0.0,
            public_tasks * prices.public_ipv4_hour * task_hours,
            f"{public_tasks} while running",
        ),
        Line(
            "scaler invocations",
            0.0,
            runs * prices.lambda_request
            + runs * SCALER_SECONDS_PER_RUN * inventory.scaler_memory_gb * prices.lambda_gb_second,
            f"{runs:,.0f} runs x {SCALER_SECONDS_PER_RUN:g} s x {inventory.scaler_memory_gb:g} GB",
        ),
        Line(
            "GetMetricData",
            0.0,
            metrics * prices.get_metric_data_metric,
            f"{metrics:,.0f} metrics: {METRICS_PER_APP_PER_RUN} per app per run while awake",
        ),
        Line(
            "metric State",
            0.0,
            scaled * awake_hours * metric_hour,
            f"{scaled} app(s) x {awake_hours:g} awake h, ${prices.custom_metric_month:.2f}/metric-month",
        ),
        Line(
            "wake metrics",
            0.0,
            scaled * len(WAKE_METRICS) * wake_hours * metric_hour,
            f"{scaled} app(s) x {len(WAKE_METRICS)} x {wake_hours:,.0f} h with a wake",
        ),
        Line(
            "waker invocations",
            0.0,
            waker_calls * waker_call_price,
            f"{waker_calls:,.0f} calls x {WAKER_SECONDS_PER_CALL:g} s x {inventory.waker_memory_gb:g} GB",
        ),
        Line(
            "wake-token secret",
            inventory.secrets * prices.secret_month,
            0.0,
            f"{inventory.secrets} in Secrets Manager",
        ),
        Line("CloudWatch alarms", inventory.alarms * prices.alarm_month, 0.0, f"{inventory.alarms}"),
        Line(
            "CloudWatch dashboards",
            inventory.dashboards * prices.dashboard_month,
            0.0,
            f"{inventory.dashboards} (first 3 per account free)",
        ),
        Line("KMS keys", inventory.kms_keys * prices.kms_key_month, 0.0, f"{inventory.kms_keys}"),
    ]
    return Estimate(title, awake_fraction, tuple(lines), tuple(notes))


def edge_requests(*, apps: int, awake_hours: float, hours: float = HOURS_PER_MONTH) -> float:
    """Requests a month at the way in: REQUESTS_PER_AWAKE_HOUR per app while awake, REQUESTS_PER_ASLEEP_HOUR else."""
    return apps * REQUESTS_PER_AWAKE_HOUR * awake_hours + (hours - awake_hours) * REQUESTS_PER_ASLEEP_HOUR


def _edge_notes(inventory: Inventory, prices: Prices) -> list[str]:
    """What the way in adds that is free, or priced per user: said, not summed."""
    notes = []
    if inventory.distributions or inventory.web_acls:
        notes.append(
            f"requests at the edge: {REQUESTS_PER_AWAKE_HOUR:,} per app per awake hour, "
            f"{REQUESTS_PER_ASLEEP_HOUR} per asleep hour (assumed)"
        )
    if inventory.distributions:
        notes.append(
            "CloudFront: the always-free tier (1 TB out and 10M requests a month) is not deducted; "
            f"data transfer out ${prices.cloudfront_gb}/GB not included; the VPC origin costs nothing"
        )
    if inventory.internal_load_balancer_azs:
        notes.append(f"internal ALB: no public IPv4 address in its {inventory.internal_load_balancer_azs} AZs")
    mau_prices = dict(prices.cognito_mau)
    for tier in inventory.user_pool_tiers:
        free = "no free tier" if tier == "PLUS" else f"above the first {prices.cognito_free_mau:,} a month"
        price = mau_prices.get(tier)
        figure = f"${price}" if price is not None else "see the Cognito pricing page"
        notes.append(f"Cognito user pool ({tier}): {figure} per monthly active user, {free} (not estimated)")
    if inventory.certificates:
        notes.append(f"{inventory.certificates} ACM certificate(s): free")
    if inventory.dns_records:
        notes.append(
            f"{inventory.dns_records} Route 53 alias record(s): queries free; the hosted zone is yours "
            f"(${prices.hosted_zone_month:.2f}/month, not counted)"
        )
    return notes


def inventory_from_templates(templates: Mapping[str, Mapping[str, Any]]) -> Inventory:
    """Count what costs money in CloudFormation templates (stack name -> template), as CDK synthesizes them."""
    counts = {
        "nat": 0,
        "eip": 0,
        "interface": 0,
        "gateway": 0,
        "alarms": 0,
        "dashboards": 0,
        "kms": 0,
        "secrets": 0,
        "parameters": 0,
        "https": 0,
        "distributions": 0,
        "web_acls": 0,
        "rules": 0,
        "certificates": 0,
        "records": 0,
    }
    load_balancers = azs = internal_azs = 0
    user_pool_tiers: list[str] = []
    apps: list[AppTasks] = []
    scaled_apps = 0
    runs_per_hour = 0.0
    scaler_memory_gb = 0.25
    waker_memory_gb = 0.25
    for stack_name, template in sorted(templates.items()):
        resources: Mapping[str, Any] = template.get("Resources", {})
        by_type: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for logical_id, resource in resources.items():
            by_type.setdefault(resource["Type"], []).append((logical_id, resource.get("Properties", {})))

        def of(resource_type: str, by_type=by_type) -> list[tuple[str, Mapping[str, Any]]]:
            return by_type.get(resource_type, [])

        for _, properties in of("AWS::ElasticLoadBalancingV2::LoadBalancer"):
            if properties.get("Type", "application") == "application":
                load_balancers += 1
                subnets = len(properties.get("Subnets") or properties.get("SubnetMappings") or [])
                azs += subnets
                if properties.get("Scheme", "internet-facing") == "internal":
                    internal_azs += subnets
        counts["https"] += sum(
            1 for _, properties in of("AWS::ElasticLoadBalancingV2::Listener") if properties.get("Protocol") == "HTTPS"
        )
        counts["distributions"] += len(of("AWS::CloudFront::Distribution"))
        for _, properties in of("AWS::WAFv2::WebACL"):
            counts["web_acls"] += 1
            counts["rules"] += len(properties.get("Rules") or [])
        user_pool_tiers.extend(
            properties.get("UserPoolTier", DEFAULT_USER_POOL_TIER) for _, properties in of("AWS::Cognito::UserPool")
        )
        counts["certificates"] += len(of("AWS::CertificateManager::Certificate"))
        counts["records"] += len(of("AWS::Route53::RecordSet"))
        counts["nat"] += len(of("AWS::EC2::NatGateway"))
        counts["eip"] += len(of("AWS::EC2::EIP"))
        for _, properties in of("AWS::EC2::VPCEndpoint"):
            if properties.get("VpcEndpointType") == "Interface":
                counts["interface"] += len(properties.get("SubnetIds", []))
            else:
                counts["gateway"] += 1
        counts["alarms"] += len(of("AWS::CloudWatch::Alarm"))
        counts["dashboards"] += len(of("AWS::CloudWatch::Dashboard"))
        counts["kms"] += len(of("AWS::KMS::Key"))
        counts["secrets"] += len(of("AWS::SecretsManager::Secret"))
        counts["parameters"] += sum(
            1 for _, properties in of("AWS::SSM::Parameter") if properties.get("Tier") in STANDARD_PARAMETER_TIERS
        )

        functions = [properties for _, properties in of("AWS::Lambda::Function")]
        for properties in functions:
            if properties.get("Handler") == WAKER_HANDLER:
                scaled_apps += 1
                waker_memory_gb = properties.get("MemorySize", 128) / 1024
            if properties.get("Handler") == SCALER_HANDLER:
                scaler_memory_gb = properties.get("MemorySize", 128) / 1024
                for schedule_type in SCHEDULE_TYPES:
                    for _, rule in of(schedule_type):
                        runs_per_hour += _runs_per_hour(rule.get("ScheduleExpression", ""))

        task_definitions = dict(of("AWS::ECS::TaskDefinition"))
        min_tasks = [
            int(properties["MinCapacity"])
            for _, properties in of("AWS::ApplicationAutoScaling::ScalableTarget")
            if properties.get("ScalableDimension") == "ecs:service:DesiredCount"
        ]
        for index, (_, service) in enumerate(of("AWS::ECS::Service")):
            task = task_definitions[service["TaskDefinition"]["Ref"]]
            network = service.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
            apps.append(
                AppTasks(
                    name=stack_name.rsplit("-App-", 1)[-1],
                    vcpu=int(task["Cpu"]) / 1024,
                    memory_gb=int(task["Memory"]) / 1024,
                    tasks=min_tasks[index] if index < len(min_tasks) else 1,
                    public_ip=network.get("AssignPublicIp") == "ENABLED",
                )
            )
    return Inventory(
        apps=tuple(apps),
        load_balancers=load_balancers,
        load_balancer_azs=azs,
        internal_load_balancer_azs=internal_azs,
        https_listeners=counts["https"],
        distributions=counts["distributions"],
        web_acls=counts["web_acls"],
        web_acl_rules=counts["rules"],
        user_pool_tiers=tuple(user_pool_tiers),
        certificates=counts["certificates"],
        dns_records=counts["records"],
        nat_gateways=counts["nat"],
        elastic_ips=counts["eip"],
        interface_endpoint_azs=counts["interface"],
        gateway_endpoints=counts["gateway"],
        alarms=counts["alarms"],
        dashboards=counts["dashboards"],
        kms_keys=counts["kms"],
        secrets=counts["secrets"],
        ssm_parameters=counts["parameters"],
        scaler_runs_per_hour=runs_per_hour,
        scaler_memory_gb=scaler_memory_gb,
        scaled_apps=scaled_apps,
        waker_memory_gb=waker_memory_gb,
    )


def _runs_per_hour(expression: str) -> float:
    match = RATE_PATTERN.match(expression)
    if not match:
        return 0.0
    every = int(match.group(1))
    return 60 / every if match.group(2).startswith("minute") else 1 / every


def report(ours: Estimate, reference: Estimate) -> str:
    """Both estimates side by side: every line's fixed and variable part, then totals."""
    width = max(len(line.item) for line in ours.lines) + 2
    header = f"{'':{width}}{ours.title:>22}{reference.title:>22}"
    sub = f"{'':{width}}{'fixed':>11}{'variable':>11}{'fixed':>11}{'variable':>11}"
    rows = [
        f"Monthly cost, {REGION} list prices of {PRICES_AS_OF}, {HOURS_PER_MONTH} h/month, "
        f"apps awake {ours.awake_fraction:.0%} of the time",
        "",
        header,
        sub,
    ]
    for mine, theirs in zip(ours.lines, reference.lines, strict=True):
        if not any((mine.fixed, mine.variable, theirs.fixed, theirs.variable)):
            continue
        rows.append(
            f"{mine.item:{width}}{_money(mine.fixed):>11}{_money(mine.variable):>11}"
            f"{_money(theirs.fixed):>11}{_money(theirs.variable):>11}   {mine.detail}"
        )
    rows.append(
        f"{'subtotal':{width}}{_money(ours.fixed):>11}{_money(ours.variable):>11}"
        f"{_money(reference.fixed):>11}{_money(reference.variable):>11}"
    )
    rows.append(f"{'total':{width}}{_money(ours.total):>22}{_money(reference.total):>22}")
    for estimate_ in (ours, reference):
        rows.extend(f"note ({estimate_.title}): {note}" for note in estimate_.notes)
    rows.append(
        "Not included: data transfer (ALB or CloudFront), NAT data processing, CloudWatch Logs (the EMF lines too), "
        "Secrets Manager API calls, tasks above minTasks, ECR/S3 storage, free tiers (zerodash/cost.py)."
    )
    return "\n".join(rows)


def _money(value: float) -> str:
    return f"${value:,.2f}" if value else "-"


def as_way_in(inventory: Inventory, *, way: str, waf: bool) -> Inventory:
    """The same deployment behind another way in: only what the way in changes in price changes.

    - http: an internet-facing ALB (a public IPv4 address per AZ), no HTTPS listener, no distribution.
    - domain: as http plus an HTTPS listener per ALB (the certificate and the alias records are free).
    - cloudfront: the ALB internal (its AZs without public IPv4 addresses), no HTTPS listener on it, one
      CloudFront distribution (a VPC origin to the ALB: free) and its requests.
    - waf: one web ACL where the traffic enters (the ALB, or the distribution), with the configured web ACL's rules
      if it has one, else ZeroDash's WAF_RULES; without: none.
    Apps, tasks, the scaler, alarms, dashboards and the rest stay as configured.
    """
    if way not in WAYS_IN:
        raise ValueError(f"way must be one of {', '.join(WAYS_IN)}, got {way!r}")
    cloudfront = way == "cloudfront"
    return replace(
        inventory,
        internal_load_balancer_azs=inventory.load_balancer_azs if cloudfront else 0,
        https_listeners=max(inventory.https_listeners, inventory.load_balancers) if way == "domain" else 0,
        distributions=max(inventory.distributions, 1) if cloudfront else 0,
        web_acls=max(inventory.web_acls, 1) if waf else 0,
        web_acl_rules=(inventory.web_acl_rules if inventory.web_acls else WAF_RULES) if waf else 0,
    )


@dataclass(frozen=True)
class WayInCost:
    """One way in's monthly totals: asleep all month and at the awake fraction."""

    way: str
    waf: bool
    configured: bool  # as_way_in left the configured inventory as it is: this row is the configured deployment
    asleep: Estimate
    awake: Estimate
    dashboards: float  # the dashboards' list price, included in both estimates

    @property
    def label(self) -> str:
        name = {"http": "http", "domain": "domain (HTTPS)", "cloudfront": "cloudfront (HTTPS)"}[self.way]
        return name + (" + WAF" if self.waf else "")


def compare_ways_in(
    inventory: Inventory,
    awake_fraction: float,
    *,
    prices: Prices = PRICES,
    wakes_per_awake_hour: float = WAKES_PER_AWAKE_HOUR,
) -> tuple[WayInCost, ...]:
    """Each way in, without and with WAF, priced from `inventory` by `as_way_in`."""
    dashboards = inventory.dashboards * prices.dashboard_month
    costs = []
    for way in WAYS_IN:
        for waf in (False, True):
            variant = as_way_in(inventory, way=way, waf=waf)
            costs.append(
                WayInCost(
                    way=way,
                    waf=waf,
                    configured=variant == inventory,
                    asleep=estimate(variant, 0.0, prices=prices, wakes_per_awake_hour=wakes_per_awake_hour),
                    awake=estimate(variant, awake_fraction, prices=prices, wakes_per_awake_hour=wakes_per_awake_hour),
                    dashboards=dashboards,
                )
            )
    return tuple(costs)


def ways_in_table(costs: tuple[WayInCost, ...], *, prices: Prices = PRICES) -> str:
    """Monthly totals per way in; the right-hand pair without the dashboards' list price (the account's first 3)."""
    awake = f"awake {costs[0].awake.awake_fraction:.0%}"
    labels = [cost.label + (" (configured)" if cost.configured else "") for cost in costs]
    width = max(len(label) for label in labels) + 2
    rows = [
        "Each way in, same apps and settings (zerodash/cost.py as_way_in), monthly total:",
        f"{'':{width}}{'list prices':>22}{'dashboards free':>22}",
        f"{'way in':{width}}{'asleep':>11}{awake:>11}{'asleep':>11}{awake:>11}",
    ]
    for label, cost in zip(labels, costs, strict=True):
        free = min(cost.dashboards, FREE_DASHBOARDS * prices.dashboard_month)
        rows.append(
            f"{label:{width}}{_money(cost.asleep.total):>11}{_money(cost.awake.total):>11}"
            f"{_money(cost.asleep.total - free):>11}{_money(cost.awake.total - free):>11}"
        )
    rows += [
        f"dashboards free: the deployment's dashboards among the account's first {FREE_DASHBOARDS}, which CloudWatch "
        "does not bill.",
        f"WAF: one web ACL, with the configured web ACL's rules or else ZeroDash's {WAF_RULES} (managed common rule "
        "set, per-IP rate limit).",
        "HTTPS certificates, alias records and the VPC origin are free; the hosted zone (domain way) is yours.",
    ]
    return "\n".join(rows)
