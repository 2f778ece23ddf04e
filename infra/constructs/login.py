"""Login in front of an app: the ALB authenticates every request to the app's rule before forwarding it.

The ALB does the OpenID Connect authorization-code flow itself and keeps the session in its own cookie
("Authenticate users using an Application Load Balancer",
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html): the app,
and its waker while it sleeps, only ever see authenticated requests. Authentication works on HTTPS listeners
only, and the identity provider must allow the redirect https://<host>/oauth2/idpresponse.

- `OidcLogin`: any OIDC identity provider; its client secret is a `SecretValue` (a CloudFormation dynamic
  reference to Secrets Manager, resolved at deploy time, never in the template).
- `LoginPool` (one per deployment, in the Platform stack) and `CognitoLogin` (one app client per app, in the
  app's stack): a Cognito user pool ZeroDash creates, where an administrator creates the users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Duration, SecretValue, Stack, Token
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_elasticloadbalancingv2_actions as actions
from cdk_nag import NagSuppressions
from constructs import Construct

from zerodash.access import DEFAULT_SESSION_MINUTES, MAX_SESSION_MINUTES

# The ALB's session may last from 1 second to 7 days (SessionTimeout, in seconds); the config's bounds and default.
MAX_SESSION = Duration.minutes(MAX_SESSION_MINUTES)
DEFAULT_SESSION = Duration.minutes(DEFAULT_SESSION_MINUTES)
CALLBACK_PATH = "/oauth2/idpresponse"
SESSION_COOKIE = "AWSELBAuthSessionCookie"
# Cognito domain prefixes: lowercase letters, digits and hyphens, 1-63 characters, unique in the region.
DOMAIN_PREFIX_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class Login(Protocol):
    """What a `DashService` needs of a login: the action that authenticates, then does `next`."""

    def authenticate(self, next_action: elbv2.ListenerAction) -> elbv2.ListenerAction: ...


def session_cookie_name(app_name: str) -> str:
    """One session cookie per app, so apps on one host that use different clients or identity providers never
    read each other's sessions."""
    return f"{SESSION_COOKIE}-{app_name}"


def _check_session(session_timeout: Duration) -> None:
    seconds = session_timeout.to_seconds()
    if not 1 <= seconds <= MAX_SESSION.to_seconds():
        raise ValueError(f"a login session lasts 1 second to 7 days, got {seconds} seconds")


@dataclass(frozen=True)
class OidcLogin:
    """Authenticate with an OpenID Connect identity provider (authorization-code flow, done by the ALB).

    `client_secret` is read by CloudFormation at deploy time (e.g. `SecretValue.secrets_manager(name)`);
    DescribeRules never returns it. The ALB's security group must allow HTTPS out to the token and user-info
    endpoints (`Platform(authenticates=True)`), so the action does not open it itself.
    """

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    user_info_endpoint: str
    client_id: str
    client_secret: SecretValue
    app_name: str
    scope: str = "openid"
    session_timeout: Duration = DEFAULT_SESSION

    def __post_init__(self) -> None:
        for field, url in (
            ("issuer", self.issuer),
            ("authorization_endpoint", self.authorization_endpoint),
            ("token_endpoint", self.token_endpoint),
            ("user_info_endpoint", self.user_info_endpoint),
        ):
            if not url.startswith("https://"):
                raise ValueError(f"the identity provider's {field} must be an https:// URL, got {url!r}")
        _check_session(self.session_timeout)

    def authenticate(self, next_action: elbv2.ListenerAction) -> elbv2.ListenerAction:
        return elbv2.ListenerAction.authenticate_oidc(
            issuer=self.issuer,
            authorization_endpoint=self.authorization_endpoint,
            token_endpoint=self.token_endpoint,
            user_info_endpoint=self.user_info_endpoint,
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=self.scope,
            session_timeout=self.session_timeout,
            session_cookie_name=session_cookie_name(self.app_name),
            on_unauthenticated_request=elbv2.UnauthenticatedAction.AUTHENTICATE,
            allow_https_outbound=False,
            next=next_action,
        )


class LoginPool(Construct):
    """The deployment's Cognito user pool, for apps whose `auth` is Cognito.

    - Only administrators create users (no self sign-up); Cognito mails the invited user a temporary
      password, valid 3 days.
    - Users sign in with their email address; passwords of at least 12 characters with lower- and uppercase
      letters, digits and symbols; a TOTP authenticator app as second factor, required (no SMS: it costs per
      message); account recovery by email only.
    - A Cognito domain (`<domain_prefix>.auth.<region>.amazoncognito.com`) for the login pages the ALB sends
      visitors to.
    - Feature plan Lite (the classic hosted UI and TOTP MFA are all the ALB needs).
    - The pool is RETAINED when the stack is deleted: it holds the users.

    Attributes:
        user_pool: the `cognito.UserPool`.
        domain: the `cognito.UserPoolDomain`.
    """

    def __init__(self, scope: Construct, construct_id: str, *, domain_prefix: str | None = None) -> None:
        """
        Args:
            domain_prefix: the Cognito domain prefix (unique in the region across all accounts). Default
                "<stack name>-<account>", lowercased: unique per deployment and account.
        """
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        prefix = domain_prefix or default_domain_prefix(stack.stack_name, stack.account)
        if not Token.is_unresolved(prefix) and not DOMAIN_PREFIX_PATTERN.fullmatch(prefix):
            raise ValueError(f"a Cognito domain prefix is 1-63 lowercase letters, digits and hyphens, got {prefix!r}")
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # The cheapest plan that has what the ALB uses (the classic hosted UI, TOTP MFA): "User pool feature
            # plans", https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-sign-in-feature-plans.html
            feature_plan=cognito.FeaturePlan.LITE,
        )
        NagSuppressions.add_resource_suppressions(
            self.user_pool,
            [
                {
                    "id": "AwsSolutions-COG8",
                    "reason": "The Plus feature plan (threat protection) bills every monthly active user, from the "
                    "first; the pool is on Lite, free for its first 10,000. Its users are few and created by an "
                    "administrator, and sign in with a strong password and a required TOTP second factor.",
                }
            ],
        )
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )


def default_domain_prefix(stack_name: str, account: str) -> str:
    """ "<stack name>-<account>" in the characters a Cognito domain prefix allows (an unresolved account stays a
    token, which CloudFormation joins in). Cognito reserves the words aws, amazon and cognito in prefixes."""
    name = re.sub(r"aws|amazon|cognito", "", stack_name.lower())
    name = re.sub(r"[^a-z0-9]+", "-", name).strip("-")[:40].strip("-") or "zerodash"
    return f"{name}-{account}"


class CognitoLogin(Construct):
    """An app's client of the deployment's `LoginPool`, and the action that authenticates with it.

    The client has a secret (the ALB needs one), the authorization-code grant with scope openid, Cognito's own
    user directory, and `https://<host>/oauth2/idpresponse` as its only callback URL.

    Attributes:
        client: the `cognito.UserPoolClient`.
        pool: the `LoginPool`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pool: LoginPool,
        host: str,
        app_name: str,
        session_timeout: Duration = DEFAULT_SESSION,
    ) -> None:
        """
        Args:
            pool: the deployment's `LoginPool` (in the Platform stack).
            host: the host the app is served on (the callback URL's).
            app_name: the app's name (the client's name and the session cookie's suffix).
            session_timeout: how long the ALB's session lasts before it signs the visitor in again. Default 8 h.
        """
        super().__init__(scope, construct_id)
        _check_session(session_timeout)
        self.pool = pool
        self.session_timeout = session_timeout
        self.app_name = app_name
        self.client = cognito.UserPoolClient(
            self,
            "Client",
            user_pool=pool.user_pool,
            user_pool_client_name=f"zerodash-{app_name}",
            generate_secret=True,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID],
                callback_urls=[f"https://{host}{CALLBACK_PATH}"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
        )

    def authenticate(self, next_action: elbv2.ListenerAction) -> elbv2.ListenerAction:
        return actions.AuthenticateCognitoAction(
            user_pool=self.pool.user_pool,
            user_pool_client=self.client,
            user_pool_domain=self.pool.domain,
            session_timeout=self.session_timeout,
            session_cookie_name=session_cookie_name(self.app_name),
            on_unauthenticated_request=elbv2.UnauthenticatedAction.AUTHENTICATE,
            allow_https_outbound=False,
            next=next_action,
        )
