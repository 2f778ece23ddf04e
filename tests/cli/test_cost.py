"""`zerodash cost`: monthly cost at list prices, checked against figures computed by hand below.

Prices (zerodash/prices.py, us-east-1): Fargate $0.04048/vCPU-h and $0.004445/GB-h; ALB $0.0225/h and $0.008 per
LCU-h; public IPv4 $0.005/h; NAT gateway $0.045/h; Lambda $0.20 per 1M requests and $0.0000166667 per GB-s;
GetMetricData $0.01 per 1,000 metrics; custom metrics $0.30 per metric-month, billed for the hours a metric has
data; alarm $0.10 and dashboard $3 per month; Secrets Manager $0.40 per secret per month. A month is 730 hours.

The inventories are built by hand: the infra is changing, so only one test synthesizes the stacks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zerodash import cli
from zerodash.cost import (
    ALWAYS_ON_ARTICLE,
    WAKER_CALLS_PER_WAKE,
    WAKER_REQUESTS_PER_ASLEEP_HOUR,
    WAKES_PER_AWAKE_HOUR,
    AppTasks,
    Inventory,
    estimate,
    inventory_from_templates,
    report,
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
