"""The list prices the cost report uses: AWS us-east-1 (N. Virginia), on-demand, in US dollars, without free tiers.

PRICES_AS_OF is when the figures were collected. Fargate's are the ones bench/simulate.py uses (AWS Fargate
pricing page, Linux/x86, checked November 2026). The others are AWS's long-standing published list prices for
us-east-1 as of the same date (pricing pages of Elastic Load Balancing, Amazon VPC (NAT gateway, public IPv4
addresses, PrivateLink), AWS Lambda, Amazon CloudWatch, AWS Secrets Manager, AWS Systems Manager and AWS KMS);
they were not re-read from the live pages for this table, so check them there before quoting a figure. A month is
730 hours, as in AWS's own calculator.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-11-22"
REGION = "us-east-1"
HOURS_PER_MONTH = 730


@dataclass(frozen=True, kw_only=True)
class Prices:
    # AWS Fargate, Linux/x86, per hour
    fargate_vcpu_hour: float = 0.04048
    fargate_gb_hour: float = 0.004445
    # Application Load Balancer: per ALB-hour, per LCU-hour
    alb_hour: float = 0.0225
    alb_lcu_hour: float = 0.008
    # Amazon VPC: every public IPv4 address (ALB node, NAT gateway's Elastic IP, task with a public IP), per hour
    public_ipv4_hour: float = 0.005
    # NAT gateway: per hour and per GB processed (data is not estimated: see zerodash/cost.py)
    nat_gateway_hour: float = 0.045
    nat_gateway_gb: float = 0.045
    # VPC endpoints: interface endpoints per AZ-hour; gateway endpoints (S3, DynamoDB) are free
    interface_endpoint_az_hour: float = 0.01
    gateway_endpoint_hour: float = 0.0
    # AWS Lambda, x86: per request and per GB-second
    lambda_request: float = 0.20 / 1_000_000
    lambda_gb_second: float = 0.0000166667
    # Amazon CloudWatch (https://aws.amazon.com/cloudwatch/pricing/): GetMetricData per metric requested;
    # standard-resolution alarm and dashboard per month
    get_metric_data_metric: float = 0.01 / 1_000
    alarm_month: float = 0.10
    dashboard_month: float = 3.00
    # Amazon CloudWatch custom metrics (the ZeroDash namespace, written as embedded-metric-format log lines), first
    # 10,000 metrics: per metric-month, prorated by the hour: a metric is billed only for the hours it has data
    # (1/730 of this per metric-hour). The log lines themselves are CloudWatch Logs ingestion (not estimated).
    custom_metric_month: float = 0.30
    # AWS Secrets Manager (https://aws.amazon.com/secrets-manager/pricing/): per secret per month (the wake-token
    # secret); API calls ($0.05 per 10,000) are not estimated: each waker reads the secret once per cold start
    secret_month: float = 0.40
    # AWS Systems Manager Parameter Store (https://aws.amazon.com/systems-manager/pricing/): standard parameters
    # and their standard-throughput API calls cost nothing (the app list, one parameter per app)
    ssm_standard_parameter_month: float = 0.0
    # AWS KMS: customer-managed key per month (the alarm topic's)
    kms_key_month: float = 1.00


PRICES = Prices()
