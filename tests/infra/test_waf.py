"""Firewall (infra/constructs/firewall.py) on its own small stacks.

Given a REGIONAL firewall for an ALB, the web ACL allows by default, rate-limits each IP, runs AWS's common rules
with the 8 KB body rule only counting, and is associated with the ALB. Given a CLOUDFRONT firewall in us-east-1,
the distribution can attach it; anywhere else synth refuses. cdk-nag leaves nothing on the construct, and
cfn-lint finds no error in either template.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from infra.constructs.cdn import CloudFrontEdge, EdgeApp
from infra.constructs.firewall import DEFAULT_RATE_LIMIT, Firewall
from tests.infra.test_cloudfront import edge_stack
from zerodash.cost import WAF_RULES

ACCOUNT = "123456789012"
ALB_ARN = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/app/zerodash/50dc6c495c0c9188"


def firewall_stack(region: str | None, outdir: Path | None = None, **kwargs: Any) -> tuple[cdk.Stack, Firewall]:
    """A stack in `region` (None: environment-agnostic) holding a Firewall named "Firewall"."""
    app = cdk.App(outdir=str(outdir)) if outdir else cdk.App()
    env = cdk.Environment(account=ACCOUNT, region=region) if region else None
    stack = cdk.Stack(app, "FirewallTest", env=env)
    firewall = Firewall(stack, "Firewall", **kwargs)
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    return stack, firewall


@pytest.fixture(scope="module")
def regional(tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.Stack, Firewall, Path]:
    outdir = tmp_path_factory.mktemp("cdk-waf-regional")
    stack, firewall = firewall_stack("eu-west-1", outdir, waf_scope="REGIONAL", load_balancer_arn=ALB_ARN)
    cdk.App.of(stack).synth()  # type: ignore[union-attr]
    return stack, firewall, outdir


@pytest.fixture(scope="module")
def global_acl(tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.Stack, Firewall, Path]:
    outdir = tmp_path_factory.mktemp("cdk-waf-cloudfront")
    stack, firewall = firewall_stack("us-east-1", outdir, waf_scope="CLOUDFRONT", rate_limit=300)
    cdk.App.of(stack).synth()  # type: ignore[union-attr]
    return stack, firewall, outdir


def web_acl(stack: cdk.Stack) -> dict[str, Any]:
    (acl,) = Template.from_stack(stack).find_resources("AWS::WAFv2::WebACL").values()
    return acl["Properties"]


def rule(acl: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [r for r in acl["Rules"] if r["Name"] == name]
    return found


def test_the_web_acl_allows_by_default_with_metrics_on(regional: tuple[cdk.Stack, Firewall, Path]) -> None:
    acl = web_acl(regional[0])
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    for r in acl["Rules"]:
        assert r["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
        assert r["VisibilityConfig"]["SampledRequestsEnabled"] is True


def test_each_ip_is_blocked_above_1000_requests_per_5_minutes_by_default(
    regional: tuple[cdk.Stack, Firewall, Path],
) -> None:
    rate = rule(web_acl(regional[0]), "RateLimitPerIp")
    assert rate["Priority"] == 0  # first, so it counts requests the common rules block too
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": DEFAULT_RATE_LIMIT,
        "EvaluationWindowSec": 300,
    }
    assert DEFAULT_RATE_LIMIT == 1000


def test_the_common_rules_block_except_large_bodies_which_they_only_count(
    regional: tuple[cdk.Stack, Firewall, Path],
) -> None:
    common = rule(web_acl(regional[0]), "CommonRuleSet")
    assert common["Priority"] == 1
    assert common["OverrideAction"] == {"None": {}}  # the group's own actions (block) apply...
    group = common["Statement"]["ManagedRuleGroupStatement"]
    assert (group["VendorName"], group["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    # ...except the 8 KB body limit: Dash callback POSTs exceed it
    assert group["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]


def test_a_regional_web_acl_is_associated_with_the_alb(regional: tuple[cdk.Stack, Firewall, Path]) -> None:
    stack, firewall, _ = regional
    template = Template.from_stack(stack)
    (acl_id,) = template.find_resources("AWS::WAFv2::WebACL")
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    template.has_resource_properties(
        "AWS::WAFv2::WebACLAssociation", {"ResourceArn": ALB_ARN, "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]}}
    )
    assert firewall.association is not None
    assert stack.resolve(firewall.web_acl_arn) == {"Fn::GetAtt": [acl_id, "Arn"]}
    # the cost report prices ZeroDash's web ACL at WAF_RULES rules (zerodash/cost.py)
    assert firewall.rule_count == 2 == len(web_acl(stack)["Rules"]) == WAF_RULES


def test_a_cloudfront_web_acl_in_us_east_1_has_no_association_and_the_given_limit(
    global_acl: tuple[cdk.Stack, Firewall, Path],
) -> None:
    stack, firewall, _ = global_acl
    acl = web_acl(stack)
    assert acl["Scope"] == "CLOUDFRONT"
    assert rule(acl, "RateLimitPerIp")["Statement"]["RateBasedStatement"]["Limit"] == 300
    Template.from_stack(stack).resource_count_is("AWS::WAFv2::WebACLAssociation", 0)
    assert firewall.association is None


def test_the_distribution_attaches_a_cloudfront_web_acl() -> None:
    stack, _ = edge_stack([EdgeApp("dashboard", "/")])
    firewall = Firewall(stack, "Firewall", waf_scope="CLOUDFRONT")
    edge = CloudFrontEdge(
        stack, "Edge2", load_balancer=_alb(stack), apps=[EdgeApp("dashboard", "/")], web_acl_arn=firewall.web_acl_arn
    )
    distributions = Template.from_stack(stack).find_resources("AWS::CloudFront::Distribution")
    config = distributions[stack.get_logical_id(edge.distribution.node.default_child)]["Properties"]  # type: ignore[arg-type]
    assert config["DistributionConfig"]["WebACLId"] == {"Fn::GetAtt": [stack.get_logical_id(firewall.web_acl), "Arn"]}


def _alb(stack: cdk.Stack) -> Any:
    return stack.node.find_child("Alb")


def test_an_environment_agnostic_stack_may_hold_a_cloudfront_web_acl() -> None:
    stack, _ = firewall_stack(None, waf_scope="CLOUDFRONT")
    assert web_acl(stack)["Scope"] == "CLOUDFRONT"


@pytest.mark.parametrize(
    ("region", "kwargs", "message"),
    [
        (
            "eu-west-1",
            {"waf_scope": "CLOUDFRONT"},
            "can only be created in us-east-1, but this stack deploys to eu-west-1",
        ),
        ("us-east-1", {"waf_scope": "CLOUDFRONT", "load_balancer_arn": ALB_ARN}, "drop load_balancer_arn"),
        ("eu-west-1", {"waf_scope": "REGIONAL"}, "needs load_balancer_arn"),
        ("eu-west-1", {"waf_scope": "GLOBAL", "load_balancer_arn": ALB_ARN}, "waf_scope must be"),
        ("eu-west-1", {"waf_scope": "REGIONAL", "load_balancer_arn": ALB_ARN, "rate_limit": 9}, "10..2,000,000,000"),
        ("eu-west-1", {"waf_scope": "REGIONAL", "load_balancer_arn": ALB_ARN, "rate_limit": 1.5}, "whole number"),
        ("eu-west-1", {"waf_scope": "REGIONAL", "load_balancer_arn": ALB_ARN, "rate_limit": True}, "whole number"),
    ],
)
def test_impossible_firewalls_are_refused_with_what_to_do(region: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        firewall_stack(region, **kwargs)


def test_the_lowest_rate_limit_aws_allows_is_accepted() -> None:
    stack, _ = firewall_stack("eu-west-1", waf_scope="REGIONAL", load_balancer_arn=ALB_ARN, rate_limit=10)
    assert rule(web_acl(stack), "RateLimitPerIp")["Statement"]["RateBasedStatement"]["Limit"] == 10


@pytest.mark.parametrize("fixture", ["regional", "global_acl"])
def test_no_nag_findings_and_no_acknowledgements(fixture: str, request: pytest.FixtureRequest) -> None:
    stack: cdk.Stack = request.getfixturevalue(fixture)[0]
    annotations = Annotations.from_stack(stack)
    finding = Match.string_like_regexp("AwsSolutions-.*")
    assert annotations.find_error("*", finding) == []
    assert annotations.find_warning("*", finding) == []
    for resource in Template.from_stack(stack).to_json()["Resources"].values():
        assert "cdk_nag" not in resource.get("Metadata", {})


@pytest.mark.parametrize("fixture", ["regional", "global_acl"])
def test_the_templates_have_no_cfn_lint_findings(fixture: str, request: pytest.FixtureRequest) -> None:
    outdir: Path = request.getfixturevalue(fixture)[2]
    (template_file,) = outdir.glob("FirewallTest.template.json")
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", str(template_file)], capture_output=True, text=True, check=False
    )
    assert result.stdout.splitlines() == []  # not even a warning
    assert result.returncode == 0, result.stdout + result.stderr
