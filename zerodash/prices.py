"""The list prices the cost report uses: AWS us-east-1 (N. Virginia), on-demand, in US dollars, without free tiers.

PRICES_AS_OF is when the figures were collected. Fargate's are the ones bench/simulate.py uses (AWS Fargate
pricing page, Linux/x86, checked November 2026). The others are AWS's long-standing published list prices for
us-east-1 as of the same date (pricing pages of Elastic Load Balancing, Amazon VPC (NAT gateway, public IPv4
addresses, PrivateLink), AWS Lambda, Amazon CloudWatch, AWS Secrets Manager, AWS Systems Manager and AWS KMS);
they were not re-read from the live pages for this table, so check them there before quoting a figure. A month is
730 hours, as in AWS's own calculator.

The edge's prices (issue 10) were checked on 2026-12-02 against stored copies of these pages:
- AWS WAF: $5.00 per web ACL and $1.00 per rule per month (a managed rule group counts as one rule), $0.60 per
  million requests inspected: https://aws.amazon.com/waf/pricing/ as quoted by
  https://aws.github.io/aws-security-services-best-practices/guides/waf/waf-cost/docs/ (rule groups billed as
  one rule) and https://c3x.dev/blog/aws-waf-cost-explained/ (the three figures).
- Amazon CloudFront, pay-as-you-go (https://aws.amazon.com/cloudfront/pricing/): data transfer out to the
  internet $0.085/GB for the first 10 TB in the United States, Mexico, Canada and Europe; always-free tier of
  1 TB and 10,000,000 HTTP or HTTPS requests a month (read on that page); HTTPS requests $0.0100 per 10,000 in
  those regions (HTTP $0.0075: the page's request table did not survive in the stored copy; the HTTP figure is
  also infracost's; docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPandHTTPSRequests.html says
  HTTPS requests cost more than HTTP ones). Origin fetches from an ALB and the VPC origin cost nothing more.
  The flat-rate plans (since 2025-11-18; Free: $0 for 1M requests and 100 GB, WAF included) are not modelled.
- Amazon Cognito user pools (https://aws.amazon.com/cognito/pricing/, as transcribed by
  github.com/api-evangelist/amazon-cognito plans/amazon-cognito-plans-pricing.yml): per monthly active user
  above the free 10,000: Lite $0.0055, Essentials $0.015 (no free tier on Plus, $0.020). A user pool's tier
  defaults to ESSENTIALS (UserPoolTier, Cognito API reference).
- AWS Certificate Manager: public certificates used with load balancers and CloudFront are free
  (docs.aws.amazon.com/elasticbeanstalk/latest/dg/configuring-https.certificate.html). Route 53: alias queries to
  an ALB or a CloudFront distribution are free; a hosted zone is $0.50 a month (the user's, not counted).
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
    # AWS WAF (see above): per web ACL and per rule (a managed rule group is one rule) per month, prorated hourly;
    # per request inspected
    waf_web_acl_month: float = 5.00
    waf_rule_month: float = 1.00
    waf_request: float = 0.60 / 1_000_000
    # Amazon CloudFront pay-as-you-go, North America and Europe (see above): per HTTPS request; per GB out to the
    # internet, first 10 TB (data transfer is not estimated: see zerodash/cost.py)
    cloudfront_https_request: float = 0.0100 / 10_000
    cloudfront_gb: float = 0.085
    # Amazon Cognito user pools (see above): per monthly active user above cognito_free_mau, by tier (UserPoolTier);
    # not estimated, only noted
    cognito_mau: tuple[tuple[str, float], ...] = (("LITE", 0.0055), ("ESSENTIALS", 0.015), ("PLUS", 0.020))
    cognito_free_mau: int = 10_000
    # Amazon Route 53: a public hosted zone per month (the user's own: noted, not counted)
    hosted_zone_month: float = 0.50


PRICES = Prices()
