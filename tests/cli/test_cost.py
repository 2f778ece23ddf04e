"""`zerodash cost`: monthly cost at list prices, checked against figures computed by hand below.

Prices (zerodash/prices.py, us-east-1): Fargate $0.04048/vCPU-h and $0.004445/GB-h; ALB $0.0225/h and $0.008 per
LCU-h; public IPv4 $0.005/h; NAT gateway $0.045/h; Lambda $0.20 per 1M requests and $0.0000166667 per GB-s;
GetMetricData $0.01 per 1,000 metrics; alarm $0.10 and dashboard $3 per month. A month is 730 hours.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zerodash import cli
from zerodash.cost import ALWAYS_ON_ARTICLE, AppTasks, Inventory, estimate, inventory_from_templates, report

# The default ZeroDash (cdk.json): one app of 512 cpu / 1024 MiB, minTasks 1, in a public subnet (no NAT), one
# ALB in 2 AZs, one scaler (256 MB, every minute), a waker per app, 4 alarms (5xx rate, unhealthy targets, waker
# errors; scaler errors) and 1 dashboard.
DEFAULT = Inventory(
    apps=(AppTasks(name="dashboard", vcpu=0.5, memory_gb=1, tasks=1, public_ip=True),),
    load_balancers=1,
    load_balancer_azs=2,
    alarms=4,
    dashboards=1,
    scaler_runs_per_hour=60,
    scaler_memory_gb=0.25,
    scaled_apps=1,
)


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
    # variable
    fargate = (0.5 * 0.04048 + 1 * 0.004445) * awake_hours  # 0.024685 $/h x 73 h = 1.802005
    task_ipv4 = 1 * 0.005 * awake_hours  # 0.365
    lcu = 1 * 0.008 * awake_hours  # 0.584: 1 LCU-hour per awake hour
    runs = 60 * 730  # 43,800 scaler runs
    scaler = runs * 0.20 / 1_000_000 + runs * 1.0 * 0.25 * 0.0000166667  # 0.00876 + 0.18250 = 0.19126
    get_metric_data = runs * 3 * 1 * 0.01 / 1000  # 131,400 metrics = 1.314

    assert _line(result, "ALB") == pytest.approx((alb, 0))
    assert _line(result, "public IPv4 (ALB)") == pytest.approx((alb_ipv4, 0))
    assert _line(result, "Fargate tasks") == pytest.approx((0, fargate))
    assert _line(result, "public IPv4 (tasks)") == pytest.approx((0, task_ipv4))
    assert _line(result, "ALB LCUs") == pytest.approx((0, lcu))
    assert _line(result, "scaler invocations") == pytest.approx((0, scaler))
    assert _line(result, "GetMetricData") == pytest.approx((0, get_metric_data))
    assert result.fixed == pytest.approx(alb + alb_ipv4 + alarms + dashboards)  # 27.125
    assert result.variable == pytest.approx(fargate + task_ipv4 + lcu + scaler + get_metric_data)  # 4.25626
    assert result.total == pytest.approx(31.38, abs=0.005)


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
    # 12 x 730 = 8,760 runs: 0.001752 + 8,760 x 0.25 x 0.0000166667 = 0.0365; 8,760 x 3 x 2 = 52,560 metrics = 0.5256
    fargate = 3 * 0.024685 * awake_hours
    scaler = 8760 * 0.2e-6 + 8760 * 0.25 * 0.0000166667
    assert result.variable == pytest.approx(fargate + 0.008 * awake_hours + scaler + 52_560 * 0.00001)


def test_without_a_scaler_tasks_run_all_month() -> None:
    always_on = Inventory(apps=(AppTasks(name="dashboard", vcpu=0.5, memory_gb=1, tasks=2),))
    result = estimate(always_on, 0.1)
    assert _line(result, "Fargate tasks") == pytest.approx((0, 2 * 0.024685 * 730))  # 36.0401
    assert result.notes == ("no scaler: tasks run all month",)


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_awake_fraction_outside_0_to_1_is_rejected(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        estimate(DEFAULT, fraction)


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
        Waker={"Type": "AWS::Lambda::Function", "Properties": {"Handler": "waker.handler.handler", "MemorySize": 256}},
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
        scaler_runs_per_hour=12,
        scaler_memory_gb=0.5,
        scaled_apps=1,
    )


def test_report_prints_both_architectures_with_fixed_variable_and_totals() -> None:
    text = report(estimate(DEFAULT, 0.1), estimate(ALWAYS_ON_ARTICLE, 0.1, title="always on (article)"))
    assert "apps awake 10% of the time" in text
    assert "always on (article)" in text
    assert "NAT gateways" in text
    total = next(line for line in text.splitlines() if line.startswith("total"))
    assert total.split() == ["total", "$31.38", "$152.82"]


def test_cli_reads_an_existing_cloud_assembly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, template in TEMPLATES.items():
        (tmp_path / f"{name}.template.json").write_text(json.dumps(template))
    assert cli.main(["cost", "--awake-fraction", "0.5", "--cdk-out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "apps awake 50% of the time" in out
    assert "1x 1 vCPU/3 GB" not in out  # the sales app runs 2 tasks
    assert "2x 1 vCPU/3 GB" in out


def test_cli_without_templates_says_how_to_make_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cost", "--cdk-out", str(tmp_path)]) == 2
    assert "make synth" in capsys.readouterr().err


@pytest.mark.parametrize("fraction", ["2", "x"])
def test_cli_rejects_a_bad_awake_fraction(fraction: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["cost", "--awake-fraction", fraction])
    assert exited.value.code == 2


def test_cli_rejects_context_that_is_not_a_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cost", "--context-json", "[1]"]) == 2
    assert "--context-json must be a JSON object" in capsys.readouterr().err
