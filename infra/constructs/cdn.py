"""The CloudFront way in: a distribution over HTTPS on *.cloudfront.net in front of an internal ALB (a VPC origin).

AWS facts this module rests on (Amazon CloudFront Developer Guide pages, checked with the docs search):
- "Restrict access with VPC origins": an internal ALB in private subnets can be a CloudFront origin; requests go from
  CloudFront to the VPC origin over a private connection, so the ALB needs no public address.
- "Request and response behavior for custom origins" (HTTP request headers table): when the Host header is not
  forwarded, "CloudFront sets the value to the domain name of the origin"; the origin's domain is the ALB's DNS name,
  which is the Host every app rule matches in this way in.
- "Use managed origin request policies": AllViewerExceptHostHeader forwards every viewer header, cookie and query
  string except Host.
- "Use WebSockets with CloudFront distributions": WebSockets work on any distribution whose behaviour forwards all
  viewer headers (or Sec-WebSocket-Key and Sec-WebSocket-Version); "Quotas" (WebSocket connections): an idle
  connection is closed after 10 minutes without bytes from the origin.
- "How CloudFront processes HTTP 4xx and 5xx status codes from your origin": CloudFront caches 404, 414, 500, 501,
  502, 503 and 504 from the origin (400, 403, 405, 412, 415 only with Cache-Control max-age/s-maxage) for the error
  caching minimum TTL, 10 seconds by default; with the CachingDisabled policy it caches none of them.
- "Control how long CloudFront caches errors": `Cache-Control: no-store`/`no-cache`/`private` keeps only 404, 410,
  414 and 501 out of the cache; "for all other error codes, CloudFront ignores" them and caches the error for the
  error caching minimum TTL. So the waker's 503s carrying no-store are NOT enough: 500/502/503/504 get a minimum
  TTL of 0 here (it matters on the cached Dash-bundle behaviour; the others use CachingDisabled anyway).
- "How CloudFront processes HTTP 4xx and 5xx ...": CloudFront caches responses to GET and HEAD only, never POST: a
  Dash callback's JSON 503 from the waker is never cached whatever the settings.
- "Quotas": 75 cache behaviours per distribution, 20 custom cache policies and 20 custom response headers policies
  per account (all adjustable), Content-Security-Policy value at most 1,783 characters; origin response timeout
  1-120 seconds by default.
- CloudFront API reference, ViewerCertificate: with the default certificate (CloudFrontDefaultCertificate true)
  "CloudFront automatically sets the security policy to TLSv1 regardless of" MinimumProtocolVersion.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from cdk_nag import NagSuppressions
from constructs import Construct

from common.framing import frame_ancestors_policy, frame_options
from zerodash.access import is_frame_source

ORIGIN_HTTP_PORT = 80
# The ALB's idle timeout is 60 s (its default); CloudFront's own default of 30 s would cut a slow Dash callback
# that the ALB still allows. 60 is inside the default quota of 1-120 s ("Quotas": response timeout per origin).
ORIGIN_READ_TIMEOUT = Duration.seconds(60)
# Error codes whose responses must never be served from the edge cache: the waker's holding page (503), the ALB's
# own 502/504 while a task starts or stops, and an app's 500. See the module docstring for why no-store is not enough.
UNCACHED_ERROR_CODES = (500, 502, 503, 504)
DASH_BUNDLES = "_dash-component-suites/*"
HSTS_MAX_AGE = Duration.days(365)
MAX_CSP_LENGTH = 1783  # "Quotas": maximum length of the Content-Security-Policy header value
# A URL prefix is "/" or "/a/b/": segments of the characters CloudFront allows in a path pattern (less the wildcards
# * and ?, which would change what the behaviour matches).
_PREFIX = re.compile(r"/(?:[A-Za-z0-9_.~@:+$-]+/)*")


@dataclass(frozen=True)
class CloudFrontQuotas:
    """The account's CloudFront quotas this construct spends. Defaults: AWS's default quotas ("Quotas" page).

    Raise a value only after AWS granted the increase: synth cannot see the real quota, and an over-set value only
    moves the failure from a clear synth error to a rolled-back deploy. The policy quotas are per account: leave
    room for other distributions in it.
    """

    cache_behaviors: int = 75  # per distribution (counted here with the default behaviour)
    response_headers_policies: int = 20  # custom policies per account
    cache_policies: int = 20  # custom policies per account


class EdgeApp(NamedTuple):
    """One app behind the distribution.

    name: the app's name (unique). url_prefix: "/" (the catch-all app) or "/<path>/", what the app's ALB rule
    matches. frame_ancestors: CSP sources allowed to frame the app ("'self'", "https://host[:port]",
    "https://*.example.com"); () = nobody. is_dash: a Dash app, whose component bundles are cached at the edge.
    """

    name: str
    url_prefix: str
    frame_ancestors: tuple[str, ...] = ()
    is_dash: bool = True


class CloudFrontEdge(Construct):
    """A CloudFront distribution serving every app over HTTPS on its *.cloudfront.net name, from an internal ALB.

    Origin: an `AWS::CloudFront::VpcOrigin` for the ALB, HTTP on `origin_http_port` (80). That hop stays inside
    AWS's network on the VPC origin's private connection; HTTPS to the ALB would need a certificate for a name the
    internal ALB answers to, which this way in (no domain) does not have. The viewer side is HTTPS only: HTTP
    requests are redirected (301) to HTTPS; HTTP/2 and HTTP/3; IPv6.

    Behaviours, most specific first:
    - per Dash app `<prefix>_dash-component-suites/*`: GET/HEAD, cached with a cache policy keyed on every query
      string (Dash fingerprints its bundles with `?v=`/`?m=` or in the file name) and on no cookie or header,
      compressed at the edge; the viewer's User-Agent and Referer still reach the origin (managed origin request
      policy UserAgentRefererHeaders) so the platform's bot rules see who asks;
    - per app other than "/" `<prefix>*`, and the default behaviour `*`: never cached (managed CachingDisabled),
      all methods (Dash's POST callbacks), every viewer header, cookie (the ALB's AWSALB stickiness cookies) and
      query string except Host (managed AllViewerExceptHostHeader): the ALB receives Host = its own DNS name, the
      host its app rules match. Forwarding every header also carries WebSocket upgrades.

    Every app's behaviours carry a response headers policy: HSTS (one year, includeSubDomains), nosniff and
    Referrer-Policy strict-origin-when-cross-origin, all overriding the origin's; X-Frame-Options DENY when nobody
    may frame the app, SAMEORIGIN when only 'self' may, none otherwise (it cannot list origins), overriding; and
    `Content-Security-Policy: frame-ancestors ...` WITHOUT override: an app (or the runtime, which sets the same
    frame-ancestors from FRAME_ANCESTORS) that sends its own CSP keeps it whole, since a CloudFront CSP replaces the
    entire header and would drop the app's other directives; an app that sends none gets this one. Apps with the
    same frame ancestors share one policy (the per-account quota is 20). The default behaviour carries the "/"
    app's policy, or the no-framing one when no app is at "/".

    Errors 500/502/503/504 have an error caching minimum TTL of 0 (UNCACHED_ERROR_CODES).

    Attributes:
        distribution: the `cloudfront.Distribution`.
        domain_name: its domain name, d111111abcdef8.cloudfront.net (a token).
        vpc_origin: the `cloudfront.VpcOrigin` for the ALB.
        bundle_cache_policy: the `cloudfront.CachePolicy` of the Dash-bundle behaviours.
        headers_policies: app name -> the `cloudfront.ResponseHeadersPolicy` on its behaviours.
        default_headers_policy: the policy on the default behaviour.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        load_balancer: elbv2.IApplicationLoadBalancer,
        apps: Sequence[EdgeApp | tuple[str, str, tuple[str, ...], bool]],
        origin_http_port: int = ORIGIN_HTTP_PORT,
        origin_read_timeout: Duration = ORIGIN_READ_TIMEOUT,
        price_class: cloudfront.PriceClass = cloudfront.PriceClass.PRICE_CLASS_100,
        web_acl_arn: str | None = None,
        log_bucket: s3.IBucket | None = None,
        quotas: CloudFrontQuotas = CloudFrontQuotas(),  # frozen, so one shared default is safe
    ) -> None:
        """
        Args:
            load_balancer: the internal ALB; its listener on `origin_http_port` holds the app rules.
            apps: the apps, as `EdgeApp`s or (name, url_prefix, frame_ancestors, is_dash) tuples.
            origin_http_port: the ALB listener port the VPC origin sends to. Default 80.
            origin_read_timeout: how long CloudFront waits for the origin's response. Default 60 s (the ALB's idle
                timeout); above 120 s needs a quota increase.
            price_class: which edge locations serve viewers. Default PRICE_CLASS_100 (North America, Europe,
                Israel: the cheapest).
            web_acl_arn: a CLOUDFRONT-scope WAFv2 web ACL (infra.constructs.firewall.Firewall.web_acl_arn, made in
                us-east-1). Default None: no WAF.
            log_bucket: where CloudFront writes standard access logs (prefix `cloudfront/`). It must allow ACLs
                (object ownership ObjectWriter or BucketOwnerPreferred): CloudFront's standard logs are written
                with an ACL, so a bucket with BucketOwnerEnforced (like the platform's log bucket) rejects them.
                Default None: no CloudFront logs (the ALB's access logs still record what reaches the origin).
            quotas: the CloudFront quotas to stay within (see `CloudFrontQuotas`).

        Raises:
            ValueError: an app's name, prefix or frame ancestors are malformed or repeated, or the apps need more
                behaviours or policies than `quotas` allow.
        """
        super().__init__(scope, construct_id)
        edge_apps = _checked_apps(apps)
        _check_quotas(edge_apps, quotas)

        self.vpc_origin = cloudfront.VpcOrigin(
            self,
            "VpcOrigin",
            endpoint=cloudfront.VpcOriginEndpoint.application_load_balancer(load_balancer),
            # The ALB listens on HTTP only; the default MATCH_VIEWER would send the (always HTTPS) viewer requests
            # to port 443, where nothing listens.
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTP_ONLY,
            http_port=origin_http_port,
        )
        origin = origins.VpcOrigin.with_vpc_origin(
            self.vpc_origin,
            domain_name=load_balancer.load_balancer_dns_name,  # the Host CloudFront sends (see the docstring)
            read_timeout=origin_read_timeout,
        )

        self.headers_policies: dict[str, cloudfront.ResponseHeadersPolicy] = {}
        by_ancestors: dict[tuple[str, ...], cloudfront.ResponseHeadersPolicy] = {}

        def policy_for(frame_ancestors: tuple[str, ...]) -> cloudfront.ResponseHeadersPolicy:
            if frame_ancestors not in by_ancestors:
                by_ancestors[frame_ancestors] = _headers_policy(self, frame_ancestors)
            return by_ancestors[frame_ancestors]

        for app in edge_apps:
            self.headers_policies[app.name] = policy_for(app.frame_ancestors)
        root = next((app for app in edge_apps if app.url_prefix == "/"), None)
        self.default_headers_policy = policy_for(root.frame_ancestors if root else ())

        self.bundle_cache_policy = cloudfront.CachePolicy(
            self,
            "DashBundles",
            comment="ZeroDash: Dash component bundles, keyed on their fingerprint query strings",
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
            # Dash sends a one-year max-age on fingerprinted bundles; min 0 keeps an origin's no-cache in force.
            min_ttl=Duration.seconds(0),
            default_ttl=Duration.days(1),
            max_ttl=Duration.days(365),
        )

        def page_behavior(policy: cloudfront.IResponseHeadersPolicy) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                response_headers_policy=policy,
            )

        def bundle_behavior(policy: cloudfront.IResponseHeadersPolicy) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                cache_policy=self.bundle_cache_policy,
                origin_request_policy=cloudfront.OriginRequestPolicy.USER_AGENT_REFERER_HEADERS,
                response_headers_policy=policy,
                compress=True,
            )

        behaviors: dict[str, cloudfront.BehaviorOptions] = {}
        for app in edge_apps:
            policy = self.headers_policies[app.name]
            if app.is_dash:
                behaviors[app.url_prefix + DASH_BUNDLES] = bundle_behavior(policy)
            if app.url_prefix != "/":
                behaviors[app.url_prefix + "*"] = page_behavior(policy)
        # CloudFront takes the first behaviour whose pattern matches. Every pattern is a literal prefix plus "*",
        # and one prefix pattern is inside another only when its prefix is longer: longest first is most specific.
        ordered = dict(sorted(behaviors.items(), key=lambda item: (-len(item[0]), item[0])))

        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="ZeroDash apps",
            default_behavior=page_behavior(self.default_headers_policy),
            additional_behaviors=ordered,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_ipv6=True,
            price_class=price_class,
            error_responses=[
                cloudfront.ErrorResponse(http_status=code, ttl=Duration.seconds(0)) for code in UNCACHED_ERROR_CODES
            ],
            web_acl_id=web_acl_arn,
            log_bucket=log_bucket,
            log_file_prefix="cloudfront/" if log_bucket is not None else None,
        )
        self.domain_name = self.distribution.distribution_domain_name

        suppressions = [
            {
                "id": "AwsSolutions-CFR1",
                "reason": "Dashboards are shared with whoever their operators choose, wherever they are; which "
                "countries to refuse is a business decision no default can make, so no geo restriction is set.",
            },
            {
                "id": "AwsSolutions-CFR4",
                "reason": "This way in serves the default *.cloudfront.net certificate, for which CloudFront sets "
                "the TLSv1 security policy whatever MinimumProtocolVersion says (API ViewerCertificate); a stricter "
                "policy needs a custom domain and certificate, which the domainName way in provides.",
            },
        ]
        if web_acl_arn is None:
            suppressions.append(
                {
                    "id": "AwsSolutions-CFR2",
                    "reason": "AWS WAF is opt-in (config `waf: true` attaches a CLOUDFRONT web ACL): it costs at "
                    "least $5 a month per web ACL plus $1 per rule, more than a sleeping app; CloudFront's Shield "
                    "Standard DDoS protection applies without it.",
                }
            )
        if log_bucket is None:
            suppressions.append(
                {
                    "id": "AwsSolutions-CFR3",
                    "reason": "CloudFront standard logs need an S3 bucket that accepts ACLs, and the platform's log "
                    "bucket enforces bucket-owner ownership (no ACLs); the ALB's access logs record every request "
                    "that reaches an app. Pass log_bucket to turn CloudFront logs on.",
                }
            )
        NagSuppressions.add_resource_suppressions(self.distribution, suppressions, apply_to_children=True)


def _checked_apps(apps: Sequence[EdgeApp | tuple[str, str, tuple[str, ...], bool]]) -> list[EdgeApp]:
    """The apps as `EdgeApp`s with normalized frame ancestors (sorted, unique), or ValueError naming what is wrong."""
    checked: list[EdgeApp] = []
    names: set[str] = set()
    prefixes: dict[str, str] = {}
    for raw in apps:
        app = EdgeApp(*raw)
        if not app.name:
            raise ValueError(f"every app needs a name, got {app!r}")
        if app.name in names:
            raise ValueError(f"app names must be unique, got {app.name!r} twice")
        names.add(app.name)
        if not _PREFIX.fullmatch(app.url_prefix):
            raise ValueError(
                f'app {app.name!r}: url_prefix must be "/" or "/<path>/" (letters, digits, _ . ~ @ : + $ -), '
                f"got {app.url_prefix!r}"
            )
        if app.url_prefix in prefixes:
            raise ValueError(
                f"apps {prefixes[app.url_prefix]!r} and {app.name!r} have the same url_prefix {app.url_prefix!r}"
            )
        prefixes[app.url_prefix] = app.name
        # The config's own check (zerodash.access), again here: a space, ";" or "," in a source would end the
        # directive or the header and let one app's setting inject policy into the response.
        bad = [source for source in app.frame_ancestors if not is_frame_source(source)]
        if bad:
            raise ValueError(
                f"app {app.name!r}: frame_ancestors must be \"'self'\" or https://host[:port] sources "
                f"(https://*.example.com allowed), got {bad}"
            )
        ancestors = tuple(sorted(set(app.frame_ancestors)))
        if len(frame_ancestors_policy(ancestors)) > MAX_CSP_LENGTH:
            raise ValueError(
                f"app {app.name!r}: its Content-Security-Policy would be {len(frame_ancestors_policy(ancestors))} "
                "characters; "
                f"CloudFront allows {MAX_CSP_LENGTH} (Quotas: Content-Security-Policy value)"
            )
        checked.append(app._replace(frame_ancestors=ancestors))
    return checked


def _check_quotas(apps: Sequence[EdgeApp], quotas: CloudFrontQuotas) -> None:
    """ValueError when the apps need more of a CloudFront quota than `quotas` allow."""
    # Counted with the default behaviour, in case the quota does (the Quotas page does not say).
    behaviors = 1 + sum(app.is_dash for app in apps) + sum(app.url_prefix != "/" for app in apps)
    if behaviors > quotas.cache_behaviors:
        raise ValueError(
            f"{len(apps)} apps need {behaviors} CloudFront cache behaviours (the default one, one per app not at "
            f"'/', one more per Dash app for its bundles); a distribution allows {quotas.cache_behaviors} (quota "
            "'Cache behaviors per distribution'). Request a quota increase and raise "
            "CloudFrontQuotas.cache_behaviors, or host fewer apps."
        )
    needed = {app.frame_ancestors for app in apps}
    if not any(app.url_prefix == "/" for app in apps):
        needed.add(())  # the default behaviour's no-framing policy
    headers_policies = len(needed)
    if headers_policies > quotas.response_headers_policies:
        raise ValueError(
            f"the apps' frame ancestors need {headers_policies} different CloudFront response headers policies; the "
            f"account allows {quotas.response_headers_policies} (quota 'Response headers policies per AWS account'). "
            "Give apps the same frameAncestors where possible, or request a quota increase."
        )
    cache_policies = 1 if any(app.is_dash for app in apps) else 0
    if cache_policies > quotas.cache_policies:
        raise ValueError(
            f"the Dash bundle behaviours need {cache_policies} custom CloudFront cache policy; the quota allows "
            f"{quotas.cache_policies} (quota 'Cache policies per AWS account')"
        )


# The policy's construct id and CloudFront's frame option, per X-Frame-Options value (common/framing.py).
_FRAME_OPTION_POLICIES = {
    "DENY": ("HeadersNoFraming", cloudfront.HeadersFrameOption.DENY),
    "SAMEORIGIN": ("HeadersSameOrigin", cloudfront.HeadersFrameOption.SAMEORIGIN),
}


def _headers_policy(scope: Construct, frame_ancestors: tuple[str, ...]) -> cloudfront.ResponseHeadersPolicy:
    """The security headers for apps that `frame_ancestors` may frame (see CloudFrontEdge for each choice)."""
    options = frame_options(frame_ancestors)
    if options is not None:
        construct_id, frame_option = _FRAME_OPTION_POLICIES[options]
    else:
        # A stable id per set of sources, so adding or removing other apps never replaces this policy.
        digest = hashlib.sha256(" ".join(frame_ancestors).encode()).hexdigest()[:12]
        construct_id, frame_option = f"HeadersFramedBy{digest}", None
    csp = frame_ancestors_policy(frame_ancestors)
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        comment=f"ZeroDash: {csp}"[:128],
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
            ),
            frame_options=(
                cloudfront.ResponseHeadersFrameOptions(frame_option=frame_option, override=True)
                if frame_option is not None
                else None
            ),
            content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=csp, override=False
            ),
        ),
    )
