"""Synthesize the ZeroDash app once per session per configuration; tests read templates from these builds.

Each build mirrors app.py: context from cdk.json plus overrides, every stack built by `infra.app_builder.build`,
cdk-nag's AwsSolutionsChecks applied, synthesized into a temporary cloud-assembly directory (used by the cfn-lint
test). Synthesis is slow (jsii), so only a few builds exist:

- `default_build`: cdk.json's defaults with one app, "dashboard" at "/*" built from examples/population
  (POPULATION), no NAT; scale to zero and bot blocking on.
- `nat_build`: natGateways=1, two apps ("dashboard" at "/*", "sales" at "/sales/*" from examples/pages with its
  own scaling: SALES_SCALING), sampleData=false, retainData=false, scalerRateMinutes=5,
  wakerConcurrency=WAKER_CONCURRENCY, and the optional parts: the GitHub OIDC stack (GITHUB_REPOSITORY on
  GITHUB_BRANCH) and the alarm topic mailing ALARM_EMAIL.
- `three_apps_build`: THREE_APPS, three different apps with every per-app setting: a runtime app with
  environment, secrets and readPrefixes (examples/population), a Dockerfile app on its own port, health path
  and command (examples/bokeh), a second runtime app with a module override (examples/pages); and the GitHub
  OIDC stack.
- `image_apps_build`: IMAGE_APPS, two apps that bring images: one in an ECR repository of the account (by
  digest), one on a public registry (by tag).
- `always_on_build`: scaleToZero=false, blockBots=false and dashboards=false, one app with minTasks 2 /
  maxTasks 4; not checked by cdk-nag or cfn-lint (it only removes resources the other builds have).
- `domain_build`: the "domain" way in: DOMAIN_NAME in HOSTED_ZONE (the stacks make the certificate and alias
  records), waf on, DOMAIN_APPS: "dashboard" at "/*" on DOMAIN_NAME with a Cognito login and frameAncestors, and
  "sales" at "/sales/*" on its own host SALES_HOST with an OIDC login (OIDC_AUTH).
- `certificate_arn_build`: the "domain" way with an existing certificate (CERTIFICATE_ARN), one app, no login.
- `cloudfront_build`: the "cloudfront" way in (internal ALB behind CloudFront) with waf, two apps (CLOUDFRONT_APPS).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.app_builder import OFFLINE_ACCOUNT, ZeroDashStacks, build
from infra.config import AppConfig, ZeroDashConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV = cdk.Environment(account=OFFLINE_ACCOUNT, region="us-east-1")


def cdk_json_context() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


# The fixtures of every build the whole-template checks (cdk-nag, cfn-lint) run on: each way in and the app kinds.
EVERY_BUILD = (
    "default_build",
    "nat_build",
    "three_apps_build",
    "image_apps_build",
    "domain_build",
    "certificate_arn_build",
    "cloudfront_build",
)


@dataclass
class Build:
    app: cdk.App
    stacks: ZeroDashStacks
    outdir: Path
    config: ZeroDashConfig
    _templates: dict[str, Template] = field(default_factory=dict)

    def template(self, stack: cdk.Stack) -> Template:
        if stack.stack_name not in self._templates:
            self._templates[stack.stack_name] = Template.from_stack(stack)
        return self._templates[stack.stack_name]

    def app_stack(self, name: str) -> Template:
        """The template of app `name`'s stack."""
        (stack,) = [stack for stack in self.stacks.apps if stack.stack_name.endswith(f"-App-{name}")]
        return self.template(stack)

    def app_config(self, name: str) -> AppConfig:
        (app,) = [app for app in self.config.apps if app.name == name]
        return app

    @property
    def all_stacks(self) -> list[cdk.Stack]:
        return list(self.stacks.all)


SALES_SCALING = {
    "idleMinutes": 30,
    "minAwakeMinutes": 10,
    "minTasks": 2,
    "maxTasks": 3,
    "keepWarm": [
        {"days": "mon-fri", "start": "08:00", "end": "18:00", "timeZone": "Europe/Berlin"},
        {"days": "sat", "start": "00:00", "end": "24:00", "timeZone": "UTC"},
    ],
    "targetRequestsPerTarget": 50,
    "expectedStartSeconds": 90,
}


POPULATION = {"name": "dashboard", "path": "/*", "title": "Population by country", "source": "examples/population"}
PAGES = "examples/pages"
BOKEH = "examples/bokeh"
THREE_APPS = [
    {
        **POPULATION,
        "environment": {"FEATURE_FLAGS": "maps,export", "LOG_LEVEL": "DEBUG"},
        "secrets": {
            "DB_PASSWORD": "secretsmanager:zerodash/sales-db:password",
            "API_TOKEN": "secretsmanager:zerodash/api-token",
            "MAPS_KEY": "ssm:/zerodash/maps-key",
        },
        "readPrefixes": ["shared/", "reference/countries/"],
    },
    {
        "name": "bokeh",
        "path": "/bokeh/*",
        "title": "Sliders",
        "source": BOKEH,
        "port": 5006,
        "healthPath": "/bokeh/healthz",
        "command": ["python", "serve.py", "--port", "5006"],
    },
    {"name": "pages", "path": "/pages/*", "title": "Sensors", "source": PAGES, "module": "app:app"},
]
ECR_IMAGE = "team/reports@sha256:" + "a" * 64
PUBLIC_IMAGE = "public.ecr.aws/octo-org/panel-demo:1.4.2"
IMAGE_APPS = [
    {"name": "reports", "path": "/reports/*", "image": ECR_IMAGE},
    {"name": "panel", "path": "/panel/*", "image": PUBLIC_IMAGE, "port": 5006},
]

DOMAIN_NAME = "dash.example.com"
SALES_HOST = "sales.example.com"
HOSTED_ZONE = {"hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}
CERTIFICATE_ARN = "arn:aws:acm:us-east-1:000000000000:certificate/12345678-1234-1234-1234-123456789012"
OIDC_SECRET = "zerodash/oidc-client"
OIDC_AUTH = {
    "type": "oidc",
    "issuer": "https://login.example.com",
    "authorizationEndpoint": "https://login.example.com/oauth2/authorize",
    "tokenEndpoint": "https://login.example.com/oauth2/token",
    "userInfoEndpoint": "https://login.example.com/oauth2/userinfo",
    "clientId": "zerodash-sales",
    "clientSecret": f"secretsmanager:{OIDC_SECRET}:client_secret",
}
COGNITO_SESSION_MINUTES = 60
FRAME_ANCESTORS = ["'self'", "https://intranet.example.com"]
DOMAIN_APPS = [
    {
        **POPULATION,
        "auth": {"type": "cognito", "sessionTimeoutMinutes": COGNITO_SESSION_MINUTES},
        "frameAncestors": FRAME_ANCESTORS,
    },
    {"name": "sales", "path": "/sales/*", "title": "Sales", "source": PAGES, "host": SALES_HOST, "auth": OIDC_AUTH},
]
CLOUDFRONT_APPS = [POPULATION, {"name": "sales", "path": "/sales/*", "title": "Sales", "source": PAGES}]

GITHUB_REPOSITORY = "octo-org/zerodash"
GITHUB_BRANCH = "release"
ALARM_EMAIL = "ops@example.com"
WAKER_CONCURRENCY = 3


def synthesize(outdir: Path, **overrides: Any) -> Build:
    """Build and synthesize the app as app.py does; a cdk-nag error fails here with the full validation report."""
    app = cdk.App(outdir=str(outdir), context={**cdk_json_context(), "apps": json.dumps([POPULATION]), **overrides})
    config = load_config(app.node.try_get_context)
    stacks = build(app, config, ENV)
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    try:
        app.synth()
    except RuntimeError as error:  # CDK fails synthesis on error annotations (e.g. unacknowledged cdk-nag errors)
        report = outdir / "validation-report.json"
        details = report.read_text() if report.exists() else ""
        raise AssertionError(f"synthesis failed: {error}\n{details}") from None
    return Build(app=app, stacks=stacks, outdir=outdir, config=config)


def role_statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    """The statements of the policies attached to the role whose logical id starts with `role_prefix`."""
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        roles = [role.get("Ref", "") for role in policy["Properties"]["Roles"]]
        if any(role.startswith(role_prefix) for role in roles):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    assert found, f"no policy for {role_prefix}"
    return found


@pytest.fixture(scope="session")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return synthesize(tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def nat_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    apps = [
        POPULATION,
        {"name": "sales", "path": "/sales/*", "title": "Sales", "source": PAGES, **SALES_SCALING},
    ]
    return synthesize(
        tmp_path_factory.mktemp("cdk-nat"),
        natGateways="1",
        apps=json.dumps(apps),
        sampleData="false",
        retainData="false",
        scalerRateMinutes="5",
        wakerConcurrency=str(WAKER_CONCURRENCY),
        githubRepository=GITHUB_REPOSITORY,
        githubBranch=GITHUB_BRANCH,
        alarmEmail=ALARM_EMAIL,
    )


@pytest.fixture(scope="session")
def always_on_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    apps = [{**POPULATION, "minTasks": 2, "maxTasks": 4}]
    return synthesize(
        tmp_path_factory.mktemp("cdk-always-on"),
        apps=json.dumps(apps),
        scaleToZero="false",
        blockBots="false",
        dashboards="false",
    )


@pytest.fixture(scope="session")
def three_apps_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return synthesize(
        tmp_path_factory.mktemp("cdk-three"),
        apps=json.dumps(THREE_APPS),
        githubRepository=GITHUB_REPOSITORY,
    )


@pytest.fixture(scope="session")
def image_apps_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return synthesize(tmp_path_factory.mktemp("cdk-images"), apps=json.dumps(IMAGE_APPS))


@pytest.fixture(scope="session")
def domain_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return synthesize(
        tmp_path_factory.mktemp("cdk-domain"),
        apps=json.dumps(DOMAIN_APPS),
        domainName=DOMAIN_NAME,
        waf="true",
        **HOSTED_ZONE,
    )


@pytest.fixture(scope="session")
def certificate_arn_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return synthesize(
        tmp_path_factory.mktemp("cdk-certificate-arn"), domainName=DOMAIN_NAME, certificateArn=CERTIFICATE_ARN
    )


@pytest.fixture(scope="session")
def cloudfront_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return synthesize(
        tmp_path_factory.mktemp("cdk-cloudfront"), apps=json.dumps(CLOUDFRONT_APPS), edge="cloudfront", waf="true"
    )


@pytest.fixture(scope="session")
def stateful(default_build: Build) -> Template:
    return default_build.template(default_build.stacks.stateful)


@pytest.fixture(scope="session")
def platform(default_build: Build) -> Template:
    return default_build.template(default_build.stacks.platform)


@pytest.fixture(scope="session")
def app_stack(default_build: Build) -> Template:
    return default_build.template(default_build.stacks.apps[0])


@pytest.fixture(scope="session")
def scaler_stack(default_build: Build) -> Template:
    assert default_build.stacks.scaler is not None
    return default_build.template(default_build.stacks.scaler)


@pytest.fixture(scope="session")
def github_stack(nat_build: Build) -> Template:
    assert nat_build.stacks.github is not None
    return nat_build.template(nat_build.stacks.github)
