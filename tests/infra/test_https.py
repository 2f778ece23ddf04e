"""The three ways in: plain HTTP on the ALB, HTTPS with a domain (made or imported certificate), CloudFront."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Annotations, Match, Template

from infra.constructs.certificate import DomainCertificate
from infra.constructs.platform import Platform
from tests.infra.conftest import CERTIFICATE_ARN, DOMAIN_NAME, HOSTED_ZONE, SALES_HOST, Build

LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
NOSNIFF = {"Key": "routing.http.response.x_content_type_options.header_value", "Value": "nosniff"}
DENY = {"Key": "routing.http.response.x_frame_options.header_value", "Value": "DENY"}
HSTS = {
    "Key": "routing.http.response.strict_transport_security.header_value",
    "Value": "max-age=31536000; includeSubDomains",
}


def _platform(build: Build) -> Template:
    return build.template(build.stacks.platform)


def _listeners(template: Template) -> dict[int, dict[str, Any]]:
    return {props["Port"]: props for props in (r["Properties"] for r in template.find_resources(LISTENER).values())}


def _listener_id(template: Template, port: int) -> str:
    (logical_id,) = [
        logical_id
        for logical_id, resource in template.find_resources(LISTENER).items()
        if resource["Properties"]["Port"] == port
    ]
    return logical_id


def _ingress(template: Template) -> list[tuple[Any, int]]:
    return [
        (rule.get("CidrIp"), rule["FromPort"])
        for group in template.find_resources("AWS::EC2::SecurityGroup").values()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
    ]


def _app_rules(build: Build) -> dict[str, dict[str, Any]]:
    """App name -> its public listener rule's properties (not the keeper rule)."""
    rules = {}
    for stack in build.stacks.apps:
        for logical_id, resource in build.template(stack).find_resources(RULE).items():
            if logical_id.startswith("DashListenerRule"):
                rules[stack.stack_name.rsplit("-", 1)[-1]] = resource["Properties"]
    return rules


def _host_values(rule: dict[str, Any]) -> list[Any]:
    (condition,) = [c for c in rule["Conditions"] if c["Field"] == "host-header"]
    return condition["HostHeaderConfig"]["Values"]


# --- the plain HTTP way (default) ---


def test_http_way_has_one_public_listener_on_80_with_nosniff_and_no_hsts(default_build: Build) -> None:
    listeners = _listeners(_platform(default_build))
    assert sorted(listeners) == [80, 8081]
    assert listeners[80]["Protocol"] == "HTTP"
    assert sorted(listeners[80]["ListenerAttributes"], key=str) == sorted([NOSNIFF, DENY], key=str)
    assert "ListenerAttributes" not in listeners[8081]  # the keeper listener answers nobody


def test_http_way_warns_at_synth_what_to_set_for_https(default_build: Build) -> None:
    warnings = Annotations.from_stack(default_build.stacks.platform).find_warning(
        "*", Match.string_like_regexp('plain HTTP on the ALB\'s address; set domainName .* or edge: "cloudfront"')
    )
    assert len(warnings) == 1


@pytest.mark.parametrize("build_name", ["domain_build", "certificate_arn_build", "cloudfront_build"])
def test_https_ways_do_not_warn(build_name: str, request: pytest.FixtureRequest) -> None:
    build: Build = request.getfixturevalue(build_name)
    warnings = Annotations.from_stack(build.stacks.platform).find_warning("*", Match.string_like_regexp("plain HTTP"))
    assert warnings == []


def test_http_way_url_is_http_on_the_load_balancer(app_stack: Template) -> None:
    app_stack.has_output("Url", {"Value": {"Fn::Join": ["", ["http://", Match.any_value(), "/"]]}})


# --- the domain way ---


def test_domain_way_serves_https_on_443_with_the_tls13_policy_and_the_certificate(domain_build: Build) -> None:
    template = _platform(domain_build)
    (certificate,) = template.find_resources("AWS::CertificateManager::Certificate")
    https = _listeners(template)[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["Certificates"] == [{"CertificateArn": {"Ref": certificate}}]
    assert https["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "404"


def test_domain_way_http_listener_only_redirects_to_https_permanently(domain_build: Build) -> None:
    template = _platform(domain_build)
    assert _listeners(template)[80]["DefaultActions"] == [
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    ]
    # no rule on the redirecting listener, in any stack: robots, bots and apps are all on HTTPS
    http_listener = _listener_id(template, 80)
    rules = [r["Properties"] for r in template.find_resources(RULE).values()]
    for stack in domain_build.stacks.apps:
        rules += [r["Properties"] for r in domain_build.template(stack).find_resources(RULE).values()]
    assert not any(http_listener in str(rule["ListenerArn"]) for rule in rules)


def test_domain_way_puts_robots_and_bot_rules_on_the_https_listener(domain_build: Build) -> None:
    template = _platform(domain_build)
    https = _listener_id(template, 443)
    priorities = sorted(
        r["Properties"]["Priority"]
        for r in template.find_resources(RULE).values()
        if r["Properties"]["ListenerArn"] == {"Ref": https}
    )
    assert priorities == [1, 2, 3]


def test_domain_way_headers_hsts_on_https_and_nosniff_on_both_listeners(domain_build: Build) -> None:
    listeners = _listeners(_platform(domain_build))
    assert sorted(listeners[443]["ListenerAttributes"], key=str) == sorted([HSTS, NOSNIFF, DENY], key=str)
    assert sorted(listeners[80]["ListenerAttributes"], key=str) == sorted([NOSNIFF, DENY], key=str)


def test_domain_way_security_group_admits_https_and_http_from_anywhere_only(domain_build: Build) -> None:
    assert sorted(_ingress(_platform(domain_build)), key=str) == [("0.0.0.0/0", 443), ("0.0.0.0/0", 80)]


def test_certificate_covers_the_domain_and_app_hosts_validated_in_the_hosted_zone(domain_build: Build) -> None:
    _platform(domain_build).has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {
            "DomainName": DOMAIN_NAME,
            "SubjectAlternativeNames": [SALES_HOST],
            "ValidationMethod": "DNS",
            "DomainValidationOptions": [
                {"DomainName": DOMAIN_NAME, "HostedZoneId": HOSTED_ZONE["hostedZoneId"]},
                {"DomainName": SALES_HOST, "HostedZoneId": HOSTED_ZONE["hostedZoneId"]},
            ],
        },
    )


def test_alias_a_records_point_the_domain_and_each_host_at_the_load_balancer(domain_build: Build) -> None:
    template = _platform(domain_build)
    records = [r["Properties"] for r in template.find_resources("AWS::Route53::RecordSet").values()]
    assert sorted((r["Name"], r["Type"]) for r in records) == [(f"{DOMAIN_NAME}.", "A"), (f"{SALES_HOST}.", "A")]
    for record in records:
        assert record["HostedZoneId"] == HOSTED_ZONE["hostedZoneId"]
        (load_balancer, _) = record["AliasTarget"]["HostedZoneId"]["Fn::GetAtt"]
        assert load_balancer.startswith("PlatformLoadBalancer")
        assert record["AliasTarget"]["HostedZoneId"] == {"Fn::GetAtt": [load_balancer, "CanonicalHostedZoneID"]}


def test_every_app_rule_matches_its_host_on_the_https_listener(domain_build: Build) -> None:
    rules = _app_rules(domain_build)
    assert {name: _host_values(rule) for name, rule in rules.items()} == {
        "dashboard": [DOMAIN_NAME],
        "sales": [SALES_HOST],
    }
    https = _listener_id(_platform(domain_build), 443)
    for rule in rules.values():
        assert https in str(rule["ListenerArn"])


def test_domain_way_urls_are_https_on_each_apps_host(domain_build: Build) -> None:
    domain_build.app_stack("dashboard").has_output("Url", {"Value": f"https://{DOMAIN_NAME}/"})
    domain_build.app_stack("sales").has_output("Url", {"Value": f"https://{SALES_HOST}/sales/"})


def test_waf_on_the_domain_way_is_associated_with_the_load_balancer(domain_build: Build) -> None:
    template = _platform(domain_build)
    template.has_resource_properties("AWS::WAFv2::WebACL", {"Scope": "REGIONAL"})
    template.has_resource_properties(
        "AWS::WAFv2::WebACLAssociation", {"ResourceArn": {"Ref": Match.string_like_regexp("PlatformLoadBalancer")}}
    )


def test_imported_certificate_is_used_as_is_without_dns_records(certificate_arn_build: Build) -> None:
    template = _platform(certificate_arn_build)
    assert _listeners(template)[443]["Certificates"] == [{"CertificateArn": CERTIFICATE_ARN}]
    template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    template.resource_count_is("AWS::Route53::RecordSet", 0)
    assert _host_values(_app_rules(certificate_arn_build)["dashboard"]) == [DOMAIN_NAME]
    certificate_arn_build.app_stack("dashboard").has_output("Url", {"Value": f"https://{DOMAIN_NAME}/"})


# --- the cloudfront way ---


def test_cloudfront_way_has_an_internal_load_balancer_in_isolated_subnets(cloudfront_build: Build) -> None:
    template = _platform(cloudfront_build)
    isolated = template.find_resources(
        "AWS::EC2::Subnet",
        {"Properties": {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-type", "Value": "Isolated"}])}},
    )
    assert len(isolated) == 2
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {"Scheme": "internal", "Subnets": [{"Ref": logical_id} for logical_id in sorted(isolated)]},
    )


def test_other_ways_have_no_isolated_subnets(default_build: Build, domain_build: Build) -> None:
    for build in (default_build, domain_build):
        subnets = _platform(build).find_resources("AWS::EC2::Subnet")
        assert "Isolated" not in str(subnets)


def test_cloudfront_way_admits_only_port_80_from_cloudfronts_origin_facing_servers(cloudfront_build: Build) -> None:
    template = _platform(cloudfront_build)
    (lookup,) = [
        logical_id
        for logical_id, resource in template.find_resources("Custom::AWS").items()
        if "com.amazonaws.global.cloudfront.origin-facing" in str(resource["Properties"]["Create"])
    ]
    (group,) = [
        logical_id
        for logical_id, g in template.find_resources("AWS::EC2::SecurityGroup").items()
        if g["Properties"]["GroupDescription"].startswith("ZeroDash ALB")
    ]
    assert _ingress(template) == []  # nothing inline
    rules = [r["Properties"] for r in template.find_resources("AWS::EC2::SecurityGroupIngress").values()]
    assert [r for r in rules if r["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}] == [
        {
            "GroupId": {"Fn::GetAtt": [group, "GroupId"]},
            "SourcePrefixListId": {"Fn::GetAtt": [lookup, "PrefixLists.0.PrefixListId"]},
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "Description": "HTTP from CloudFront's origin-facing servers only (the VPC origin)",
        }
    ]
    assert "describeManagedPrefixLists" in str(template.find_resources("Custom::AWS")[lookup]["Properties"]["Create"])


def test_cloudfront_way_listener_is_http_with_nosniff_and_leaves_hsts_to_cloudfront(cloudfront_build: Build) -> None:
    listeners = _listeners(_platform(cloudfront_build))
    assert sorted(listeners) == [80, 8081]
    assert sorted(listeners[80]["ListenerAttributes"], key=str) == sorted([NOSNIFF, DENY], key=str)


def test_cloudfront_way_rules_match_the_load_balancers_dns_name(cloudfront_build: Build) -> None:
    for rule in _app_rules(cloudfront_build).values():
        (value,) = _host_values(rule)
        assert "DNSName" in str(value)


def test_cloudfront_way_serves_the_apps_through_the_distribution(cloudfront_build: Build) -> None:
    template = _platform(cloudfront_build)
    template.has_resource_properties(
        "AWS::CloudFront::VpcOrigin",
        {"VpcOriginEndpointConfig": Match.object_like({"Arn": {"Ref": Match.string_like_regexp("PlatformLoad")}})},
    )
    template.has_output("DistributionDomainName", {"Value": {"Fn::GetAtt": [Match.any_value(), "DomainName"]}})
    url = cloudfront_build.app_stack("sales").to_json()["Outputs"]["Url"]["Value"]
    assert url["Fn::Join"][1][0] == "https://"
    assert "Distribution" in str(url["Fn::Join"][1][1]) and url["Fn::Join"][1][2] == "/sales/"


def test_waf_on_the_cloudfront_way_is_for_the_distribution_not_the_load_balancer(cloudfront_build: Build) -> None:
    template = _platform(cloudfront_build)
    template.has_resource_properties("AWS::WAFv2::WebACL", {"Scope": "CLOUDFRONT"})
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 0)


# --- the constructs on their own ---


def _stack() -> tuple[cdk.Stack, ec2.Vpc]:
    stack = cdk.Stack(cdk.App(), "Test", env=cdk.Environment(account="111111111111", region="us-east-1"))
    return stack, ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)


def test_an_internal_load_balancer_takes_no_certificate() -> None:
    stack, vpc = _stack()
    certificate = DomainCertificate(stack, "Certificate", domain_name=DOMAIN_NAME, certificate_arn=CERTIFICATE_ARN)
    with pytest.raises(ValueError, match="internal ALB"):
        Platform(stack, "Platform", vpc=vpc, certificate=certificate.certificate, internet_facing=False)


def test_a_login_needs_the_https_listener() -> None:
    stack, vpc = _stack()
    with pytest.raises(ValueError, match="HTTPS"):
        Platform(stack, "Platform", vpc=vpc, authenticates=True)


def test_a_host_outside_the_hosted_zone_is_refused() -> None:
    stack, _ = _stack()
    with pytest.raises(ValueError, match=re.escape("sales.example.org not in the hosted zone example.com")):
        DomainCertificate(
            stack,
            "Certificate",
            domain_name=DOMAIN_NAME,
            hosts=["sales.example.org"],
            hosted_zone_id="Z1",
            hosted_zone_name="example.com",
        )


@pytest.mark.parametrize(
    "zone",
    [{}, {"hosted_zone_id": "Z1", "hosted_zone_name": "example.com", "certificate_arn": CERTIFICATE_ARN}],
)
def test_a_certificate_is_either_made_in_a_zone_or_imported(zone: dict[str, str]) -> None:
    stack, _ = _stack()
    with pytest.raises(ValueError, match="either"):
        DomainCertificate(stack, "Certificate", domain_name=DOMAIN_NAME, **zone)


def test_a_dualstack_load_balancer_gets_aaaa_records_too() -> None:
    stack, vpc = _stack()
    certificate = DomainCertificate(
        stack, "Certificate", domain_name=DOMAIN_NAME, hosted_zone_id="Z1", hosted_zone_name="example.com"
    )
    load_balancer = elbv2.ApplicationLoadBalancer(
        stack, "LoadBalancer", vpc=vpc, internet_facing=True, ip_address_type=elbv2.IpAddressType.DUAL_STACK
    )
    records = certificate.alias_to(load_balancer)
    assert len(records) == 2
    types = [
        r["Properties"]["Type"] for r in Template.from_stack(stack).find_resources("AWS::Route53::RecordSet").values()
    ]
    assert sorted(types) == ["A", "AAAA"]
