"""Login kept across rule moves, fail closed without it, and the waker's security headers (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from botocore.exceptions import ClientError

from common.apps import AppSpecError, parse_app
from common.lifecycle import LOGIN_MISSING, CloseRule, SetDesired, SetRange, Stamp, State
from common.route import (
    CLOSED_MESSAGE,
    LoginMissing,
    Route,
    closed_actions,
    read_rule,
    rule_actions,
)
from scaler.decision import decide
from tests.lambdas.builders import APP, NOW, awake, sleeping, traffic
from tests.lambdas.test_waker_pure import event
from waker.handler import answer
from waker.responses import security_headers

SERVICE, WAKER = APP.service_target_group_arn, APP.waker_target_group_arn
OIDC = {
    "Type": "authenticate-oidc",
    "Order": 1,
    "AuthenticateOidcConfig": {
        "Issuer": "https://login.example.com",
        "AuthorizationEndpoint": "https://login.example.com/authorize",
        "TokenEndpoint": "https://login.example.com/token",
        "UserInfoEndpoint": "https://login.example.com/userinfo",
        "ClientId": "sales",
        "SessionTimeout": 28800,
        "OnUnauthenticatedRequest": "authenticate",
    },
}
COGNITO = {
    "Type": "authenticate-cognito",
    "Order": 1,
    "AuthenticateCognitoConfig": {"UserPoolArn": "arn:pool", "UserPoolClientId": "c", "UserPoolDomain": "zd"},
}
AUTH_APP = replace(APP, auth=True)


def described(*actions):
    return {"Actions": list(actions)}


# Reading the rule ----------------------------------------------------------------------------------------


def test_the_login_before_the_forward_is_kept_and_the_route_still_read():
    view = read_rule(
        described({"Type": "forward", "TargetGroupArn": WAKER, "Order": 2}, OIDC),
        service_target_group_arn=SERVICE,
        waker_target_group_arn=WAKER,
    )
    assert view.route is Route.WAKER and view.kept == (OIDC,) and view.authenticates


def test_a_rule_without_a_login_keeps_nothing():
    view = read_rule(
        described({"Type": "forward", "TargetGroupArn": SERVICE}),
        service_target_group_arn=SERVICE,
        waker_target_group_arn=WAKER,
    )
    assert view.route is Route.SERVICE and view.kept == () and not view.authenticates


def test_a_fixed_response_without_a_forward_reads_as_closed():
    view = read_rule(described(*closed_actions()), service_target_group_arn=SERVICE, waker_target_group_arn=WAKER)
    assert view.route is Route.CLOSED


# Moving it -----------------------------------------------------------------------------------------------


def test_an_oidc_login_is_resent_first_without_its_secret_and_with_use_existing_secret():
    login, forward = rule_actions(target_group_arn=SERVICE, kept=[OIDC], must_authenticate=True)

    assert (
        login["Type"],
        login["Order"],
        forward,
    ) == (
        "authenticate-oidc",
        1,
        {"Type": "forward", "TargetGroupArn": SERVICE, "Order": 2},
    )
    config = login["AuthenticateOidcConfig"]
    assert config["UseExistingClientSecret"] is True and "ClientSecret" not in config
    assert {key: value for key, value in config.items() if key != "UseExistingClientSecret"} == OIDC[
        "AuthenticateOidcConfig"
    ]


def test_a_secret_that_somehow_came_back_is_never_resent():
    with_secret = {**OIDC, "AuthenticateOidcConfig": {**OIDC["AuthenticateOidcConfig"], "ClientSecret": "s3cret"}}
    login, _ = rule_actions(target_group_arn=WAKER, kept=[with_secret], must_authenticate=True)
    assert "ClientSecret" not in login["AuthenticateOidcConfig"]


def test_a_cognito_login_is_resent_as_described():
    login, forward = rule_actions(target_group_arn=WAKER, kept=[COGNITO], must_authenticate=True)
    assert login == COGNITO and forward["Order"] == 2


def test_without_a_login_the_move_is_the_forward_alone():
    assert rule_actions(target_group_arn=WAKER, kept=(), must_authenticate=False) == [
        {"Type": "forward", "TargetGroupArn": WAKER}
    ]


def test_an_app_that_must_authenticate_is_never_moved_without_its_login():
    with pytest.raises(LoginMissing, match="redeploy"):
        rule_actions(target_group_arn=SERVICE, kept=(), must_authenticate=True)


def test_a_login_is_kept_even_when_the_app_object_does_not_ask_for_one():
    actions = rule_actions(target_group_arn=SERVICE, kept=[OIDC], must_authenticate=False)
    assert [action["Type"] for action in actions] == ["authenticate-oidc", "forward"]


def test_the_closed_rule_answers_503_with_the_fix():
    (action,) = closed_actions()
    assert action["FixedResponseConfig"]["StatusCode"] == "503"
    assert action["FixedResponseConfig"]["MessageBody"] == CLOSED_MESSAGE and len(CLOSED_MESSAGE) <= 1024


# The app object ------------------------------------------------------------------------------------------


def raw_app(**extra):
    return {
        "name": "sales",
        "cluster": "zd",
        "service": "sales",
        "ruleArn": APP.rule_arn,
        "serviceTargetGroupArn": SERVICE,
        "wakerTargetGroupArn": WAKER,
        **extra,
    }


def test_an_app_object_without_auth_loads_as_not_authenticating():
    assert parse_app(raw_app()).auth is False
    assert parse_app(raw_app(auth=True)).auth is True


@pytest.mark.parametrize("value", ["true", 1, None])
def test_auth_must_be_a_json_boolean(value):
    with pytest.raises(AppSpecError, match="auth"):
        parse_app(raw_app(auth=value))


# Fail closed ---------------------------------------------------------------------------------------------


def test_the_scaler_closes_an_awake_app_whose_login_is_missing_and_stops_its_tasks():
    decision = decide(awake(), traffic(service=[1, 2]), AUTH_APP, NOW)

    assert decision.error == LOGIN_MISSING and decision.state is State.SLEEPING
    assert isinstance(decision.steps[0], CloseRule)
    assert isinstance(decision.steps[1], Stamp) and decision.steps[2:] == (SetRange((0, 0)), SetDesired(0))


def test_a_closed_sleeping_app_stays_closed_and_still_reports_the_error():
    decision = decide(replace(sleeping(), route=Route.CLOSED), traffic(), AUTH_APP, NOW)
    assert decision.steps == () and decision.error == LOGIN_MISSING


def test_an_app_with_its_login_is_decided_as_before():
    with_login = replace(awake(), kept_actions=(OIDC,))
    assert decide(with_login, traffic(service=[1]), AUTH_APP, NOW) == decide(awake(), traffic(service=[1]), APP, NOW)


# Security headers ----------------------------------------------------------------------------------------


def test_by_default_nobody_may_frame_the_wakers_pages():
    headers = security_headers(None)
    assert headers == {
        "Content-Security-Policy": "frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }
    assert security_headers("'none'") == headers == security_headers("  ")


def test_self_alone_is_sameorigin_and_a_list_has_no_x_frame_options():
    assert security_headers("'self'")["X-Frame-Options"] == "SAMEORIGIN"
    listed = security_headers("'self' https://portal.example.com")
    assert listed["Content-Security-Policy"] == "frame-ancestors 'self' https://portal.example.com"
    assert "X-Frame-Options" not in listed


def test_a_source_that_would_end_the_directive_is_dropped():
    headers = security_headers("https://a.example.com; script-src *")
    assert headers["Content-Security-Policy"] == "frame-ancestors script-src *"  # no second directive
    assert ";" not in headers["Content-Security-Policy"]


def test_every_answer_carries_the_security_headers_even_when_aws_cannot_be_read():
    def throttled():
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetParameter")

    environ = {"FRAME_ANCESTORS": "'self'"}
    page = answer(throttled, event(path="/"), environ=environ)
    callback = answer(throttled, event(method="POST", path="/_dash-update-component", multi=True), environ=environ)

    assert page["headers"]["X-Frame-Options"] == "SAMEORIGIN"
    assert page["headers"]["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert callback["statusCode"] == 503
    assert callback["multiValueHeaders"]["Content-Security-Policy"] == ["frame-ancestors 'self'"]
    assert callback["multiValueHeaders"]["X-Content-Type-Options"] == ["nosniff"]
