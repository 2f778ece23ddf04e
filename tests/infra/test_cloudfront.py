"""CloudFrontEdge (infra/constructs/cdn.py) on its own small stack: an internal ALB in a test VPC behind it.

Given three apps (a Dash app at "/" nobody may frame, a Dash app at "/sales/" only its own origin may frame, a
non-Dash app at "/bokeh/" a portal may frame), the distribution reaches the ALB through a VPC origin, caches only
the Dash bundles, never caches 5xx, and gives each app the security headers of its frame ancestors. cdk-nag's
AwsSolutions rules leave nothing unacknowledged on the construct, and cfn-lint finds no error in the template.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from infra.constructs.cdn import (
    DASH_BUNDLES,
    UNCACHED_ERROR_CODES,
    CloudFrontEdge,
    CloudFrontQuotas,
    EdgeApp,
)

ENV = cdk.Environment(account="123456789012", region="us-east-1")
# Managed policy ids ("Use managed cache policies", "Use managed origin request policies").
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
USER_AGENT_REFERER_HEADERS = "acba4595-bd28-49b8-b9fe-13317c0390fa"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
PORTAL = "https://portal.example.com"
WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/zd/abc"
APPS = [
    ("dashboard", "/", (), True),
    EdgeApp("sales", "/sales/", ("'self'",), True),
    EdgeApp("bokeh", "/bokeh/", (PORTAL,), is_dash=False),
]
NAG_FINDING = Match.string_like_regexp("AwsSolutions-.*")


def edge_stack(
    apps: list[Any] | None = None,
    *,
    outdir: Path | None = None,
    nag: bool = False,
    log_bucket_name: str | None = None,
    **kwargs: Any,
) -> tuple[cdk.Stack, CloudFrontEdge]:
    """A stack with a VPC, an internal ALB with an HTTP:80 listener, and a CloudFrontEdge named "Edge" over it
    (with the existing bucket `log_bucket_name` for its logs, if given)."""
    # AZs pinned as cdk.json does, so synth needs no AWS lookup and names real zones
    context = {f"availability-zones:account={ENV.account}:region={ENV.region}": ["us-east-1a", "us-east-1b"]}
    app = cdk.App(outdir=str(outdir), context=context) if outdir else cdk.App(context=context)
    stack = cdk.Stack(app, "EdgeTest", env=ENV)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            # Public subnets give the VPC an internet gateway, as the platform's VPC has: peers' deployment notes
            # list one as a VPC-origin prerequisite (its traffic does not use it).
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
            ec2.SubnetConfiguration(name="Origin", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
        ],
    )
    alb = elbv2.ApplicationLoadBalancer(
        stack,
        "Alb",
        vpc=vpc,
        internet_facing=False,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
    )
    alb.add_listener("Http", port=80, open=False, default_action=elbv2.ListenerAction.fixed_response(404))
    if log_bucket_name is not None:
        kwargs["log_bucket"] = s3.Bucket.from_bucket_name(stack, "Logs", log_bucket_name)
    edge = CloudFrontEdge(stack, "Edge", load_balancer=alb, apps=APPS if apps is None else apps, **kwargs)
    if nag:
        cdk.Aspects.of(app).add(AwsSolutionsChecks())
    return stack, edge


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.Stack, CloudFrontEdge, Path]:
    outdir = tmp_path_factory.mktemp("cdk-edge")
    stack, edge = edge_stack(outdir=outdir, nag=True)
    cdk.App.of(stack).synth()  # type: ignore[union-attr]
    return stack, edge, outdir


@pytest.fixture(scope="module")
def template(built: tuple[cdk.Stack, CloudFrontEdge, Path]) -> Template:
    return Template.from_stack(built[0])


@pytest.fixture(scope="module")
def config(template: Template) -> dict[str, Any]:
    (distribution,) = template.find_resources("AWS::CloudFront::Distribution").values()
    return distribution["Properties"]["DistributionConfig"]


def behavior(config: dict[str, Any], pattern: str) -> dict[str, Any]:
    (found,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == pattern]
    return found


def headers_config(template: Template, ref: dict[str, str]) -> dict[str, Any]:
    """The SecurityHeadersConfig of the response headers policy `ref` ({"Ref": logical id}) points to."""
    policy = template.to_json()["Resources"][ref["Ref"]]
    assert policy["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    return policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]


# --- origin -----------------------------------------------------------------------------------------------------


def test_the_vpc_origin_sends_http_to_the_alb_on_port_80(template: Template) -> None:
    template.resource_count_is("AWS::CloudFront::VpcOrigin", 1)
    template.has_resource_properties(
        "AWS::CloudFront::VpcOrigin",
        {
            "VpcOriginEndpointConfig": {
                "Arn": {"Ref": Match.string_like_regexp("^Alb")},
                "HTTPPort": 80,
                "OriginProtocolPolicy": "http-only",
            }
        },
    )


def test_the_only_origin_is_the_vpc_origin_named_by_the_albs_dns_name(
    config: dict[str, Any], template: Template
) -> None:
    (origin,) = config["Origins"]
    (vpc_origin_id,) = template.find_resources("AWS::CloudFront::VpcOrigin")
    (alb_id,) = template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    # CloudFront sends Host = the origin's domain name when Host is not forwarded: the ALB's DNS name.
    assert origin["DomainName"] == {"Fn::GetAtt": [alb_id, "DNSName"]}
    assert origin["VpcOriginConfig"]["VpcOriginId"] == {"Fn::GetAtt": [vpc_origin_id, "Id"]}
    assert origin["VpcOriginConfig"]["OriginReadTimeout"] == 60
    assert "CustomOriginConfig" not in origin and "S3OriginConfig" not in origin


def test_the_attributes_name_what_was_made(built: tuple[cdk.Stack, CloudFrontEdge, Path]) -> None:
    stack, edge, _ = built
    (distribution_id,) = Template.from_stack(stack).find_resources("AWS::CloudFront::Distribution")
    (vpc_origin_id,) = Template.from_stack(stack).find_resources("AWS::CloudFront::VpcOrigin")
    assert stack.resolve(edge.domain_name) == {"Fn::GetAtt": [distribution_id, "DomainName"]}
    assert stack.resolve(edge.vpc_origin.vpc_origin_id) == {"Fn::GetAtt": [vpc_origin_id, "Id"]}
    assert set(edge.headers_policies) == {"dashboard", "sales", "bokeh"}
    assert edge.default_headers_policy is edge.headers_policies["dashboard"]


# --- viewer side --------------------------------------------------------------------------------------------------


def test_viewers_get_https_http2_and_3_ipv6_price_class_100_and_the_default_certificate(
    config: dict[str, Any],
) -> None:
    assert config["HttpVersion"] == "http2and3"
    assert config["IPV6Enabled"] is True
    assert config["PriceClass"] == "PriceClass_100"
    assert "Aliases" not in config
    assert config.get("ViewerCertificate", {}).get("AcmCertificateArn") is None
    policies = {config["DefaultCacheBehavior"]["ViewerProtocolPolicy"]}
    policies |= {b["ViewerProtocolPolicy"] for b in config["CacheBehaviors"]}
    assert policies == {"redirect-to-https"}


def test_the_default_behaviour_caches_nothing_and_forwards_everything_but_host(config: dict[str, Any]) -> None:
    default = config["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == CACHING_DISABLED
    # all viewer headers (WebSocket upgrades, User-Agent for the bot rules), cookies (AWSALB) and query strings
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert default["AllowedMethods"] == ALL_METHODS  # Dash's callbacks are POSTs


def test_5xx_errors_are_never_cached_and_pass_through_unchanged(config: dict[str, Any]) -> None:
    responses = {r["ErrorCode"]: r for r in config["CustomErrorResponses"]}
    assert set(responses) == set(UNCACHED_ERROR_CODES) == {500, 502, 503, 504}
    for response in responses.values():
        assert response["ErrorCachingMinTTL"] == 0
        # no custom page and no changed status: the waker's holding page and JSON 503 reach the viewer as sent
        assert "ResponsePagePath" not in response and "ResponseCode" not in response


# --- behaviours ---------------------------------------------------------------------------------------------------


def test_behaviours_are_the_apps_pages_and_dash_bundles_most_specific_first(config: dict[str, Any]) -> None:
    patterns = [b["PathPattern"] for b in config["CacheBehaviors"]]
    assert sorted(patterns) == sorted(
        ["/sales/" + DASH_BUNDLES, "/sales/*", "/" + DASH_BUNDLES, "/bokeh/*"]
    )  # no bundles behaviour for the non-Dash app, no page behaviour for "/" (the default behaviour)
    assert patterns.index("/sales/" + DASH_BUNDLES) < patterns.index("/sales/*")


def test_app_pages_are_never_cached_like_the_default_behaviour(config: dict[str, Any]) -> None:
    for pattern in ("/sales/*", "/bokeh/*"):
        page = behavior(config, pattern)
        assert page["CachePolicyId"] == CACHING_DISABLED
        assert page["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
        assert page["AllowedMethods"] == ALL_METHODS


def test_dash_bundles_are_cached_on_their_query_strings_only_and_compressed(
    config: dict[str, Any], template: Template
) -> None:
    for pattern in ("/" + DASH_BUNDLES, "/sales/" + DASH_BUNDLES):
        bundles = behavior(config, pattern)
        assert bundles["AllowedMethods"] == ["GET", "HEAD"]
        assert bundles["Compress"] is True
        assert bundles["OriginRequestPolicyId"] == USER_AGENT_REFERER_HEADERS
        policy = template.to_json()["Resources"][bundles["CachePolicyId"]["Ref"]]
        key = policy["Properties"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
        assert key["QueryStringsConfig"] == {"QueryStringBehavior": "all"}  # ?v= / ?m= fingerprints
        assert key["CookiesConfig"] == {"CookieBehavior": "none"}
        assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
        assert key["EnableAcceptEncodingGzip"] is True and key["EnableAcceptEncodingBrotli"] is True
        assert policy["Properties"]["CachePolicyConfig"]["MinTTL"] == 0  # an origin's no-cache stays in force
    template.resource_count_is("AWS::CloudFront::CachePolicy", 1)  # one shared policy for all apps


# --- response headers ---------------------------------------------------------------------------------------------


def test_every_policy_sets_hsts_nosniff_and_the_referrer_policy_over_the_origins(template: Template) -> None:
    policies = template.find_resources("AWS::CloudFront::ResponseHeadersPolicy")
    assert len(policies) == 3  # one per distinct set of frame ancestors
    for policy in policies.values():
        headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
        assert headers["StrictTransportSecurity"] == {
            "AccessControlMaxAgeSec": 31536000,
            "IncludeSubdomains": True,
            "Override": True,
        }
        assert headers["ContentTypeOptions"] == {"Override": True}
        assert headers["ReferrerPolicy"] == {"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": True}
        # an app's own CSP is kept whole: CloudFront would replace the entire header
        assert headers["ContentSecurityPolicy"]["Override"] is False


def test_an_app_nobody_may_frame_gets_deny_on_the_default_and_its_bundles(
    config: dict[str, Any], template: Template
) -> None:
    for ref in (
        config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"],
        behavior(config, "/" + DASH_BUNDLES)["ResponseHeadersPolicyId"],
    ):
        headers = headers_config(template, ref)
        assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
        assert headers["ContentSecurityPolicy"]["ContentSecurityPolicy"] == "frame-ancestors 'none'"


def test_an_app_only_its_origin_may_frame_gets_sameorigin_on_all_its_behaviours(
    config: dict[str, Any], template: Template
) -> None:
    refs = {str(behavior(config, p)["ResponseHeadersPolicyId"]) for p in ("/sales/*", "/sales/" + DASH_BUNDLES)}
    assert len(refs) == 1
    headers = headers_config(template, behavior(config, "/sales/*")["ResponseHeadersPolicyId"])
    assert headers["FrameOptions"] == {"FrameOption": "SAMEORIGIN", "Override": True}
    assert headers["ContentSecurityPolicy"]["ContentSecurityPolicy"] == "frame-ancestors 'self'"


def test_an_app_another_site_may_frame_gets_no_frame_options_and_its_csp(
    config: dict[str, Any], template: Template
) -> None:
    headers = headers_config(template, behavior(config, "/bokeh/*")["ResponseHeadersPolicyId"])
    assert "FrameOptions" not in headers  # X-Frame-Options cannot name another origin; it would block the portal
    assert headers["ContentSecurityPolicy"]["ContentSecurityPolicy"] == f"frame-ancestors {PORTAL}"


def test_apps_with_the_same_frame_ancestors_share_one_policy() -> None:
    apps = [
        EdgeApp("a", "/a/", ("https://x.example.com", "'self'")),
        EdgeApp("b", "/b/", ("'self'", "https://x.example.com", "'self'")),  # same set, other order
        EdgeApp("c", "/c/"),
    ]
    stack, edge = edge_stack(apps)
    assert edge.headers_policies["a"] is edge.headers_policies["b"]
    assert edge.headers_policies["c"] is edge.default_headers_policy  # no "/" app: the default denies framing
    Template.from_stack(stack).resource_count_is("AWS::CloudFront::ResponseHeadersPolicy", 2)


def test_without_a_root_app_the_default_behaviour_denies_framing() -> None:
    stack, edge = edge_stack([EdgeApp("sales", "/sales/", ("'self'",))])
    headers = stack.resolve(edge.default_headers_policy.node.default_child.response_headers_policy_config)  # type: ignore[union-attr]
    assert headers["securityHeadersConfig"]["frameOptions"]["frameOption"] == "DENY"


# --- options ------------------------------------------------------------------------------------------------------


def test_a_web_acl_and_a_log_bucket_are_attached_when_given() -> None:
    stack, _ = edge_stack(
        web_acl_arn=WEB_ACL_ARN,
        log_bucket_name="zd-cloudfront-logs",
        price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,
    )
    (distribution,) = Template.from_stack(stack).find_resources("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["WebACLId"] == WEB_ACL_ARN
    assert config["Logging"]["Prefix"] == "cloudfront/"
    assert "zd-cloudfront-logs" in json.dumps(stack.resolve(config["Logging"]["Bucket"]))
    assert config["PriceClass"] == "PriceClass_All"


# --- refused configurations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ([EdgeApp("a", "sales/")], "url_prefix must be"),
        ([EdgeApp("a", "/sales")], "url_prefix must be"),
        ([EdgeApp("a", "/sales/*")], "url_prefix must be"),
        ([EdgeApp("a", "/x/"), EdgeApp("b", "/x/")], "have the same url_prefix"),
        ([EdgeApp("a", "/x/"), EdgeApp("a", "/y/")], "unique"),
        ([EdgeApp("", "/x/")], "needs a name"),
        ([EdgeApp("a", "/x/", ("https://ok.example.com; script-src *",))], "frame_ancestors must be"),
        ([EdgeApp("a", "/x/", ("*",))], "frame_ancestors must be"),
        ([EdgeApp("a", "/x/", ("'none'",))], "frame_ancestors must be"),
    ],
)
def test_malformed_apps_are_refused_with_what_is_wrong(apps: list[EdgeApp], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        edge_stack(apps)


def test_a_csp_longer_than_cloudfront_allows_is_refused() -> None:
    sources = tuple(f"https://portal{i:03d}.example.com" for i in range(70))  # 70 * 27 characters
    with pytest.raises(ValueError, match="1783"):
        edge_stack([EdgeApp("a", "/a/", sources)])


def test_more_behaviours_than_the_default_quota_of_75_are_refused() -> None:
    apps = [EdgeApp(f"app{i}", f"/app{i}/") for i in range(38)]  # 38 Dash apps: 76 behaviours + the default
    with pytest.raises(ValueError, match=r"77 CloudFront cache behaviours.*allows 75"):
        edge_stack(apps)
    edge_stack(apps[:37])  # 74 + the default fit


def test_a_raised_behaviour_quota_is_respected() -> None:
    apps = [EdgeApp(f"app{i}", f"/app{i}/") for i in range(2)]
    with pytest.raises(ValueError, match="allows 3"):
        edge_stack(apps, quotas=CloudFrontQuotas(cache_behaviors=3))


def test_more_distinct_frame_ancestors_than_the_headers_policy_quota_are_refused() -> None:
    apps = [EdgeApp(f"app{i}", f"/app{i}/", (f"https://site{i}.example.com",), False) for i in range(20)]
    # 20 distinct sets plus the default behaviour's no-framing policy: 21 > 20
    with pytest.raises(ValueError, match=r"21 different CloudFront response headers policies.*allows 20"):
        edge_stack(apps)
    edge_stack([*apps[:19], EdgeApp("root", "/", ("https://site19.example.com",), False)])  # exactly 20


def test_a_dash_app_needs_a_cache_policy_within_the_quota() -> None:
    with pytest.raises(ValueError, match="cache policy"):
        edge_stack([EdgeApp("a", "/a/")], quotas=CloudFrontQuotas(cache_policies=0))


# --- cdk-nag and cfn-lint -----------------------------------------------------------------------------------------


def nag_findings(stack: cdk.Stack) -> list[tuple[str, str]]:
    annotations = Annotations.from_stack(stack)
    messages = annotations.find_error("*", NAG_FINDING) + annotations.find_warning("*", NAG_FINDING)
    return [(m.id, str(m.entry.data).split(":")[0]) for m in messages]


def test_no_unacknowledged_nag_errors_or_warnings_on_the_construct(
    built: tuple[cdk.Stack, CloudFrontEdge, Path],
) -> None:
    findings = nag_findings(built[0])
    assert [f for f in findings if f[0].startswith("/EdgeTest/Edge/")] == []
    # the checks did run: the bare test fixtures (no flow log, no ALB access logs) are reported
    assert ("/EdgeTest/Alb/Resource", "AwsSolutions-ELB2") in findings


def test_only_the_expected_rules_are_acknowledged_each_with_a_specific_reason(template: Template) -> None:
    acknowledged: dict[str, set[str]] = {}
    for logical_id, resource in template.to_json()["Resources"].items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            assert re.fullmatch(r"AwsSolutions-[A-Z]+\d+", rule["id"]) and len(rule["reason"]) >= 60, rule
            acknowledged.setdefault(logical_id, set()).add(rule["id"])
    (distribution_id,) = template.find_resources("AWS::CloudFront::Distribution")
    # geo restriction (a business choice), TLSv1 (the default certificate), WAF and logs (both opt-in)
    assert acknowledged == {
        distribution_id: {"AwsSolutions-CFR1", "AwsSolutions-CFR2", "AwsSolutions-CFR3", "AwsSolutions-CFR4"}
    }


def test_with_waf_and_logs_the_waf_and_log_acknowledgements_go() -> None:
    stack, _ = edge_stack(web_acl_arn=WEB_ACL_ARN, log_bucket_name="zd-cloudfront-logs")
    (distribution,) = Template.from_stack(stack).find_resources("AWS::CloudFront::Distribution").values()
    ids = {rule["id"] for rule in distribution["Metadata"]["cdk_nag"]["rules_to_suppress"]}
    assert ids == {"AwsSolutions-CFR1", "AwsSolutions-CFR4"}


def test_the_template_has_no_cfn_lint_errors(built: tuple[cdk.Stack, CloudFrontEdge, Path]) -> None:
    (template_file,) = built[2].glob("EdgeTest.template.json")
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", "--non-zero-exit-code", "error", str(template_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if re.search(r":E\d{4}:", line)]
    assert errors == []
    assert result.returncode == 0, result.stdout + result.stderr
