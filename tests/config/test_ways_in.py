"""Issue 10's keys: the way in (plain HTTP, HTTPS with a domain, CloudFront), hosts, login and embedding. Every
combination that cannot deploy, or would not be what was asked for, is one ConfigError naming the key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from zerodash.access import load_balancer_frame_options
from zerodash.config import ConfigError, ZeroDashConfig, load_config

POPULATION = {"name": "dashboard", "source": "examples/population"}
PAGES = {"name": "pages", "source": "examples/pages", "path": "/pages/*"}
ZONE = {"domainName": "dash.example.com", "hostedZoneId": "Z0123456789ABC", "hostedZoneName": "example.com"}
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
OIDC = {
    "type": "oidc",
    "issuer": "https://login.example.com",
    "authorizationEndpoint": "https://login.example.com/oauth2/authorize",
    "tokenEndpoint": "https://login.example.com/oauth2/token",
    "userInfoEndpoint": "https://login.example.com/oauth2/userinfo",
    "clientId": "zerodash",
    "clientSecret": "secretsmanager:zerodash/oidc:clientSecret",
}


def _config(*apps: dict[str, Any], **context: Any) -> ZeroDashConfig:
    if apps:
        context["apps"] = json.dumps(list(apps))
    return load_config(context.get)


def _error(*apps: dict[str, Any], **context: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        _config(*apps, **context)
    return caught.value


def test_the_default_is_plain_http_on_the_load_balancer() -> None:
    config = _config()
    assert (config.way_in, config.https, config.edge) == ("http", False, "alb")
    assert config.host_of(config.apps[0]) is None  # the ALB's own DNS name
    assert config.apps[0].frame_ancestors == () and config.apps[0].auth is None


def test_a_domain_with_its_hosted_zone_or_a_certificate_is_https_on_the_load_balancer() -> None:
    zoned = _config(**ZONE)
    assert (zoned.way_in, zoned.https, zoned.host_of(zoned.apps[0])) == ("domain", True, "dash.example.com")
    imported = _config(domainName="dash.example.com", certificateArn=CERTIFICATE)
    assert (imported.way_in, imported.certificate_arn) == ("domain", CERTIFICATE)


def test_cloudfront_is_https_without_a_domain() -> None:
    config = _config(edge="cloudfront")
    assert (config.way_in, config.https, config.host_of(config.apps[0])) == ("cloudfront", True, None)


@pytest.mark.parametrize(
    ("context", "key", "words"),
    [
        ({"edge": "fastly"}, "edge", '"alb" (the default) or "cloudfront"'),
        ({"domainName": "Dash.Example.com", "certificateArn": CERTIFICATE}, "domainName", "lowercase DNS name"),
        ({"domainName": "localhost", "certificateArn": CERTIFICATE}, "domainName", "lowercase DNS name"),
        ({"domainName": "a" * 60 + ".example.com", "certificateArn": CERTIFICATE}, "domainName", "at most 64"),
        ({"domainName": "dash.example.com"}, "domainName", "needs a certificate"),
        ({"hostedZoneId": "Z0123456789ABC", "hostedZoneName": "example.com"}, "hostedZoneId", "needs domainName"),
        ({"certificateArn": CERTIFICATE}, "certificateArn", "needs domainName"),
        (
            {"domainName": "dash.example.com", "hostedZoneId": "Z0123456789ABC"},
            "hostedZoneName",
            "needs hostedZoneName",
        ),
        ({**ZONE, "certificateArn": CERTIFICATE}, "certificateArn", "either"),
        ({**ZONE, "hostedZoneName": "example.org"}, "domainName", "not in the hosted zone 'example.org'"),
        ({**ZONE, "hostedZoneId": "z-lower"}, "hostedZoneId", "Route 53 hosted zone id"),
        ({"domainName": "dash.example.com", "certificateArn": "arn:aws:iam::1:x"}, "certificateArn", "ACM certificate"),
        ({**ZONE, "edge": "cloudfront"}, "domainName", "CloudFront's own domain"),
        ({"waf": "yes"}, "waf", "true, false"),
        ({"waf": "true", "wafRateLimit": 9}, "wafRateLimit", "10 to 2000000000"),
        ({"wafRateLimit": 500}, "wafRateLimit", "needs waf: true"),
    ],
)
def test_a_bad_way_in_is_one_error_naming_the_key(context: dict[str, Any], key: str, words: str) -> None:
    error = _error(**context)
    assert error.key == key
    assert words in error.message


def test_apps_on_hosts_of_their_own_may_share_a_path_and_each_catch_all_gets_its_own_priority() -> None:
    sales = {"name": "sales", "source": "examples/pages", "host": "sales.example.com"}
    config = _config(POPULATION, sales, PAGES, **ZONE)
    hosts = {app.name: config.host_of(app) for app in config.apps}
    assert hosts == {"dashboard": "dash.example.com", "sales": "sales.example.com", "pages": "dash.example.com"}
    priorities = {app.name: app.priority for app in config.apps}
    assert priorities["dashboard"] == 50000  # the default host's "/*" is still evaluated last
    assert priorities["pages"] == 30 and priorities["sales"] < 50000
    assert len(set(priorities.values())) == 3


def test_two_apps_at_the_same_host_and_path_are_refused() -> None:
    twin = {"name": "twin", "source": "examples/pages", "host": "dash.example.com", "path": "/pages/*"}
    same_host = {**twin, "host": None}
    del same_host["host"]
    assert _error(PAGES, same_host, **ZONE).key == "apps[1].path"
    # On a host of its own the same path is another place.
    assert _config(PAGES, twin, **ZONE).apps[1].host == "dash.example.com"


@pytest.mark.parametrize(
    ("app", "context", "key", "words"),
    [
        ({"host": "sales.example.com"}, {}, "apps[0].host", "needs HTTPS"),
        ({"host": "sales.example.org"}, ZONE, "apps[0].host", "not in the hosted zone"),
        ({"host": "-bad.example.com"}, ZONE, "apps[0].host", "lowercase DNS name"),
        ({"auth": {"type": "cognito"}}, {}, "apps[0].auth", "a login needs HTTPS"),
        ({"auth": {"type": "cognito"}}, {"edge": "cloudfront"}, "apps[0].auth", "internal"),
        ({"auth": {"type": "github"}}, ZONE, "apps[0].auth.type", '"oidc", "cognito"'),
        ({"auth": {"type": "cognito", "clientId": "x"}}, ZONE, "apps[0].auth.clientId", "Cognito"),
        ({"auth": {**OIDC, "tokenEndpoint": None}}, ZONE, "apps[0].auth.tokenEndpoint", "is required"),
        ({"auth": {**OIDC, "issuer": "http://login.example.com"}}, ZONE, "apps[0].auth.issuer", "https://"),
        ({"auth": {**OIDC, "clientSecret": "ssm:/oidc"}}, ZONE, "apps[0].auth.clientSecret", "Secrets Manager"),
        ({"auth": {**OIDC, "clientSecret": "hunter2"}}, ZONE, "apps[0].auth.clientSecret", "secretsmanager:"),
        ({"auth": {**OIDC, "sessionTimeoutMinutes": 0}}, ZONE, "apps[0].auth.sessionTimeoutMinutes", "1 to 10080"),
        ({"auth": {**OIDC, "role": "admin"}}, ZONE, "apps[0].auth.role", "unknown key"),
        ({"auth": "cognito"}, ZONE, "apps[0].auth", "must be an object"),
        ({"frameAncestors": "https://intranet.example.com"}, {}, "apps[0].frameAncestors", "must be a list"),
        ({"frameAncestors": ["self"]}, {}, "apps[0].frameAncestors[0]", "'self'"),
        ({"frameAncestors": ["http://intranet.example.com"]}, {}, "apps[0].frameAncestors[0]", "https origin"),
        ({"frameAncestors": ["https://x.example.com; script-src *"]}, {}, "apps[0].frameAncestors[0]", "not allowed"),
        ({"frameAncestors": ["*"]}, {}, "apps[0].frameAncestors[0]", "not allowed"),
    ],
)
def test_a_bad_app_access_key_is_one_error_naming_it(
    app: dict[str, Any], context: dict[str, Any], key: str, words: str
) -> None:
    error = _error({**POPULATION, **app}, **context)
    assert error.key == key
    assert words in error.message


def test_a_login_and_embedding_are_read_into_typed_values() -> None:
    embedded = {**POPULATION, "auth": OIDC, "frameAncestors": ["'self'", "https://*.intranet.example.com"]}
    cognito = {**PAGES, "auth": {"type": "cognito", "sessionTimeoutMinutes": "60"}}
    config = _config(embedded, cognito, **ZONE)
    oidc, pool = config.apps[0].auth, config.apps[1].auth
    assert oidc is not None and pool is not None
    assert (oidc.kind, oidc.client_id, oidc.scope, oidc.session_timeout_minutes) == ("oidc", "zerodash", "openid", 480)
    assert (oidc.client_secret.kind, oidc.client_secret.name, oidc.client_secret.json_key) == (
        "secretsmanager",
        "zerodash/oidc",
        "clientSecret",
    )
    assert (pool.kind, pool.session_timeout_minutes, pool.client_secret) == ("cognito", 60, None)
    assert config.apps[0].frame_ancestors == ("'self'", "https://*.intranet.example.com")


BOKEH = {"name": "bokeh", "source": "examples/bokeh", "path": "/bokeh/*"}


@pytest.mark.parametrize(
    ("population", "bokeh", "expected"),
    [
        ([], [], "DENY"),
        (["https://intranet.example.com"], [], "DENY"),  # the runtime's frame-ancestors overrides it for population
        ([], ["'self'"], "SAMEORIGIN"),
        ([], ["https://intranet.example.com"], None),  # only the Bokeh app's own code can allow that origin
    ],
)
def test_the_load_balancer_frames_like_the_apps_that_bring_their_own_server(
    population: list[str], bokeh: list[str], expected: str | None
) -> None:
    config = _config({**POPULATION, "frameAncestors": population}, {**BOKEH, "frameAncestors": bokeh})
    assert load_balancer_frame_options(config.apps) == expected
