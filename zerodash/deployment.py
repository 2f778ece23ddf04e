"""Where the CLI finds the apps: the AWS session, and the app objects the app stacks wrote to SSM.

Each app stack writes its app object to the SSM parameter `/zerodash/<stackPrefix>/apps/<name>`
(lambdas/README.md); the CLI reads them all with the scaler's own reader (common/registry.py), so it lists
exactly the apps the scaler runs. An app whose object does not parse is reported, and the others still work.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.exceptions import ProfileNotFound

from common.apps import AppSpec
from common.aws import Clients, make_clients
from common.registry import BrokenApp, apps_path, load_apps
from common.retry import SCALER_RETRIES
from zerodash.errors import EXIT_ERROR, EXIT_USAGE, CliError

NO_CREDENTIALS = (
    "no AWS credentials found: configure a profile (`aws configure`, `aws sso login`) and pass --profile, "
    "or set AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)
NO_REGION = "no AWS region: pass --region, or set AWS_REGION or a region in your profile"


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """The apps of one deployment (and the app objects that did not parse), and the clients to reach them."""

    stack_prefix: str
    region: str
    apps: tuple[AppSpec, ...]
    clients: Clients
    broken: tuple[BrokenApp, ...] = ()

    @property
    def apps_path(self) -> str:
        return apps_path(self.stack_prefix)

    def app(self, name: str) -> AppSpec:
        for app in self.apps:
            if app.name == name:
                return app
        for item in self.broken:
            if item.name == name:
                raise CliError(f"the app object of {name!r} ({self.apps_path}{name}) is invalid: {item.error}")
        names = ", ".join(app.name for app in self.apps) or "(none)"
        raise CliError(f"unknown app {name!r}; the apps under {self.apps_path} are: {names}", EXIT_USAGE)


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


def load(session: boto3.Session, *, stack_prefix: str) -> Deployment:
    """The deployment's apps, read from SSM with the scaler's clients (botocore's retries off, ours on)."""
    clients = make_clients(session, policy=SCALER_RETRIES)
    path = apps_path(stack_prefix)
    apps, broken = load_apps(clients.ssm, path)
    if not apps and not broken:
        raise CliError(
            f"no apps under {path} in {session.region_name}: deploy first, or pass --stack-prefix/--region",
            EXIT_ERROR,
        )
    return Deployment(stack_prefix=stack_prefix, region=session.region_name, apps=apps, clients=clients, broken=broken)
