"""Where the CLI finds the apps: the AWS session, and the scaler's app list read from the deployed stack.

The `<prefix>-Scaler` stack outputs `ScalerFunctionName`; that function's ZERODASH_APPS environment
variable is the JSON list of app objects (lambdas/README.md), parsed with the Lambdas' own parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError, ProfileNotFound

from common.apps import AppSpec, AppSpecError, parse_apps
from common.aws import Clients
from zerodash.errors import EXIT_USAGE, CliError

SCALER_STACK_SUFFIX = "-Scaler"
FUNCTION_OUTPUT = "ScalerFunctionName"
APPS_VARIABLE = "ZERODASH_APPS"

NO_CREDENTIALS = (
    "no AWS credentials found: configure a profile (`aws configure`, `aws sso login`) and pass --profile, "
    "or set AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)
NO_REGION = "no AWS region: pass --region, or set AWS_REGION or a region in your profile"


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """The apps of one deployment and the clients to reach them."""

    stack_name: str
    region: str
    apps: tuple[AppSpec, ...]
    clients: Clients

    def app(self, name: str) -> AppSpec:
        for app in self.apps:
            if app.name == name:
                return app
        names = ", ".join(app.name for app in self.apps) or "(none)"
        raise CliError(f"unknown app {name!r}; the apps of {self.stack_name} are: {names}", EXIT_USAGE)


def open_session(*, profile: str | None, region: str | None) -> boto3.Session:
    """A boto3 session (default credential chain unless --profile) that has credentials and a region."""
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise CliError(f"{error}: check --profile / AWS_PROFILE against ~/.aws/config", EXIT_USAGE) from None
    if session.get_credentials() is None:
        raise CliError(NO_CREDENTIALS, EXIT_USAGE)
    if not session.region_name:
        raise CliError(NO_REGION, EXIT_USAGE)
    return session


def make_clients(session: boto3.Session) -> Clients:
    return Clients(
        ecs=session.client("ecs"),
        elbv2=session.client("elbv2"),
        autoscaling=session.client("application-autoscaling"),
        cloudwatch=session.client("cloudwatch"),
    )


def load(session: boto3.Session, *, stack_prefix: str) -> Deployment:
    stack_name = f"{stack_prefix}{SCALER_STACK_SUFFIX}"
    function = _function_name(session.client("cloudformation"), stack_name, session.region_name)
    configuration = session.client("lambda").get_function_configuration(FunctionName=function)
    text = configuration.get("Environment", {}).get("Variables", {}).get(APPS_VARIABLE)
    if not text:
        raise CliError(f"the scaler function {function} (stack {stack_name}) has no {APPS_VARIABLE} variable")
    try:
        apps = parse_apps(text)
    except (AppSpecError, ValueError) as error:  # PolicyError is a ValueError too
        raise CliError(f"{APPS_VARIABLE} of {function} is invalid: {error}") from None
    return Deployment(stack_name=stack_name, region=session.region_name, apps=apps, clients=make_clients(session))


def _function_name(cloudformation: Any, stack_name: str, region: str) -> str:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if "does not exist" in message:
            raise CliError(
                f"stack {stack_name} not found in {region}: deploy it first (`cdk deploy {stack_name}`), "
                "or pass --stack-prefix / --region for another deployment"
            ) from None
        raise
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
    if FUNCTION_OUTPUT not in outputs:
        status = stacks[0].get("StackStatus", "unknown")
        raise CliError(
            f"stack {stack_name} ({status}) has no output {FUNCTION_OUTPUT}: redeploy it (`cdk deploy {stack_name}`)"
        )
    return outputs[FUNCTION_OUTPUT]
