"""Typed ZeroDash configuration, read once from CDK context and validated before any construct is built.

Every key, its default and its allowed values are documented in the README ("Configuration").
Values given with `cdk ... -c key=value` arrive as strings, so numbers, booleans and the JSON
`apps` list are parsed from strings too.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# lambdas/ is the root of the Lambda code asset, whose modules import each other as `common.x` (see
# lambdas/README.md). It is put on sys.path here, once, so that the scale-to-zero policy (task range,
# idle times, keep-warm windows) is validated at synth time by the very parser the Lambdas run at cold
# start, and the apps' SSM path is the one they read. `append` so nothing installed is shadowed;
# common/policy.py and common/registry.py are pure (standard library only).
LAMBDAS_DIR = Path(__file__).resolve().parents[1] / "lambdas"
if str(LAMBDAS_DIR) not in sys.path:
    sys.path.append(str(LAMBDAS_DIR))

from common.policy import PolicyError, parse_policy, parse_window  # noqa: E402
from common.registry import apps_path  # noqa: E402

# Fargate's supported task sizes: cpu units -> allowed memory (MiB).
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# The retention periods CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

APP_NAME_PATTERN = re.compile(r"^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$")
# ECR's tag grammar; "latest" is refused separately because the repository's tags are immutable.
IMAGE_TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
# "/*" (the whole site) or "/segment/.../*" with URL-safe segments.
APP_PATH_PATTERN = re.compile(r"^/(?:[A-Za-z0-9._~-]+/)*\*$")
DATA_KEY_PATTERN = re.compile(r"^[A-Za-z0-9!_.*'()/-]+\.(?:csv|parquet)$")
CATCH_ALL_PATH = "/*"
CATCH_ALL_PRIORITY = 50000  # ALB's highest rule priority: evaluated last
# Listener rule priorities 1..9 are reserved for the platform's own rules (1: /robots.txt, 2-3: turning
# bots and monitors away); apps start at 10.
FIRST_APP_PRIORITY = 10
MAX_TASKS = 1000  # an upper bound that catches typos; ECS allows more
# AWS quotas checked at synth, so a configuration that cannot deploy fails with a message instead of a rollback.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
TARGET_GROUPS_PER_ALB = 100  # "Target groups per Application Load Balancer": not adjustable
DEFAULT_ALB_RULE_QUOTA = 100  # "Rules per Application Load Balancer (excluding default rules)": adjustable
DEFAULT_LAMBDA_CONCURRENCY_QUOTA = 1000  # "Concurrent executions" per account and region: adjustable
UNRESERVED_LAMBDA_CONCURRENCY = 100  # Lambda keeps this much of the account's concurrency unreserved
SCALER_CONCURRENCY = 1  # the scaler's reserved concurrency: runs never overlap
DEFAULT_WAKER_CONCURRENCY = 10
# The platform's own listener rules: /robots.txt, and two User-Agent rules with blockBots
# (infra/constructs/platform.py ROBOTS_PRIORITY, BOT_RULE_PRIORITIES).
ROBOTS_RULES = 1
BOT_RULES = 2
KEEP_WARM_KEYS = ("days", "start", "end", "timeZone")
# GitHub's owner and repository name grammar: "owner/name".
GITHUB_REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# A branch name as it appears in the OIDC subject "repo:OWNER/NAME:ref:refs/heads/BRANCH" (no wildcards: the
# trust policy matches it exactly, and IAM's StringEquals would take "*" literally anyway).
GITHUB_BRANCH_PATTERN = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}(?<!/)$")
OIDC_PROVIDER_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)
# Deliberately simple: one @, no spaces, a dot in the domain. SNS sends a confirmation mail anyway.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the key and what is allowed."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


@dataclass(frozen=True, kw_only=True)
class KeepWarmConfig:
    """A window in which the app never sleeps, as written in the config (validated by common.policy)."""

    days: str = "daily"
    start: str
    end: str
    time_zone: str = "UTC"

    def to_json(self) -> dict[str, str]:
        """The window as the Lambdas' app object spells it (lambdas/README.md)."""
        return {"days": self.days, "start": self.start, "end": self.end, "timeZone": self.time_zone}


@dataclass(frozen=True, kw_only=True)
class ScalingConfig:
    """How one app scales: to zero and back (scaler and waker) and 1..max while awake (target tracking)."""

    idle_minutes: int = 15
    min_awake_minutes: int = 5
    min_tasks: int = 1
    max_tasks: int = 2
    keep_warm: tuple[KeepWarmConfig, ...] = ()
    target_requests_per_target: int = 100
    expected_start_seconds: int = 60

    def policy_json(self) -> dict[str, Any]:
        """The policy keys of the Lambdas' app object (lambdas/README.md, "Where the apps are listed")."""
        return {
            "idleMinutes": self.idle_minutes,
            "minAwakeMinutes": self.min_awake_minutes,
            "minTasks": self.min_tasks,
            "maxTasks": self.max_tasks,
            "keepWarm": [window.to_json() for window in self.keep_warm],
            "expectedStartSeconds": self.expected_start_seconds,
        }


@dataclass(frozen=True, kw_only=True)
class AppConfig:
    """One Dash app: its own Fargate service, target group and listener rule on the shared ALB."""

    name: str
    path: str = CATCH_ALL_PATH
    title: str = "Population by country"
    cpu: int = 512
    memory_mib: int = 1024
    data_key: str = "gapminder.csv"
    stickiness_minutes: int = 10
    health_check_grace_seconds: int = 60
    priority: int
    scaling: ScalingConfig = field(default_factory=ScalingConfig)

    @property
    def url_prefix(self) -> str:
        """Where the app is served, as Dash's `routes_pathname_prefix`: "/" or "/sales/"."""
        return self.path[:-1]

    @property
    def health_check_path(self) -> str:
        return f"{self.url_prefix}health"


@dataclass(frozen=True, kw_only=True)
class ZeroDashConfig:
    image_tag: str
    apps: tuple[AppConfig, ...]
    stack_prefix: str = "ZeroDash"
    nat_gateways: int = 0
    retain_data: bool = True
    ecr_keep_images: int = 10
    log_retention_days: int = 30
    sample_data: bool = True
    scaler_rate_minutes: int = 1
    scale_to_zero: bool = True
    block_bots: bool = True
    github_repository: str | None = None
    github_branch: str = "main"
    github_oidc_provider_arn: str | None = None
    alarm_email: str | None = None
    dashboards: bool = True
    waker_concurrency: int = DEFAULT_WAKER_CONCURRENCY
    alb_rule_quota: int = DEFAULT_ALB_RULE_QUOTA
    lambda_concurrency_quota: int = DEFAULT_LAMBDA_CONCURRENCY_QUOTA

    @property
    def private_tasks(self) -> bool:
        """Tasks run in private subnets behind NAT only when NAT gateways are configured."""
        return self.nat_gateways > 0

    @property
    def apps_path(self) -> str:
        """The SSM path under which each app stack writes its app object: "/zerodash/<stackPrefix>/apps/"."""
        return apps_path(self.stack_prefix)


DEFAULT_APPS: tuple[dict[str, Any], ...] = ({"name": "dashboard"},)

_APP_KEYS = {
    "name": "name",
    "path": "path",
    "title": "title",
    "cpu": "cpu",
    "memory": "memory_mib",
    "dataKey": "data_key",
    "stickinessMinutes": "stickiness_minutes",
    "healthCheckGraceSeconds": "health_check_grace_seconds",
    "priority": "priority",
    "idleMinutes": "scaling.idle_minutes",
    "minAwakeMinutes": "scaling.min_awake_minutes",
    "minTasks": "scaling.min_tasks",
    "maxTasks": "scaling.max_tasks",
    "keepWarm": "scaling.keep_warm",
    "targetRequestsPerTarget": "scaling.target_requests_per_target",
    "expectedStartSeconds": "scaling.expected_start_seconds",
}


def load_config(get_context: Callable[[str], Any]) -> ZeroDashConfig:
    """Build the configuration from a context getter such as `app.node.try_get_context`."""
    image_tag = get_context("imageTag")
    if image_tag in (None, ""):
        raise ConfigError(
            "imageTag",
            "is required: push an image to the ECR repository (for example tagged with the git SHA) "
            "and pass it with `-c imageTag=<tag>`",
        )
    image_tag = str(image_tag)
    if image_tag == "latest" or not IMAGE_TAG_PATTERN.fullmatch(image_tag):
        raise ConfigError(
            "imageTag",
            f"{image_tag!r} is not a valid tag: use 1-128 of A-Z a-z 0-9 _ . - (not starting with . or -), "
            "and not 'latest' (the repository's tags are immutable; use a unique tag such as the git SHA)",
        )

    stack_prefix = str(get_context("stackPrefix") or "ZeroDash")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,63}", stack_prefix):
        raise ConfigError(
            "stackPrefix", f"{stack_prefix!r} must start with a letter and use only letters, digits and -"
        )

    config = ZeroDashConfig(
        image_tag=image_tag,
        apps=_parse_apps(get_context("apps")),
        stack_prefix=stack_prefix,
        nat_gateways=_int(get_context, "natGateways", default=0, allowed=range(0, 3)),
        retain_data=_bool(get_context, "retainData", default=True),
        ecr_keep_images=_int(get_context, "ecrKeepImages", default=10, allowed=range(1, 1001)),
        log_retention_days=_int(get_context, "logRetentionDays", default=30, allowed=LOG_RETENTION_DAYS),
        sample_data=_bool(get_context, "sampleData", default=True),
        scaler_rate_minutes=_int(get_context, "scalerRateMinutes", default=1, allowed=range(1, 61)),
        scale_to_zero=_bool(get_context, "scaleToZero", default=True),
        block_bots=_bool(get_context, "blockBots", default=True),
        **_parse_github(get_context),
        alarm_email=_optional(get_context, "alarmEmail", EMAIL_PATTERN, "is not an email address (name@example.com)"),
        dashboards=_bool(get_context, "dashboards", default=True),
        waker_concurrency=_int(
            get_context, "wakerConcurrency", default=DEFAULT_WAKER_CONCURRENCY, allowed=range(1, 101)
        ),
        alb_rule_quota=_int(get_context, "albRuleQuota", default=DEFAULT_ALB_RULE_QUOTA, allowed=range(1, 10_001)),
        lambda_concurrency_quota=_int(
            get_context,
            "lambdaConcurrencyQuota",
            default=DEFAULT_LAMBDA_CONCURRENCY_QUOTA,
            allowed=range(1, 10_000_001),
        ),
    )
    check_quotas(config)
    return config


def check_quotas(config: ZeroDashConfig) -> None:
    """Refuse a configuration that exceeds an AWS quota, with the numbers, before anything is built.

    - Target groups per load balancer (100, fixed): 2 per app that scales to zero (service and waker), else 1.
    - Listener rules per load balancer, default rules excluded (albRuleQuota, AWS's default 100): the
      platform's (/robots.txt, 2 bot rules with blockBots), and per app its rule plus, with scale to zero,
      its keeper rule (infra/constructs/dash_service.py).
    - Lambda concurrency (lambdaConcurrencyQuota): the scaler and every waker reserve theirs
      (1 + apps x wakerConcurrency), and Lambda refuses a reservation that leaves the account fewer than 100
      unreserved.
    """
    apps = len(config.apps)
    per_app = 2 if config.scale_to_zero else 1
    target_groups = apps * per_app
    if target_groups > TARGET_GROUPS_PER_ALB:
        what = "the service's and the waker's" if config.scale_to_zero else "the service's"
        raise ConfigError(
            "apps",
            f"{apps} apps need {target_groups} target groups ({per_app} per app: {what}); an Application Load "
            f"Balancer allows {TARGET_GROUPS_PER_ALB} (a fixed quota), so at most "
            f"{TARGET_GROUPS_PER_ALB // per_app} apps{' with scaleToZero' if config.scale_to_zero else ''}",
        )

    platform_rules = ROBOTS_RULES + (BOT_RULES if config.block_bots else 0)
    rules = platform_rules + apps * per_app
    if rules > config.alb_rule_quota:
        per_app_text = "its rule and its keeper rule" if config.scale_to_zero else "its rule"
        raise ConfigError(
            "albRuleQuota",
            f"{apps} apps need {rules} listener rules ({platform_rules} of the platform + {per_app} per app: "
            f"{per_app_text}), more than albRuleQuota={config.alb_rule_quota}, the rules an Application Load "
            f"Balancer may have (AWS's default quota: {DEFAULT_ALB_RULE_QUOTA}, default rules not counted); "
            "ask Service Quotas to raise 'Rules per Application Load Balancer', then set albRuleQuota to the new "
            "quota",
        )

    if config.scale_to_zero:
        reserved = SCALER_CONCURRENCY + apps * config.waker_concurrency
        allowed = config.lambda_concurrency_quota - UNRESERVED_LAMBDA_CONCURRENCY
        if reserved > allowed:
            raise ConfigError(
                "wakerConcurrency",
                f"{apps} apps x wakerConcurrency={config.waker_concurrency} + {SCALER_CONCURRENCY} (the scaler) "
                f"reserve {reserved} concurrent Lambda executions; Lambda keeps {UNRESERVED_LAMBDA_CONCURRENCY} "
                f"of the account's lambdaConcurrencyQuota={config.lambda_concurrency_quota} unreserved, so at most "
                f"{max(allowed, 0)} can be reserved: lower wakerConcurrency, or raise the account's quota and set "
                "lambdaConcurrencyQuota",
            )


def _parse_github(get_context: Callable[[str], Any]) -> dict[str, Any]:
    repository = _optional(
        get_context,
        "githubRepository",
        GITHUB_REPOSITORY_PATTERN,
        'must be "owner/name" as on GitHub (for example "octo-org/zerodash")',
    )
    branch = _optional(
        get_context,
        "githubBranch",
        GITHUB_BRANCH_PATTERN,
        "must be a branch name such as main or release/v1 (letters, digits, . _ - /; no wildcards)",
    )
    provider_arn = _optional(
        get_context,
        "githubOidcProviderArn",
        OIDC_PROVIDER_ARN_PATTERN,
        "must be the ARN of the account's GitHub OIDC provider, "
        "arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
    )
    if repository is None:
        for key, value in (("githubBranch", branch), ("githubOidcProviderArn", provider_arn)):
            if value is not None:
                raise ConfigError(key, "needs githubRepository: the GitHub OIDC stack is only built for a repository")
    return {
        "github_repository": repository,
        "github_branch": branch or "main",
        "github_oidc_provider_arn": provider_arn,
    }


def _optional(get_context: Callable[[str], Any], key: str, pattern: re.Pattern[str], message: str) -> str | None:
    """A string that is absent/empty (None) or matches `pattern`."""
    raw = get_context(key)
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or not pattern.fullmatch(raw):
        raise ConfigError(key, f"{raw!r} {message}")
    return raw


def _parse_apps(raw: Any) -> tuple[AppConfig, ...]:
    if raw is None:
        raw = list(DEFAULT_APPS)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ConfigError("apps", f"is not valid JSON: {error}") from None
    if not isinstance(raw, list) or not raw:
        raise ConfigError("apps", 'must be a non-empty list of app objects, e.g. [{"name": "dashboard"}]')

    apps = tuple(_parse_app(entry, index) for index, entry in enumerate(raw))
    for attribute, label in (("name", "name"), ("path", "path"), ("priority", "priority")):
        seen: dict[Any, int] = {}
        for index, app in enumerate(apps):
            value = getattr(app, attribute)
            if value in seen:
                raise ConfigError(f"apps[{index}].{label}", f"{value!r} is already used by apps[{seen[value]}]")
            seen[value] = index
    return apps


def _parse_app(entry: Any, index: int) -> AppConfig:
    prefix = f"apps[{index}]"
    if not isinstance(entry, Mapping):
        raise ConfigError(prefix, 'must be an object with at least a "name"')
    unknown = sorted(set(entry) - set(_APP_KEYS))
    if unknown:
        raise ConfigError(f"{prefix}.{unknown[0]}", f"unknown key; allowed keys are {', '.join(_APP_KEYS)}")

    def get(key: str) -> Any:
        return entry.get(key)

    name = get("name")
    if not isinstance(name, str) or not APP_NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"{prefix}.name",
            f"{name!r} is not DNS-safe: use 1-32 lowercase letters, digits and -, starting with a letter "
            "and not ending with -",
        )

    path = get("path") or CATCH_ALL_PATH
    if not isinstance(path, str) or len(path) > 128 or not APP_PATH_PATTERN.fullmatch(path):
        raise ConfigError(
            f"{prefix}.path", f'{path!r} must be "/*" or a prefix such as "/sales/*" (at most 128 characters)'
        )

    cpu = _int(get, "cpu", default=512, allowed=tuple(FARGATE_SIZES), label=f"{prefix}.cpu")
    memory = _int(get, "memory", default=1024, allowed=range(1, 10**6), label=f"{prefix}.memory")
    if memory not in FARGATE_SIZES[cpu]:
        allowed = ", ".join(str(value) for value in FARGATE_SIZES[cpu])
        raise ConfigError(
            f"{prefix}.memory", f"Fargate does not offer {memory} MiB with {cpu} cpu units; allowed: {allowed}"
        )

    data_key = get("dataKey") or "gapminder.csv"
    if not isinstance(data_key, str) or not DATA_KEY_PATTERN.fullmatch(data_key):
        raise ConfigError(f"{prefix}.dataKey", f"{data_key!r} must be an S3 key ending in .csv or .parquet")

    title = get("title") or "Population by country"
    if not isinstance(title, str) or len(title) > 200:
        raise ConfigError(f"{prefix}.title", "must be a string of at most 200 characters")

    default_priority = CATCH_ALL_PRIORITY if path == CATCH_ALL_PATH else (index + 1) * 10
    return AppConfig(
        name=name,
        path=path,
        title=title,
        cpu=cpu,
        memory_mib=memory,
        data_key=data_key,
        stickiness_minutes=_int(
            get, "stickinessMinutes", default=10, allowed=range(1, 7 * 24 * 60 + 1), label=f"{prefix}.stickinessMinutes"
        ),
        health_check_grace_seconds=_int(
            get,
            "healthCheckGraceSeconds",
            default=60,
            allowed=range(0, 2_147_483_648),
            label=f"{prefix}.healthCheckGraceSeconds",
        ),
        priority=_int(
            get,
            "priority",
            default=default_priority,
            allowed=range(FIRST_APP_PRIORITY, CATCH_ALL_PRIORITY + 1),
            label=f"{prefix}.priority",
        ),
        scaling=_parse_scaling(get, prefix),
    )


def _parse_scaling(get: Callable[[str], Any], prefix: str) -> ScalingConfig:
    def number(key: str, default: int, allowed: range) -> int:
        return _int(get, key, default=default, allowed=allowed, label=f"{prefix}.{key}")

    min_tasks = number("minTasks", 1, range(1, MAX_TASKS + 1))
    scaling = ScalingConfig(
        idle_minutes=number("idleMinutes", 15, range(1, 24 * 60 + 1)),
        min_awake_minutes=number("minAwakeMinutes", 5, range(0, 24 * 60 + 1)),
        min_tasks=min_tasks,
        max_tasks=number("maxTasks", max(2, min_tasks), range(min_tasks, MAX_TASKS + 1)),
        keep_warm=_parse_keep_warm(get("keepWarm"), f"{prefix}.keepWarm"),
        target_requests_per_target=number("targetRequestsPerTarget", 100, range(1, 1_000_001)),
        expected_start_seconds=number("expectedStartSeconds", 60, range(1, 3601)),
    )
    # The Lambdas' own parser has the last word: what passes here is what they accept at cold start.
    try:
        parse_policy(scaling.policy_json())
    except PolicyError as error:
        key, _, message = str(error).partition(": ")
        raise ConfigError(f"{prefix}.{key}", message) from None
    return scaling


def _parse_keep_warm(raw: Any, label: str) -> tuple[KeepWarmConfig, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(label, 'must be a list of windows such as {"days": "mon-fri", "start": "08:00", ...}')
    windows = []
    for index, entry in enumerate(raw):
        where = f"{label}[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(where, f"must be an object with the keys {', '.join(KEEP_WARM_KEYS)}")
        unknown = sorted(set(entry) - set(KEEP_WARM_KEYS))
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}", f"unknown key; allowed keys are {', '.join(KEEP_WARM_KEYS)}")
        try:
            parse_window(entry)
        except PolicyError as error:
            key, _, message = str(error).partition(": ")
            raise ConfigError(where + key.removeprefix("keepWarm"), message) from None
        windows.append(
            KeepWarmConfig(
                days=str(entry.get("days", "daily")).strip(),
                start=str(entry["start"]).strip(),
                end=str(entry["end"]).strip(),
                time_zone=str(entry.get("timeZone", "UTC")),
            )
        )
    return tuple(windows)


def _int(
    get: Callable[[str], Any], key: str, *, default: int, allowed: range | tuple[int, ...], label: str | None = None
) -> int:
    label = label or key
    raw = get(key)
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).strip().lstrip("-").isdigit():
        raise ConfigError(label, f"{raw!r} is not a whole number")
    value = int(raw)
    if value not in allowed:
        raise ConfigError(label, f"{value} is not allowed; allowed: {_describe(allowed)}")
    return value


def _bool(get: Callable[[str], Any], key: str, *, default: bool) -> bool:
    raw = get(key)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ConfigError(key, f"{raw!r} is not allowed; allowed: true, false")


def _describe(allowed: range | tuple[int, ...]) -> str:
    if isinstance(allowed, range):
        return f"{allowed.start} to {allowed.stop - 1}"
    return ", ".join(str(value) for value in allowed)
