"""`zerodash cost`: monthly cost at list prices, checked against figures computed by hand below.

Prices (zerodash/prices.py, us-east-1): Fargate $0.04048/vCPU-h and $0.004445/GB-h; ALB $0.0225/h and $0.008 per
LCU-h; public IPv4 $0.005/h; NAT gateway $0.045/h; Lambda $0.20 per 1M requests and $0.0000166667 per GB-s;
GetMetricData $0.01 per 1,000 metrics; custom metrics $0.30 per metric-month, billed for the hours a metric has
data; alarm $0.10 and dashboard $3 per month; Secrets Manager $0.40 per secret per month. A month is 730 hours.
The edge: CloudFront $0.0100 per 10,000 HTTPS requests; WAF $5 per web ACL and $1 per rule per month, $0.60 per
million requests; requests at the edge: 2,000 per app per awake hour, 60 per asleep hour (zerodash/cost.py).

The inventories are built by hand: the infra is changing, so only one test synthesizes the stacks.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from zerodash import cli
from zerodash.cost import (
    ALWAYS_ON_ARTICLE,
    REQUESTS_PER_ASLEEP_HOUR,
    REQUESTS_PER_AWAKE_HOUR,
    WAKER_CALLS_PER_WAKE,
    WAKER_REQUESTS_PER_ASLEEP_HOUR,
    WAKES_PER_AWAKE_HOUR,
    AppTasks,
    Inventory,
    as_way_in,
    compare_ways_in,
    estimate,
    inventory_from_templates,
    report,
    ways_in_table,
)

# The default ZeroDash (cdk.json): one app of 512 cpu / 1024 MiB, minTasks 1, in a public subnet (no NAT), one
# ALB in 2 AZs, one scaler (256 MB, every minute), a waker per app (256 MB), 4 alarms (5xx rate, unhealthy targets,
# waker errors; scaler errors), 1 dashboard, the wake-token secret and the app's SSM parameter.
DEFAULT = Inventory(
    apps=(AppTasks(name="dashboard", vcpu=0.5, memory_gb=1, tasks=1, public_ip=True),),
    load_balancers=1,
    load_balancer_azs=2,
    alarms=4,
    dashboards=1,
    secrets=1,
    ssm_parameters=1,
    scaler_runs_per_hour=60,
    scaler_memory_gb=0.25,
    scaled_apps=1,
    waker_memory_gb=0.25,
)
WAKER_CALL = 0.20 / 1_000_000 + 0.2 * 0.25 * 0.0000166667  # a request + 0.2 s at 256 MB


def _line(result, item: str) -> tuple[float, float]:
    (line,) = [line for line in result.lines if line.item == item]
    return line.fixed, line.variable


def test_default_deployment_awake_10_percent() -> None:
    result = estimate(DEFAULT, 0.1)
    awake_hours = 730 * 0.1  # 73 h
    # fixed
    alb = 0.0225 * 730  # 16.425
    alb_ipv4 = 2 * 0.005 * 730  # 7.30: one address per AZ
    alarms = 4 * 0.10  # 0.40
    dashboards = 1 * 3.00  # 3.00
    secret = 0.40
    # variable
    fargate = (0.5 * 0.04048 + 1 * 0.004445) * awake_hours  # 0.024685 $/h x 73 h = 1.802005
    task_ipv4 = 1 * 0.005 * awake_hours  # 0.365
    lcu = 1 * 0.008 * awake_hours  # 0.584: 1 LCU-hour per awake hour
    runs = 60 * 730  # 43,800 scaler runs
    scaler = runs * 0.20 / 1_000_000 + runs * 1.0 * 0.25 * 0.0000166667  # 0.00876 + 0.18250 = 0.19126
    get_metric_data = 60 * awake_hours * 1 * 0.01 / 1000  # 4,380 metrics (1 per run while awake) = 0.0438
    state = 0.30 * awake_hours / 730  # 0.03: State has data in the awake hours only
    wakes = 2 * awake_hours  # 146 wakes, each in an hour of its own
    wake_metrics = 3 * 0.30 * wakes / 730  # 0.18: ColdStarts, WakeSeconds, WakeRequests
    waker = (wakes * 62 + (730 - awake_hours) * 10) * WAKER_CALL  # 15,622 calls = 0.0161

    assert _line(result, "ALB") == pytest.approx((alb, 0))
    assert _line(result, "public IPv4 (ALB)") == pytest.approx((alb_ipv4, 0))
    assert _line(result, "Fargate tasks") == pytest.approx((0, fargate))
    assert _line(result, "public IPv4 (tasks)") == pytest.approx((0, task_ipv4))
    assert _line(result, "ALB LCUs") == pytest.approx((0, lcu))
    assert _line(result, "scaler invocations") == pytest.approx((0, scaler))
    assert _line(result, "GetMetricData") == pytest.approx((0, get_metric_data))
    assert _line(result, "metric State") == pytest.approx((0, state))
    assert _line(result, "wake metrics") == pytest.approx((0, wake_metrics))
    assert _line(result, "waker invocations") == pytest.approx((0, waker))
    assert _line(result, "wake-token secret") == pytest.approx((secret, 0))
    assert result.fixed == pytest.approx(alb + alb_ipv4 + alarms + dashboards + secret)  # 27.525
    variable = fargate + task_ipv4 + lcu + scaler + get_metric_data + state + wake_metrics + waker  # 3.21
    assert result.variable == pytest.approx(variable)
    assert result.total == pytest.approx(30.74, abs=0.005)


def test_the_documented_defaults_for_wakes_and_waker_calls() -> None:
    # 2 wakes per awake hour (bench/simulate.py's traces); per wake the page, the wake request and a status poll
    # every second for the default 60 s start; 10 scanner page loads per asleep hour.
    assert (WAKES_PER_AWAKE_HOUR, WAKER_CALLS_PER_WAKE, WAKER_REQUESTS_PER_ASLEEP_HOUR) == (2.0, 62.0, 10)


@pytest.mark.parametrize("item", ["GetMetricData", "metric State", "Fargate tasks"])
def test_awake_only_costs_scale_with_the_awake_fraction(item: str) -> None:
    tenth, fifth = _line(estimate(DEFAULT, 0.1), item)[1], _line(estimate(DEFAULT, 0.2), item)[1]

    assert fifth == pytest.approx(2 * tenth)
    assert _line(estimate(DEFAULT, 0.0), item) == (0, 0)


def test_get_metric_data_asks_one_metric_per_app_per_run_while_awake() -> None:
    two_apps = Inventory(apps=DEFAULT.apps * 2, scaler_runs_per_hour=60, scaled_apps=2)

    result = estimate(two_apps, 0.5)

    assert _line(result, "GetMetricData") == pytest.approx((0, 60 * 365 * 2 * 0.01 / 1000))  # 43,800 metrics


def test_the_wake_token_secret_is_a_fixed_line_whatever_the_traffic() -> None:
    assert _line(estimate(DEFAULT, 0.0), "wake-token secret") == (0.40, 0)
    assert _line(estimate(DEFAULT, 1.0), "wake-token secret") == (0.40, 0)


def test_wake_metrics_scale_with_the_wakes_and_stop_at_every_hour_of_the_month() -> None:
    one, two = (_line(estimate(DEFAULT, 0.1, wakes_per_awake_hour=wakes), "wake metrics")[1] for wakes in (1.0, 2.0))
    busy = _line(estimate(DEFAULT, 1.0, wakes_per_awake_hour=5), "wake metrics")[1]

    assert two == pytest.approx(2 * one)
    assert busy == pytest.approx(3 * 0.30)  # 3 metrics with data in every hour: 3 full metric-months


def test_waker_invocations_are_small_and_shown() -> None:
    result = estimate(DEFAULT, 0.1)

    (line,) = [line for line in result.lines if line.item == "waker invocations"]
    assert 0 < line.variable < 0.05
    assert line.detail.startswith("15,622 calls")
    assert "wakes per awake hour: 2 (--wakes-per-awake-hour)" in result.notes[0]


def test_ssm_parameters_are_free_and_noted() -> None:
    result = estimate(DEFAULT, 0.1)

    assert "1 SSM standard parameters (the app list): free" in result.notes


def test_article_always_on_architecture_awake_10_percent() -> None:
    result = estimate(ALWAYS_ON_ARTICLE, 0.1)
    # fixed: ALB 16.425 + its 2 addresses 7.30 + 2 NAT gateways 2 x 0.045 x 730 = 65.70 + their 2 Elastic IPs 7.30
    fixed = 0.0225 * 730 + 2 * 0.005 * 730 + 2 * 0.045 * 730 + 2 * 0.005 * 730  # 96.725
    # variable: 2 tasks x (0.5 x 0.04048 + 4 x 0.004445) = 0.07604 $/h, all 730 h = 55.5092; LCUs 0.584 (same traffic)
    variable = 2 * (0.5 * 0.04048 + 4 * 0.004445) * 730 + 0.008 * 73
    assert result.fixed == pytest.approx(fixed)
    assert result.variable == pytest.approx(variable)
    assert result.total == pytest.approx(152.82, abs=0.005)


def test_nat_private_tasks_and_two_apps_every_five_minutes() -> None:
    inventory = Inventory(
        apps=(
            AppTasks(name="dashboard", vcpu=0.5, memory_gb=1, tasks=1, public_ip=False),
            AppTasks(name="sales", vcpu=0.5, memory_gb=1, tasks=2, public_ip=False),
        ),
        load_balancer_azs=2,
        nat_gateways=1,
        elastic_ips=1,
        gateway_endpoints=1,
        alarms=7,
        dashboards=2,
        kms_keys=1,
        scaler_runs_per_hour=12,
        scaled_apps=2,
    )
    result = estimate(inventory, 0.25)
    awake_hours = 730 * 0.25  # 182.5 h
    # fixed: ALB 16.425 + ALB IPv4 7.30 + NAT 32.85 + its EIP 3.65 + S3 gateway endpoint 0 + 7 alarms 0.70
    # + 2 dashboards 6.00 + KMS key 1.00 = 67.925
    assert result.fixed == pytest.approx(16.425 + 7.30 + 32.85 + 3.65 + 0.70 + 6.00 + 1.00)
    # variable: 3 tasks x 0.024685 x 182.5 = 13.5150375; no task IPv4 (private); LCU 0.008 x 182.5 = 1.46;
    # 12 x 730 = 8,760 runs: 0.001752 + 8,760 x 0.25 x 0.0000166667 = 0.0365; GetMetricData 12 x 182.5 x 2 = 4,380
    # metrics = 0.0438; State 2 x 182.5 h = 0.15; wake metrics 2 x 3 x 365 h = 0.90; waker 2 x (365 x 62 + 547.5 x 10)
    # = 56,210 calls = 0.0581
    fargate = 3 * 0.024685 * awake_hours
    scaler = 8760 * 0.2e-6 + 8760 * 0.25 * 0.0000166667
    metrics = 4_380 * 0.00001 + 2 * 182.5 * 0.30 / 730 + 2 * 3 * 365 * 0.30 / 730
    waker = 56_210 * WAKER_CALL
    assert result.variable == pytest.approx(fargate + 0.008 * awake_hours + scaler + metrics + waker)


def test_without_a_scaler_tasks_run_all_month_and_nothing_wakes() -> None:
    always_on = Inventory(apps=(AppTasks(name="dashboard", vcpu=0.5, memory_gb=1, tasks=2),))
    result = estimate(always_on, 0.1)
    assert _line(result, "Fargate tasks") == pytest.approx((0, 2 * 0.024685 * 730))  # 36.0401
    for item in ("GetMetricData", "metric State", "wake metrics", "waker invocations"):
        assert _line(result, item) == (0, 0)
    assert result.notes == ("no scaler: tasks run all month",)


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_awake_fraction_outside_0_to_1_is_rejected(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        estimate(DEFAULT, fraction)


def test_negative_wakes_are_rejected() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        estimate(DEFAULT, 0.1, wakes_per_awake_hour=-1)


def _template(**resources: dict) -> dict:
    return {"Resources": resources}


TEMPLATES = {
    "ZeroDash-Platform": _template(
        Alb={
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {"Type": "application", "Subnets": [{"Ref": "A"}, {"Ref": "B"}]},
        },
        Nat={"Type": "AWS::EC2::NatGateway", "Properties": {}},
        Eip={"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
        S3={"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},
        Key={"Type": "AWS::KMS::Key", "Properties": {}},
        TokenSecret={"Type": "AWS::SecretsManager::Secret", "Properties": {}},
    ),
    "ZeroDash-App-sales": _template(
        Task={"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "1024", "Memory": "3072"}},
        Service={
            "Type": "AWS::ECS::Service",
            "Properties": {
                "TaskDefinition": {"Ref": "Task"},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED"}},
            },
        },
        Count={
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {"ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 2, "MaxCapacity": 3},
        },
        Waker={"Type": "AWS::Lambda::Function", "Properties": {"Handler": "waker.handler.handler", "MemorySize": 512}},
        AppObject={"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Tier": "Standard"}},
        Alarm={"Type": "AWS::CloudWatch::Alarm", "Properties": {}},
        Dashboard={"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
    ),
    "ZeroDash-Scaler": _template(
        Scaler={
            "Type": "AWS::Lambda::Function",
            "Properties": {"Handler": "scaler.handler.handler", "MemorySize": 512},
        },
        Schedule={"Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": "rate(5 minutes)"}},
        Alarm={"Type": "AWS::CloudWatch::Alarm", "Properties": {}},
    ),
}


def test_inventory_counts_what_costs_money_in_the_templates() -> None:
    assert inventory_from_templates(TEMPLATES) == Inventory(
        apps=(AppTasks(name="sales", vcpu=1, memory_gb=3, tasks=2, public_ip=False),),
        load_balancers=1,
        load_balancer_azs=2,
        nat_gateways=1,
        elastic_ips=1,
        gateway_endpoints=1,
        alarms=2,
        dashboards=1,
        kms_keys=1,
        secrets=1,
        ssm_parameters=1,
        scaler_runs_per_hour=12,
        scaler_memory_gb=0.5,
        scaled_apps=1,
        waker_memory_gb=0.5,
    )


def test_report_prints_both_architectures_with_fixed_variable_and_totals() -> None:
    text = report(estimate(DEFAULT, 0.1), estimate(ALWAYS_ON_ARTICLE, 0.1, title="always on (article)"))
    assert "apps awake 10% of the time" in text
    assert "always on (article)" in text
    assert "NAT gateways" in text
    assert "wake-token secret" in text
    assert "1 per app per run while awake" in text
    total = next(line for line in text.splitlines() if line.startswith("total"))
    assert total.split() == ["total", "$30.74", "$152.82"]


def test_cli_reads_an_existing_cloud_assembly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, template in TEMPLATES.items():
        (tmp_path / f"{name}.template.json").write_text(json.dumps(template))
    assert cli.main(["cost", "--awake-fraction", "0.5", "--cdk-out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "apps awake 50% of the time" in out
    assert "1x 1 vCPU/3 GB" not in out  # the sales app runs 2 tasks
    assert "2x 1 vCPU/3 GB" in out
    assert "Each way in" in out
    assert "http (configured)" in out


def test_cli_passes_the_wakes_per_awake_hour_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, template in TEMPLATES.items():
        (tmp_path / f"{name}.template.json").write_text(json.dumps(template))
    assert cli.main(["cost", "--awake-fraction", "0.1", "--wakes-per-awake-hour", "1", "--cdk-out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 app(s) x 3 x 73 h with a wake" in out
    assert "wakes per awake hour: 1" in out


def test_cli_without_templates_says_how_to_make_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cost", "--cdk-out", str(tmp_path)]) == 2
    assert "make synth" in capsys.readouterr().err


@pytest.mark.parametrize("fraction", ["2", "x"])
def test_cli_rejects_a_bad_awake_fraction(fraction: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["cost", "--awake-fraction", fraction])
    assert exited.value.code == 2


@pytest.mark.parametrize("wakes", ["-1", "x", "inf"])
def test_cli_rejects_bad_wakes_per_awake_hour(wakes: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["cost", "--wakes-per-awake-hour", wakes])
    assert exited.value.code == 2


def test_cli_rejects_context_that_is_not_a_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cost", "--context-json", "[1]"]) == 2
    assert "--context-json must be a JSON object" in capsys.readouterr().err


def test_make_cost_synthesizes_the_stacks_and_prices_them(capsys: pytest.CaptureFixture[str]) -> None:
    """The one synthesizing test: only what holds for the templates before and after the infra's change."""
    code = cli.main(["cost", "--awake-fraction", "0.1"])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    items = {line.split("  ")[0] for line in captured.out.splitlines()}
    assert {"ALB", "Fargate tasks", "scaler invocations", "GetMetricData", "metric State", "subtotal"} <= items
    assert "1x 0.5 vCPU/1 GB, 73 h" in captured.out
    ways = [line.split("  ")[0] for line in captured.out.split("Each way in", 1)[1].splitlines()]
    assert {"http", "http + WAF", "cloudfront (HTTPS)", "cloudfront (HTTPS) + WAF"} <= {
        w.split(" (conf")[0] for w in ways
    }


# --- The edge (issue 10): ways in, WAF, login -------------------------------------------------------------------

ASLEEP_REQUESTS = 730 * 60  # 43,800: a month of scanners and crawlers at the edge
AWAKE_10_REQUESTS = 1 * 2_000 * 73 + (730 - 73) * 60  # 146,000 + 39,420 = 185,420 for one app awake 10%
CLOUDFRONT_REQUEST = 0.0100 / 10_000
WAF_REQUEST = 0.60 / 1_000_000


def test_the_documented_request_assumptions() -> None:
    assert (REQUESTS_PER_AWAKE_HOUR, REQUESTS_PER_ASLEEP_HOUR) == (2_000, 60)


def _alb(scheme: str, subnets: int = 2) -> dict:
    return {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {"Type": "application", "Scheme": scheme, "Subnets": [{"Ref": f"S{i}"} for i in range(subnets)]},
    }


def _web_acl(rules: int) -> dict:
    return {
        "Type": "AWS::WAFv2::WebACL",
        "Properties": {"Scope": "CLOUDFRONT", "Rules": [{"Name": f"r{i}", "Priority": i} for i in range(rules)]},
    }


def test_an_internal_alb_has_no_public_addresses() -> None:
    inventory = inventory_from_templates({"ZeroDash-Platform": _template(Alb=_alb("internal"))})

    assert (inventory.load_balancers, inventory.load_balancer_azs, inventory.internal_load_balancer_azs) == (1, 2, 2)
    assert inventory.public_load_balancer_azs == 0
    assert _line(estimate(inventory, 0.1), "public IPv4 (ALB)") == (0, 0)
    assert _line(estimate(inventory, 0.1), "ALB") == pytest.approx((0.0225 * 730, 0))  # still billed by the hour


def test_an_internet_facing_alb_has_an_address_per_az_whether_the_scheme_is_said_or_not() -> None:
    said = inventory_from_templates({"P": _template(Alb=_alb("internet-facing", subnets=3))})
    unsaid = inventory_from_templates(
        {"P": _template(Alb={"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": [1, 2]}})}
    )

    assert (said.public_load_balancer_azs, unsaid.public_load_balancer_azs) == (3, 2)


def test_inventory_counts_the_edge_distribution_waf_rules_and_login() -> None:
    templates = {
        "ZeroDash-Platform": _template(
            Alb=_alb("internal"),
            Http={"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"Protocol": "HTTP", "Port": 80}},
            Distribution={"Type": "AWS::CloudFront::Distribution", "Properties": {}},
            Origin={"Type": "AWS::CloudFront::VpcOrigin", "Properties": {}},
            Acl=_web_acl(3),
            Pool={"Type": "AWS::Cognito::UserPool", "Properties": {}},
            LitePool={"Type": "AWS::Cognito::UserPool", "Properties": {"UserPoolTier": "LITE"}},
        ),
        "ZeroDash-Edge": _template(Acl=_web_acl(2)),
    }

    inventory = inventory_from_templates(templates)

    assert (inventory.distributions, inventory.web_acls, inventory.web_acl_rules) == (1, 2, 5)
    assert inventory.https_listeners == 0
    assert inventory.user_pool_tiers == ("ESSENTIALS", "LITE")  # a pool without UserPoolTier is ESSENTIALS
    assert inventory.way_in == "cloudfront"


def test_inventory_counts_the_domain_way_https_listener_certificate_and_records() -> None:
    templates = {
        "ZeroDash-Platform": _template(
            Alb=_alb("internet-facing"),
            Redirect={"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"Protocol": "HTTP", "Port": 80}},
            Https={"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"Protocol": "HTTPS", "Port": 443}},
            Certificate={"Type": "AWS::CertificateManager::Certificate", "Properties": {}},
            A={"Type": "AWS::Route53::RecordSet", "Properties": {"Type": "A"}},
            Aaaa={"Type": "AWS::Route53::RecordSet", "Properties": {"Type": "AAAA"}},
        )
    }

    inventory = inventory_from_templates(templates)

    assert (inventory.https_listeners, inventory.certificates, inventory.dns_records) == (1, 1, 2)
    assert (inventory.public_load_balancer_azs, inventory.distributions, inventory.web_acls) == (2, 0, 0)
    assert inventory.way_in == "domain"
    assert inventory_from_templates(TEMPLATES).way_in == "http"


def test_cloudfront_requests_and_waf_are_priced_from_the_assumed_requests() -> None:
    inventory = replace(DEFAULT, internal_load_balancer_azs=2, distributions=1, web_acls=1, web_acl_rules=2)

    asleep, awake = estimate(inventory, 0.0), estimate(inventory, 0.1)

    assert _line(asleep, "CloudFront requests") == pytest.approx((0, ASLEEP_REQUESTS * CLOUDFRONT_REQUEST))  # 0.0438
    assert _line(awake, "CloudFront requests") == pytest.approx((0, AWAKE_10_REQUESTS * CLOUDFRONT_REQUEST))  # 0.185
    assert _line(awake, "WAF web ACLs") == pytest.approx((5.00 + 2 * 1.00, 0))
    assert _line(awake, "WAF requests") == pytest.approx((0, AWAKE_10_REQUESTS * WAF_REQUEST))  # 0.111
    assert _line(awake, "public IPv4 (ALB)") == (0, 0)


def test_without_a_distribution_or_web_acl_the_edge_costs_nothing() -> None:
    result = estimate(DEFAULT, 0.1)

    for item in ("CloudFront requests", "WAF web ACLs", "WAF requests"):
        assert _line(result, item) == (0, 0)


def test_free_and_per_user_parts_of_the_edge_are_noted_not_summed() -> None:
    with_edge = replace(DEFAULT, user_pool_tiers=("LITE", "PLUS"), certificates=1, dns_records=2, https_listeners=1)

    result = estimate(with_edge, 0.1)

    assert result.total == pytest.approx(estimate(DEFAULT, 0.1).total)
    assert "Cognito user pool (LITE): $0.0055 per monthly active user, above the first 10,000 a month" in " ".join(
        result.notes
    )
    assert any(
        note.startswith("Cognito user pool (PLUS): $0.02 per monthly active user, no free tier")
        for note in result.notes
    )
    assert "1 ACM certificate(s): free" in result.notes
    assert any(note.startswith("2 Route 53 alias record(s): queries free") for note in result.notes)


@pytest.mark.parametrize("configured", ["http", "domain", "cloudfront"])
def test_as_way_in_changes_only_what_the_way_in_prices(configured: str) -> None:
    start = as_way_in(DEFAULT, way=configured, waf=False)

    http, domain, cloudfront = (as_way_in(start, way=way, waf=False) for way in ("http", "domain", "cloudfront"))

    assert (http.public_load_balancer_azs, http.https_listeners, http.distributions) == (2, 0, 0)
    assert (domain.public_load_balancer_azs, domain.https_listeners, domain.distributions) == (2, 1, 0)
    assert (cloudfront.public_load_balancer_azs, cloudfront.internal_load_balancer_azs, cloudfront.distributions) == (
        0,
        2,
        1,
    )
    assert (http.way_in, domain.way_in, cloudfront.way_in) == ("http", "domain", "cloudfront")
    for variant in (http, domain, cloudfront):
        assert (variant.apps, variant.load_balancers, variant.alarms, variant.dashboards) == (
            DEFAULT.apps,
            1,
            4,
            1,
        )


def test_as_way_in_adds_zerodash_web_acl_or_keeps_the_configured_rules() -> None:
    plain = as_way_in(DEFAULT, way="http", waf=True)
    configured = as_way_in(replace(DEFAULT, web_acls=1, web_acl_rules=5), way="cloudfront", waf=True)
    removed = as_way_in(configured, way="cloudfront", waf=False)

    assert (plain.web_acls, plain.web_acl_rules) == (1, 2)  # the common rule set and the rate-based rule
    assert (configured.web_acls, configured.web_acl_rules) == (1, 5)
    assert (removed.web_acls, removed.web_acl_rules) == (0, 0)


def test_as_way_in_rejects_an_unknown_way() -> None:
    with pytest.raises(ValueError, match="http, domain, cloudfront"):
        as_way_in(DEFAULT, way="nlb", waf=False)


def test_each_way_in_costs_what_its_parts_cost() -> None:
    costs = {(cost.way, cost.waf): cost for cost in compare_ways_in(DEFAULT, 0.1)}
    http = costs["http", False]
    alb_ipv4 = 2 * 0.005 * 730  # 7.30
    waf_fixed = 5.00 + 2 * 1.00

    assert http.asleep.total == pytest.approx(estimate(DEFAULT, 0.0).total)
    assert http.awake.total == pytest.approx(estimate(DEFAULT, 0.1).total)
    assert costs["domain", False].asleep.total == pytest.approx(http.asleep.total)  # TLS on the ALB: no charge
    cloudfront = costs["cloudfront", False]
    assert cloudfront.asleep.total == pytest.approx(http.asleep.total - alb_ipv4 + ASLEEP_REQUESTS * CLOUDFRONT_REQUEST)
    assert cloudfront.awake.total == pytest.approx(http.awake.total - alb_ipv4 + AWAKE_10_REQUESTS * CLOUDFRONT_REQUEST)
    assert costs["http", True].asleep.total == pytest.approx(
        http.asleep.total + waf_fixed + ASLEEP_REQUESTS * WAF_REQUEST
    )
    assert costs["cloudfront", True].awake.total == pytest.approx(
        cloudfront.awake.total + waf_fixed + AWAKE_10_REQUESTS * WAF_REQUEST
    )
    assert [cost for cost in costs.values() if cost.configured] == [http]


def test_the_cloudfront_way_asleep_meets_the_issue_goal_when_the_dashboard_is_free() -> None:
    """Issue 10: one app asleep all month with HTTPS at most $20."""
    costs = {(cost.way, cost.waf): cost for cost in compare_ways_in(DEFAULT, 0.1)}
    cloudfront = costs["cloudfront", False]

    assert cloudfront.asleep.total - cloudfront.dashboards <= 20
    assert costs["domain", False].asleep.total - costs["domain", False].dashboards > 20


def test_the_ways_in_table_shows_totals_with_and_without_the_dashboards() -> None:
    costs = compare_ways_in(DEFAULT, 0.1)

    table = ways_in_table(costs)

    rows = {
        line.split("  ")[0]: line.split()[-4:]
        for line in table.splitlines()
        if line.startswith(("http", "domain", "cloudfront"))
    }
    assert list(rows) == [
        "http (configured)",
        "http + WAF",
        "domain (HTTPS)",
        "domain (HTTPS) + WAF",
        "cloudfront (HTTPS)",
        "cloudfront (HTTPS) + WAF",
    ]
    by_label = {cost.label + (" (configured)" if cost.configured else ""): cost for cost in costs}
    for label, figures in rows.items():
        cost = by_label[label]
        expected = (cost.asleep.total, cost.awake.total, cost.asleep.total - 3.00, cost.awake.total - 3.00)
        assert figures == [f"${value:,.2f}" for value in expected]
    assert "awake 10%" in table


def test_the_free_dashboards_are_at_most_the_account_s_first_three() -> None:
    five = replace(DEFAULT, dashboards=5)

    table = ways_in_table(compare_ways_in(five, 0.0))

    http = next(line for line in table.splitlines() if line.startswith("http (configured)"))
    total = estimate(five, 0.0).total
    assert http.split()[-4:] == [f"${total:,.2f}", f"${total:,.2f}", f"${total - 9:,.2f}", f"${total - 9:,.2f}"]


def test_no_way_in_is_marked_configured_when_none_is_the_configured_deployment() -> None:
    """An internal ALB without a distribution (an edge half built) is none of the ways in."""
    half_built = replace(DEFAULT, internal_load_balancer_azs=2)
    domain_with_waf = replace(DEFAULT, https_listeners=1, web_acls=1, web_acl_rules=3)

    assert not any(cost.configured for cost in compare_ways_in(half_built, 0.1))
    assert [(cost.way, cost.waf) for cost in compare_ways_in(domain_with_waf, 0.1) if cost.configured] == [
        ("domain", True)
    ]
