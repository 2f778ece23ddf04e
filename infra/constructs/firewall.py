"""An AWS WAF web ACL where the traffic enters: AWS's common rules and a per-IP rate limit.

AWS facts this module rests on (AWS WAF Developer Guide pages, checked with the docs search):
- "Baseline rule groups" (Core rule set, AWSManagedRulesCommonRuleSet): its rule SizeRestrictions_BODY blocks
  request bodies over 8 KB (8,192 bytes), a fixed size that no setting raises.
- "Rate-based rule high-level settings": the rate limit counts requests per aggregation instance (here each client
  IP) over the evaluation window, 300 s by default; the lowest limit allowed is 10.
- AWS::WAFv2::WebACL (CloudFormation): a web ACL for CloudFront has Scope CLOUDFRONT and must be created in
  us-east-1; a REGIONAL one is attached to an ALB by an AWS::WAFv2::WebACLAssociation in the ALB's region.
"""

from __future__ import annotations

from typing import Literal

from aws_cdk import Stack, Token
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

DEFAULT_RATE_LIMIT = 1000  # requests per client IP per 5 minutes (config wafRateLimit's default)
MIN_RATE_LIMIT = 10  # "Rate-based rule high-level settings": the lowest limit setting allowed
MAX_RATE_LIMIT = 2_000_000_000  # AWS::WAFv2::WebACL RateBasedStatement.Limit maximum
RATE_WINDOW_SECONDS = 300
CLOUDFRONT_REGION = "us-east-1"
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
# Dash sends each callback's inputs and state as a JSON POST body; tables, stores and figures easily make it larger
# than 8 KB, and the rule set would answer those callbacks 403, breaking the app. The rule still counts such
# requests (visible in the metrics), and every other rule of the set still inspects the body's first part.
COUNTED_RULES = ("SizeRestrictions_BODY",)


class Firewall(Construct):
    """An AWS::WAFv2::WebACL allowing by default, with two rules, CloudWatch metrics and sampled requests on each:

    1. `RateLimitPerIp` (priority 0): blocks a client IP that sent more than `rate_limit` requests in the last
       5 minutes. It comes first so it counts every request, including those the next rule would block.
    2. `CommonRuleSet` (priority 1): AWS's managed AWSManagedRulesCommonRuleSet (OWASP-style checks), with
       SizeRestrictions_BODY set to COUNT (see COUNTED_RULES).

    With scope REGIONAL the web ACL is associated with the ALB `load_balancer_arn`; with scope CLOUDFRONT the
    distribution attaches it (`CloudFrontEdge(web_acl_arn=firewall.web_acl_arn)`), and the stack must be in
    us-east-1 (or environment-agnostic, left to the deploy to check).

    Attributes:
        web_acl: the `wafv2.CfnWebACL`.
        web_acl_arn: its ARN (a token).
        association: the `wafv2.CfnWebACLAssociation` with the ALB (REGIONAL), or None (CLOUDFRONT).
        rule_count: how many rules the web ACL has (AWS WAF bills per web ACL and per rule, a managed rule group
            counting as one).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        waf_scope: Literal["REGIONAL", "CLOUDFRONT"],
        rate_limit: int = DEFAULT_RATE_LIMIT,
        load_balancer_arn: str | None = None,
    ) -> None:
        """
        Args:
            waf_scope: "REGIONAL" (an ALB) or "CLOUDFRONT" (a distribution).
            rate_limit: requests per client IP per 5 minutes before that IP is blocked; 10 to 2,000,000,000.
                Default 1000.
            load_balancer_arn: the ALB to protect; required with REGIONAL, refused with CLOUDFRONT.

        Raises:
            ValueError: an unknown scope, a rate limit out of range, a missing or superfluous ALB ARN, or
                CLOUDFRONT scope in a stack whose region is set to one other than us-east-1.
        """
        super().__init__(scope, construct_id)
        if waf_scope not in ("REGIONAL", "CLOUDFRONT"):
            raise ValueError(f'waf_scope must be "REGIONAL" or "CLOUDFRONT", got {waf_scope!r}')
        if isinstance(rate_limit, bool) or not isinstance(rate_limit, int):
            raise ValueError(f"rate_limit must be a whole number of requests, got {rate_limit!r}")
        if not MIN_RATE_LIMIT <= rate_limit <= MAX_RATE_LIMIT:
            raise ValueError(
                f"rate_limit must be {MIN_RATE_LIMIT}..{MAX_RATE_LIMIT:,} requests per IP per 5 minutes "
                f"(AWS WAF's range), got {rate_limit}"
            )
        if waf_scope == "REGIONAL" and load_balancer_arn is None:
            raise ValueError("a REGIONAL web ACL needs load_balancer_arn: the ALB it protects")
        if waf_scope == "CLOUDFRONT":
            if load_balancer_arn is not None:
                raise ValueError(
                    "a CLOUDFRONT web ACL protects a distribution (CloudFrontEdge(web_acl_arn=...)), not an ALB: "
                    "drop load_balancer_arn"
                )
            region = Stack.of(self).region
            if not Token.is_unresolved(region) and region != CLOUDFRONT_REGION:
                raise ValueError(
                    f"AWS WAF web ACLs for CloudFront can only be created in {CLOUDFRONT_REGION}, but this stack "
                    f"deploys to {region}: deploy the stacks to {CLOUDFRONT_REGION} to use waf with "
                    'edge "cloudfront", or turn waf off'
                )

        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="RateLimitPerIp",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP",
                        limit=rate_limit,
                        evaluation_window_sec=RATE_WINDOW_SECONDS,
                    )
                ),
                visibility_config=_visibility("RateLimitPerIp"),
            ),
            wafv2.CfnWebACL.RuleProperty(
                name="CommonRuleSet",
                priority=1,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name=COMMON_RULE_SET,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                            )
                            for rule in COUNTED_RULES
                        ],
                    )
                ),
                visibility_config=_visibility("CommonRuleSet"),
            ),
        ]
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope=waf_scope,
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            description="ZeroDash: AWS common rules and a per-IP rate limit",
            rules=rules,
            visibility_config=_visibility("ZeroDashWebAcl"),
        )
        self.web_acl_arn: str = self.web_acl.attr_arn
        self.rule_count = len(rules)

        self.association: wafv2.CfnWebACLAssociation | None = None
        if load_balancer_arn is not None:
            self.association = wafv2.CfnWebACLAssociation(
                self, "Association", resource_arn=load_balancer_arn, web_acl_arn=self.web_acl_arn
            )


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )
