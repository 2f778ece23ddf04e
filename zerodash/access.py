"""How visitors reach the apps, in the configuration: the way in (plain HTTP on the ALB, HTTPS with a domain,
CloudFront), host names, login and who may embed an app. Declared here, checked together by `check_way_in`.

The three ways in (README "Ways in"):
- "http": the ALB's own address over plain HTTP. For trying ZeroDash out; synth warns.
- "domain": `domainName` with `hostedZoneId` + `hostedZoneName` (the stack makes a DNS-validated certificate and
  the alias records) or with `certificateArn` (an existing certificate; the DNS records are the user's): HTTPS on
  the ALB, HTTP redirected, optional per-app `host`, optional per-app `auth` (the ALB authenticates).
- "cloudfront" (`edge: "cloudfront"`): HTTPS on CloudFront's own domain; the ALB is internal, reachable only
  through CloudFront's VPC origin. The ALB has no HTTPS listener there, so it cannot authenticate: no `auth`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, model_validator

from common.framing import SELF_SOURCE, frame_options
from zerodash.schema import Matches, Model, Whole, problem, show
from zerodash.secret_ref import SecretRef

if TYPE_CHECKING:
    from zerodash.config import AppConfig, ZeroDashConfig

WayIn = Literal["http", "domain", "cloudfront"]
Edge = Literal["alb", "cloudfront"]

# A lowercase DNS name of two or more labels (letters, digits, - inside a label), as ACM and Route 53 take it.
# ACM: the certificate's first name (domainName) has at most 64 characters, the others (app hosts) 253; an ALB
# host-header condition value at most 128. https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html
DNS_NAME_PATTERN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
MAX_DOMAIN_NAME_CHARS = 64
MAX_HOST_CHARS = 128
HOSTED_ZONE_ID_PATTERN = re.compile(r"^[A-Z0-9]{1,32}$")
CERTIFICATE_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
# A CSP source that may frame an app: 'self', or an https origin, optionally with a wildcard subdomain
# ("https://*.example.com") and a port. https://www.w3.org/TR/CSP3/#directive-frame-ancestors
FRAME_SOURCE_PATTERN = re.compile(
    r"^https://(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]+(?::\d{1,5})?$"
)
MAX_FRAME_SOURCES = 16
# An https URL (ALB: the OIDC issuer and endpoints "must include the protocol, the domain, and the path").
HTTPS_URL_PATTERN = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$")
MAX_URL_CHARS = 2048
CLIENT_ID_PATTERN = re.compile(r"^[\x21-\x7e]{1,256}$")  # printable ASCII, no spaces
SCOPE_PATTERN = re.compile(r"^[\x21-\x7e]+(?: [\x21-\x7e]+)*$")
# ALB: SessionTimeout is 1 second to 7 days; minutes here. The default is a working day, not ALB's 7 days: a login
# that outlives the working day is what people expect of a company dashboard.
MAX_SESSION_MINUTES = 7 * 24 * 60
DEFAULT_SESSION_MINUTES = 8 * 60
# AWS WAF: a rate-based rule's limit per 5 minutes (evaluation window) is 10 to 2,000,000,000.
# https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html
MIN_WAF_RATE_LIMIT, MAX_WAF_RATE_LIMIT = 10, 2_000_000_000
DEFAULT_WAF_RATE_LIMIT = 1000
OIDC_KEYS = ("issuer", "authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint", "clientId", "clientSecret")
AUTH_KEYS = ("type", *OIDC_KEYS, "scope", "sessionTimeoutMinutes")
HTTPS_NEEDED = (
    "set domainName with hostedZoneId and hostedZoneName (the stacks make the certificate and DNS records), or "
    "domainName with certificateArn"
)

DomainName = Annotated[
    str,
    Matches(
        DNS_NAME_PATTERN,
        f"is not a lowercase DNS name such as dash.example.com (at most {MAX_DOMAIN_NAME_CHARS} characters, the "
        "longest first name an ACM certificate takes)",
        MAX_DOMAIN_NAME_CHARS,
    ),
]
HostName = Annotated[
    str,
    Matches(
        DNS_NAME_PATTERN,
        f"is not a lowercase DNS name such as sales.example.com (at most {MAX_HOST_CHARS} characters)",
        MAX_HOST_CHARS,
    ),
]
HttpsUrl = Annotated[
    str, Matches(HTTPS_URL_PATTERN, "must be an https:// URL such as https://login.example.com/oauth2/token", 2048)
]


def _frame_sources(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        raise problem(
            f'must be a list of origins allowed to frame the app, e.g. ["{SELF_SOURCE}", "https://intranet.example.com"]'
        )
    if len(value) > MAX_FRAME_SOURCES:
        raise problem(f"{len(value)} sources; at most {MAX_FRAME_SOURCES}")
    for index, source in enumerate(value):
        if not is_frame_source(source):
            raise problem(
                f'{show(source)} is not allowed; allowed: "{SELF_SOURCE}" (with the quotes) or an https origin such as '
                '"https://intranet.example.com", "https://*.example.com" or "https://portal.example.com:8443" '
                "(leave the key out so that no page may frame the app)",
                index,
            )
    return tuple(value)


def is_frame_source(source: Any) -> bool:
    """A CSP source an app's frameAncestors may name: "'self'" or an https origin (FRAME_SOURCE_PATTERN)."""
    return source == SELF_SOURCE or (isinstance(source, str) and FRAME_SOURCE_PATTERN.fullmatch(source) is not None)


FrameAncestors = Annotated[tuple[str, ...], BeforeValidator(_frame_sources)]


class AuthConfig(Model):
    """A login the ALB enforces before the app and its waker: "oidc" (any OpenID Connect provider; the client
    secret stays in Secrets Manager) or "cognito" (a user pool the stacks create)."""

    kind: Annotated[Literal["oidc", "cognito"], Field(alias="type")]
    issuer: HttpsUrl | None = None
    authorization_endpoint: HttpsUrl | None = None
    token_endpoint: HttpsUrl | None = None
    user_info_endpoint: HttpsUrl | None = None
    client_id: (
        Annotated[str, Matches(CLIENT_ID_PATTERN, "must be 1-256 printable characters without spaces")] | None
    ) = None
    client_secret: SecretRef | None = None
    scope: Annotated[str, Matches(SCOPE_PATTERN, 'must be scopes separated by single spaces, e.g. "openid email"')] = (
        "openid"
    )
    session_timeout_minutes: Annotated[int, Whole.between(1, MAX_SESSION_MINUTES)] = DEFAULT_SESSION_MINUTES

    @model_validator(mode="before")
    @classmethod
    def _entry(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise problem('must be an object such as {"type": "cognito"} or {"type": "oidc", "issuer": ...}')
        cls._check_keys(data, info, allowed=AUTH_KEYS)
        kind = data.get("type", data.get("kind"))
        if kind not in ("oidc", "cognito"):
            raise problem(f'{show(kind)} is not allowed; allowed: "oidc", "cognito"', "type")
        given = [key for key in OIDC_KEYS if key in data]
        if kind == "cognito" and given:
            raise problem(
                'is for "type": "oidc"; a Cognito login needs only "type" (and sessionTimeoutMinutes)', given[0]
            )
        if kind == "oidc":
            missing = [key for key in OIDC_KEYS if data.get(key) in (None, "")]
            if missing:
                raise problem(
                    "is required for an OIDC login (the identity provider's discovery document lists the issuer and "
                    'endpoints; the client secret is "secretsmanager:<name>[:json-key]")',
                    missing[0],
                )
        return data

    @model_validator(mode="after")
    def _secret_kind(self) -> AuthConfig:
        if self.client_secret is not None and self.client_secret.kind != "secretsmanager":
            raise problem(
                f"{show(str(self.client_secret))}: the load balancer reads the client secret from Secrets Manager "
                '(CloudFormation resolves it there); use "secretsmanager:<name>[:json-key]"',
                "clientSecret",
            )
        return self


def way_in_of(edge: Edge, domain_name: str | None) -> WayIn:
    """How visitors reach the apps, from the `edge` and `domainName` keys."""
    if edge == "cloudfront":
        return "cloudfront"
    return "domain" if domain_name is not None else "http"


def check_way_in(config: ZeroDashConfig) -> None:
    """Refuse a combination of the ways-in keys that cannot deploy or would not be what the user asked for.

    Raises the pydantic error `problem(...)` with the key's location, as the model validators do.
    """
    zone = (config.hosted_zone_id, config.hosted_zone_name)
    if (zone[0] is None) != (zone[1] is None):
        missing = "hostedZoneName" if zone[1] is None else "hostedZoneId"
        raise problem(
            f"needs {missing} too: the hosted zone where the certificate's and the app's DNS records go", missing
        )
    has_zone = zone[0] is not None
    if config.domain_name is None:
        for key, value in (("hostedZoneId", zone[0]), ("certificateArn", config.certificate_arn)):
            if value is not None:
                raise problem("needs domainName: the name the apps are served at", key)
    else:
        if config.edge == "cloudfront":
            raise problem(
                'edge "cloudfront" serves the apps on CloudFront\'s own domain (d111111abcdef8.cloudfront.net); a '
                "domain of your own on CloudFront is not supported yet: leave out domainName, or leave out edge for "
                "HTTPS on the load balancer with your domain",
                "domainName",
            )
        if has_zone and config.certificate_arn is not None:
            raise problem(
                "give either hostedZoneId/hostedZoneName (the stacks make the certificate) or certificateArn (yours)",
                "certificateArn",
            )
        if not has_zone and config.certificate_arn is None:
            raise problem(f"needs a certificate: {HTTPS_NEEDED}", "domainName")
        if has_zone:
            _check_in_zone(config.domain_name, zone[1], ("domainName",))
    for index, app in enumerate(config.apps):
        if app.host is not None:
            if config.domain_name is None:
                raise problem(f"a host name needs HTTPS on the load balancer: {HTTPS_NEEDED}", "apps", index, "host")
            if has_zone:
                _check_in_zone(app.host, zone[1], ("apps", index, "host"))
        if app.auth is not None and config.way_in != "domain":
            if config.edge == "cloudfront":
                fix = (
                    'with edge "cloudfront" the load balancer is internal, with no HTTPS listener to authenticate on: '
                    f"leave out edge and {HTTPS_NEEDED}"
                )
            else:
                fix = HTTPS_NEEDED
            raise problem(f"a login needs HTTPS on the load balancer (ALB login): {fix}", "apps", index, "auth")
    if config.waf_rate_limit != DEFAULT_WAF_RATE_LIMIT and not config.waf:
        raise problem("needs waf: true", "wafRateLimit")


def _check_in_zone(name: str, zone_name: str | None, loc: tuple[str | int, ...]) -> None:
    zone = (zone_name or "").rstrip(".")
    if name != zone and not name.endswith(f".{zone}"):
        raise problem(
            f"{show(name)} is not in the hosted zone {zone!r} (hostedZoneName): the certificate is validated and the "
            "alias record written in that zone",
            *loc,
        )


def load_balancer_frame_options(apps: Sequence[AppConfig]) -> str | None:
    """The X-Frame-Options value the load balancer can set for every app (a listener attribute replaces the
    header whatever the app sent), or None when no single value fits.

    Apps served by ZeroDash's runtime send their own `Content-Security-Policy: frame-ancestors`, which browsers
    obey instead of X-Frame-Options (CSP Level 3, frame-ancestors: "X-Frame-Options ... is obsoleted by this
    directive"), so only the apps that bring their own server (Dockerfile, image) decide: "DENY" when none of them
    may be framed, "SAMEORIGIN" when each may be framed by its own origin only.
    """
    own_servers = {frame_options(app.frame_ancestors) for app in apps if app.app_source.kind != "runtime"}
    if not own_servers:
        return frame_options(())
    return own_servers.pop() if len(own_servers) == 1 else None
