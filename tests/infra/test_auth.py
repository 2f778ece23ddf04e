"""Login in front of apps: the ALB authenticates before every forward of an app's rule, to the app or its waker."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, SecretValue
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Match, Template

from infra.constructs.login import OidcLogin, default_domain_prefix
from tests.infra.conftest import (
    COGNITO_SESSION_MINUTES,
    DOMAIN_NAME,
    FRAME_ANCESTORS,
    OIDC_AUTH,
    OIDC_SECRET,
    Build,
)

RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"


def _rules(template: Template) -> dict[str, dict[str, Any]]:
    return {logical_id: r["Properties"] for logical_id, r in template.find_resources(RULE).items()}


def _app_rule(template: Template) -> dict[str, Any]:
    (rule,) = [props for logical_id, props in _rules(template).items() if logical_id.startswith("DashListenerRule")]
    return rule


def _keeper_rule(template: Template) -> dict[str, Any]:
    (rule,) = [props for logical_id, props in _rules(template).items() if logical_id.startswith("DashKeeperRule")]
    return rule


def _environment(template: Template) -> dict[str, str]:
    (task,) = template.find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    return {variable["Name"]: variable["Value"] for variable in container["Environment"]}


@pytest.mark.parametrize(("app", "kind"), [("dashboard", "authenticate-cognito"), ("sales", "authenticate-oidc")])
def test_app_rule_authenticates_before_it_forwards_to_the_waker(domain_build: Build, app: str, kind: str) -> None:
    # given scale to zero, the template's rule forwards to the waker: an anonymous visitor must not reach it
    template = domain_build.app_stack(app)
    (waker_group,) = [
        logical_id
        for logical_id, group in template.find_resources("AWS::ElasticLoadBalancingV2::TargetGroup").items()
        if group["Properties"].get("TargetType") == "lambda"
    ]
    actions = _app_rule(template)["Actions"]
    assert [(action["Type"], action["Order"]) for action in actions] == [(kind, 1), ("forward", 2)]
    assert actions[1]["TargetGroupArn"] == {"Ref": waker_group}


def test_every_forward_of_every_app_rule_comes_after_an_authenticate(domain_build: Build) -> None:
    for stack in domain_build.stacks.apps:
        actions = sorted(_app_rule(domain_build.template(stack))["Actions"], key=lambda action: action["Order"])
        forwards = [index for index, action in enumerate(actions) if action["Type"] == "forward"]
        assert forwards and all(actions[index - 1]["Type"].startswith("authenticate") for index in forwards)


def test_keeper_rules_only_forward_to_the_service(domain_build: Build) -> None:
    for stack in domain_build.stacks.apps:
        template = domain_build.template(stack)
        (service_group,) = [
            logical_id
            for logical_id in template.find_resources("AWS::ElasticLoadBalancingV2::TargetGroup")
            if logical_id.startswith("DashTargetGroup")
        ]
        assert _keeper_rule(template)["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": service_group}}]


def test_apps_without_auth_have_no_authenticate_action(default_build: Build, certificate_arn_build: Build) -> None:
    for build in (default_build, certificate_arn_build):
        for stack in build.stacks.apps:
            assert [a["Type"] for a in _app_rule(build.template(stack))["Actions"]] == ["forward"]


def test_oidc_login_reads_the_client_secret_from_secrets_manager_at_deploy_time(domain_build: Build) -> None:
    template = domain_build.app_stack("sales")
    (config,) = [a["AuthenticateOidcConfig"] for a in _app_rule(template)["Actions"] if a["Order"] == 1]
    assert config == {
        "Issuer": OIDC_AUTH["issuer"],
        "AuthorizationEndpoint": OIDC_AUTH["authorizationEndpoint"],
        "TokenEndpoint": OIDC_AUTH["tokenEndpoint"],
        "UserInfoEndpoint": OIDC_AUTH["userInfoEndpoint"],
        "ClientId": OIDC_AUTH["clientId"],
        "ClientSecret": f"{{{{resolve:secretsmanager:{OIDC_SECRET}:SecretString:client_secret::}}}}",
        "Scope": "openid",
        "SessionTimeout": 480 * 60,
        "SessionCookieName": "AWSELBAuthSessionCookie-sales",
        "OnUnauthenticatedRequest": "authenticate",
    }


def test_cognito_login_uses_the_apps_client_of_the_platforms_pool(domain_build: Build) -> None:
    template = domain_build.app_stack("dashboard")
    (client,) = template.find_resources("AWS::Cognito::UserPoolClient")
    (config,) = [a["AuthenticateCognitoConfig"] for a in _app_rule(template)["Actions"] if a["Order"] == 1]
    assert config["UserPoolClientId"] == {"Ref": client}
    assert config["SessionTimeout"] == COGNITO_SESSION_MINUTES * 60
    assert config["SessionCookieName"] == "AWSELBAuthSessionCookie-dashboard"
    assert "LoginUserPool" in str(config["UserPoolArn"]) and "LoginUserPoolDomain" in str(config["UserPoolDomain"])


def test_cognito_app_client_has_a_secret_and_the_code_flow_back_to_its_host(domain_build: Build) -> None:
    domain_build.app_stack("dashboard").has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": ["openid"],
            "CallbackURLs": [f"https://{DOMAIN_NAME}/oauth2/idpresponse"],
            "SupportedIdentityProviders": ["COGNITO"],
        },
    )
    domain_build.app_stack("sales").resource_count_is("AWS::Cognito::UserPoolClient", 0)


def test_user_pool_admits_only_admin_created_users_with_strong_passwords_and_totp(domain_build: Build) -> None:
    platform = domain_build.template(domain_build.stacks.platform)
    platform.resource_count_is("AWS::Cognito::UserPool", 1)
    platform.has_resource(
        "AWS::Cognito::UserPool",
        {
            "Properties": Match.object_like(
                {
                    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                    "MfaConfiguration": "ON",
                    "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                    "UserPoolTier": "LITE",
                    "Policies": {
                        "PasswordPolicy": {
                            "MinimumLength": 12,
                            "RequireLowercase": True,
                            "RequireUppercase": True,
                            "RequireNumbers": True,
                            "RequireSymbols": True,
                            "TemporaryPasswordValidityDays": 3,
                        }
                    },
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )
    platform.has_resource_properties("AWS::Cognito::UserPoolDomain", {"Domain": "zerodash-platform-000000000000"})
    platform.has_output("UserPoolId", {"Value": {"Ref": Match.string_like_regexp("LoginUserPool")}})


def test_no_user_pool_without_a_cognito_login(default_build: Build, certificate_arn_build: Build) -> None:
    for build in (default_build, certificate_arn_build):
        build.template(build.stacks.platform).resource_count_is("AWS::Cognito::UserPool", 0)


def test_the_load_balancer_may_call_identity_providers_only_when_an_app_logs_in(
    domain_build: Build, certificate_arn_build: Build
) -> None:
    def egress(build: Build) -> list[tuple[Any, int]]:
        (group,) = [
            g
            for g in build.template(build.stacks.platform).find_resources("AWS::EC2::SecurityGroup").values()
            if g["Properties"]["GroupDescription"].startswith("ZeroDash ALB")
        ]
        return [(rule["CidrIp"], rule["FromPort"]) for rule in group["Properties"]["SecurityGroupEgress"]]

    assert ("0.0.0.0/0", 443) in egress(domain_build)
    assert ("0.0.0.0/0", 443) not in egress(certificate_arn_build)


def test_container_is_told_about_the_login_and_who_may_frame_it(domain_build: Build, app_stack: Template) -> None:
    dashboard = _environment(domain_build.app_stack("dashboard"))
    assert dashboard["LOGIN_REQUIRED"] == "1"
    assert dashboard["FRAME_ANCESTORS"] == " ".join(FRAME_ANCESTORS)
    assert _environment(domain_build.app_stack("sales"))["FRAME_ANCESTORS"] == "'none'"
    assert "LOGIN_REQUIRED" not in _environment(app_stack)


# --- the constructs on their own ---


def _oidc(**overrides: Any) -> OidcLogin:
    fields: dict[str, Any] = {
        "issuer": "https://idp.example.com",
        "authorization_endpoint": "https://idp.example.com/authorize",
        "token_endpoint": "https://idp.example.com/token",
        "user_info_endpoint": "https://idp.example.com/userinfo",
        "client_id": "client",
        "client_secret": SecretValue.unsafe_plain_text("unused"),
        "app_name": "app",
    }
    return OidcLogin(**{**fields, **overrides})


def test_oidc_login_authenticates_before_a_forward_to_an_always_on_service() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    load_balancer = elbv2.ApplicationLoadBalancer(stack, "LoadBalancer", vpc=vpc)
    listener = load_balancer.add_listener(
        "Http", port=80, default_action=elbv2.ListenerAction.fixed_response(404), open=False
    )
    group = elbv2.ApplicationTargetGroup(
        stack, "Group", vpc=vpc, port=8050, protocol=elbv2.ApplicationProtocol.HTTP, target_type=elbv2.TargetType.IP
    )
    elbv2.ApplicationListenerRule(
        stack,
        "Rule",
        listener=listener,
        priority=10,
        conditions=[elbv2.ListenerCondition.path_patterns(["/*"])],
        action=_oidc(session_timeout=Duration.hours(1)).authenticate(elbv2.ListenerAction.forward([group])),
    )
    template = Template.from_stack(stack)
    (rule,) = _rules(template).values()
    assert [(a["Type"], a["Order"]) for a in rule["Actions"]] == [("authenticate-oidc", 1), ("forward", 2)]
    assert rule["Actions"][0]["AuthenticateOidcConfig"]["SessionTimeout"] == 3600
    # the action leaves the security group alone: the Platform opens HTTPS out itself
    assert "0.0.0.0/0" not in str(template.find_resources("AWS::EC2::SecurityGroupEgress"))


def test_oidc_endpoints_must_be_https() -> None:
    with pytest.raises(ValueError, match="token_endpoint must be an https:// URL"):
        _oidc(token_endpoint="http://idp.example.com/token")


def test_a_session_lasts_at_most_seven_days() -> None:
    with pytest.raises(ValueError, match="7 days"):
        _oidc(session_timeout=Duration.days(8))


@pytest.mark.parametrize(
    ("stack_name", "prefix"),
    [("ZeroDash-Platform", "zerodash-platform-1234"), ("My_AWS-Cognito-Dash", "my-dash-1234")],
)
def test_cognito_domain_prefix_is_the_stack_name_in_allowed_characters(stack_name: str, prefix: str) -> None:
    assert default_domain_prefix(stack_name, "1234") == prefix


def test_the_app_object_tells_the_scaler_and_waker_the_rule_authenticates(domain_build: Build) -> None:
    for stack in domain_build.stacks.apps:
        assert stack.scale_to_zero_app is not None
        assert stack.scale_to_zero_app.app_object()["auth"] is True


def test_the_app_object_of_an_open_app_does_not_authenticate(default_build: Build) -> None:
    (stack,) = default_build.stacks.apps
    assert stack.scale_to_zero_app is not None
    assert stack.scale_to_zero_app.app_object()["auth"] is False


def test_the_waker_frames_like_its_app(domain_build: Build) -> None:
    template = domain_build.app_stack("dashboard")
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"FRAME_ANCESTORS": " ".join(FRAME_ANCESTORS)})}},
    )


def _statements_with(template: Template, action: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]


def test_whoever_moves_a_cognito_apps_rule_may_describe_the_pools_clients(domain_build: Build) -> None:
    # ELB checks the app client of an authenticate-cognito action with the caller's rights when the rule is written
    # (the AWS Load Balancer Controller's policy grants cognito-idp:DescribeUserPoolClient for that reason): the
    # waker of the Cognito app and the scaler may; the waker of the OIDC app has no need to.
    action = "cognito-idp:DescribeUserPoolClient"
    cognito_waker = _statements_with(domain_build.app_stack("dashboard"), action)
    assert len(cognito_waker) == 1 and "LoginUserPool" in str(cognito_waker[0]["Resource"])
    assert _statements_with(domain_build.app_stack("sales"), action) == []
    assert domain_build.stacks.scaler is not None
    (scaler,) = _statements_with(domain_build.template(domain_build.stacks.scaler), action)
    assert "LoginUserPool" in str(scaler["Resource"])
