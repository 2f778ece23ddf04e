"""ZeroDash's configuration schema: every key, its default and its allowed values, declared once (pydantic v2).

Read once from CDK context (`load_config(app.node.try_get_context)`) and validated before any construct is
built; infra, the operator CLI and the scripts share it. Context keys are camelCase (cdk.json); the attributes
are snake_case. Values given with `cdk ... -c key=value` arrive as strings, so numbers, booleans and the JSON
`apps` list are read from strings too; an empty string counts as not given.

Every error is one `ConfigError` whose message names the key the way it is written in cdk.json
("apps[1].cpu: 300 is not allowed; allowed: 256, 512, ...") and says what is allowed.

The scale-to-zero policy (task range, idle times, keep-warm windows) is validated by the parser the Lambdas
run at cold start (`common.policy`), so what passes here is what they accept, and its defaults are theirs.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from common.policy import Policy, PolicyError, parse_policy, parse_window
from common.registry import apps_path
from zerodash.access import (
    CERTIFICATE_ARN_PATTERN,
    DEFAULT_WAF_RATE_LIMIT,
    HOSTED_ZONE_ID_PATTERN,
    MAX_WAF_RATE_LIMIT,
    MIN_WAF_RATE_LIMIT,
    AuthConfig,
    DomainName,
    Edge,
    FrameAncestors,
    HostName,
    WayIn,
    check_way_in,
    way_in_of,
)
from zerodash.schema import (
    Flag,
    Matches,
    Model,
    Whole,
    check_allowed,
    from_context,
    list_of,
    object_of,
    problem,
    show,
    text_of,
)
from zerodash.secret_ref import SecretRef
from zerodash.sources import REPO_ROOT, AppSource, SourceError, content_tag, inspect_app

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
# ECR's tag grammar; "latest" is refused separately because the repositories' tags are immutable.
IMAGE_TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
# "/*" (the whole site) or "/segment/.../*" with URL-safe segments.
APP_PATH_PATTERN = re.compile(r"^/(?:[A-Za-z0-9._~-]+/)*\*$")
STACK_PREFIX_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
CATCH_ALL_PATH = "/*"
MAX_PATH_PATTERN_CHARS = 128  # ALB: a path pattern condition value is at most 128 characters
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
# An IANA zone name: "UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5".
TIME_ZONE_PATTERN = re.compile(r"[A-Za-z0-9_+-]{1,40}(?:/[A-Za-z0-9_+-]{1,40}){0,3}")
# GitHub's owner and repository name grammar: "owner/name".
GITHUB_REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# A branch name as it appears in the OIDC subject "repo:OWNER/NAME:ref:refs/heads/BRANCH" (no wildcards: the
# trust policy matches it exactly, and IAM's StringEquals would take "*" literally anyway).
GITHUB_BRANCH_PATTERN = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}(?<!/)$")
OIDC_PROVIDER_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$", re.ASCII
)
# Deliberately simple: one @, no spaces, a dot in the domain. SNS sends a confirmation mail anyway.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# The container port. Apps run as a non-root user (10001), which cannot bind ports below 1024.
DEFAULT_PORT = 8050
MIN_PORT, MAX_PORT = 1024, 65535
# ALB's health check path: starts with "/", at most 1024 characters; here limited to a URL path's characters
# (RFC 3986 pchar: unreserved, sub-delims, ":", "@", and %-escapes), without query or fragment.
HEALTH_PATH_PATTERN = re.compile(r"^/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*$")
MAX_HEALTH_PATH = 1024
TITLE_MAX_CHARS = 200
# Control characters cannot be passed in a container's environment (NUL ends the string) or shown in a title.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_SOURCE_CHARS = 1024
MAX_MESSAGE_CHARS = 1200
ENV_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What ZeroDash sets in every app's container (infra, `make dev`, the tests), and the key that decides it.
PLATFORM_ENVIRONMENT: Mapping[str, str] = {
    "PORT": 'the app\'s "port"',
    "URL_PREFIX": 'the app\'s "path"',
    "APP_NAME": 'the app\'s "name"',
    "APP_TITLE": 'the app\'s "title"',
    "APP_MODULE": 'the app\'s "module"',
    "BUCKET_NAME": "the data bucket",
    "DATA_PREFIX": 'the app\'s name: "<name>/", where its data/ directory is uploaded',
    "HEALTH_PATH": 'the app\'s "healthPath"',
    "FRAME_ANCESTORS": 'the app\'s "frameAncestors"',
    "LOGIN_REQUIRED": 'the app\'s "auth"',
}
# Set by ECS itself (task credentials and metadata): overriding them breaks the task's AWS access.
ECS_ENVIRONMENT_PREFIXES = ("AWS_CONTAINER_", "ECS_CONTAINER_METADATA_URI")
# Set by the runtime of app.py apps before it imports the app (zerodash_runtime), so a value here is ignored.
RUNTIME_ENVIRONMENT = ("DASH_REQUESTS_PATHNAME_PREFIX", "DASH_ROUTES_PATHNAME_PREFIX")
# An ECS task definition may be at most 64 KiB; the app's own variables and command get half of it.
MAX_ENVIRONMENT_BYTES = 32 * 1024
# An SSM standard-tier parameter (each app's object for the scaler and its waker) holds at most 4 KB. The ARNs
# and names in it are generated by CloudFormation at deploy time; these are generous upper bounds of their resolved
# lengths (ECS allows names of 255 characters; ELB ARNs in the longest partition and region name a 32-character
# load balancer or target group and 16-hex-digit ids), so an object that could be too long fails before deploy.
# Checked here at load and again by infra/constructs/scale_to_zero.py on the object it builds.
SSM_STANDARD_BYTES = 4096
APP_OBJECT_RESOLVED_BOUNDS = {
    "cluster": 255,
    "service": 255,
    "ruleArn": 200,
    "serviceTargetGroupArn": 150,
    "wakerTargetGroupArn": 150,
}
# The ALB's security group has one egress rule per distinct app port; a security group holds 60 outbound rules
# by default (adjustable). https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html
SECURITY_GROUP_RULES = 60
# An extra S3 prefix an app may read: "segment/.../" with S3's safe key characters, without IAM's wildcards
# (* ?) so the prefix grants exactly what it says. At most MAX_READ_PREFIXES, to keep the task role's policy
# well inside IAM's 10,240-character limit for a role's inline policies.
READ_PREFIX_PATTERN = re.compile(r"^(?:[A-Za-z0-9!_.'()-]+/)+$")
MAX_READ_PREFIXES = 10
MAX_READ_PREFIX_CHARS = 256

DATA_KEY_REMOVED = (
    "was removed: put the file in the app's data/ directory and read it with zerodash_runtime.data.Dataset"
)
IMAGE_TAG_REMOVED = (
    "was removed: each app's tag is a hash of its source; drop `-c imageTag=...` (an app that runs an image "
    'another pipeline pushed names it with "image": "repository:tag")'
)
DEFAULT_APPS: tuple[dict[str, Any], ...] = (
    {"name": "dashboard", "source": "examples/population", "title": "Population by country"},
)
# The Lambdas' own defaults for the policy keys (common.policy.Policy), so they are written in one place.
_POLICY_DEFAULTS = {field.name: field.default for field in dataclasses.fields(Policy)}


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the key and what is allowed."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


# ---------------------------------------------------------------------------------------------------------
# Validators of single keys


def _title(value: Any) -> str:
    """Free text (the apps escape it where they write it into HTML), but printable and not blank."""
    if not isinstance(value, str) or not value.strip() or len(value) > TITLE_MAX_CHARS:
        raise problem(
            f"{show(value)} must be a text of 1 to {TITLE_MAX_CHARS} characters (leave it out for the app's name)"
        )
    if CONTROL_CHARACTERS.search(value):
        raise problem(f"{show(value)} holds a control character (tab, newline, NUL...): write it on one line")
    return value


def _source(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_SOURCE_CHARS
        or CONTROL_CHARACTERS.search(value)
    ):
        raise problem(
            f'{show(value)} must be a directory relative to the project root, such as "apps/sales" '
            f"(at most {MAX_SOURCE_CHARS} characters)"
        )
    return value


def _env_value(value: Any) -> str:
    if not isinstance(value, str):
        raise problem(f'{show(value)} must be a string (quote numbers and booleans: "2", "true")')
    if "\x00" in value:
        raise problem(f"{show(value)} holds a NUL character, which a process's environment cannot carry")
    return value


def _app_path(value: Any) -> str:
    """The listener rule's path pattern: "/*" or "/segment/.../*" (ALB: at most 128 characters)."""
    allowed = 'allowed: "/*" or a prefix such as "/sales/*" or "/sales/eu/*" (letters, digits and ._~-)'
    if not isinstance(value, str):
        raise problem(f"{show(value)} is not a path; {allowed}")
    if len(value) > MAX_PATH_PATTERN_CHARS:
        raise problem(
            f"{show(value)} is {len(value)} characters; a load balancer's path pattern may have at most "
            f"{MAX_PATH_PATTERN_CHARS}"
        )
    segments = value.split("/")[1:-1]
    if "" in segments:
        raise problem(f"{show(value)} has an empty segment (//): no request path matches it the same way; {allowed}")
    if any(segment in (".", "..") for segment in segments):
        raise problem(
            f"{show(value)} has a . or .. segment: browsers remove them from the URL before sending it, so no request "
            f"would reach the app; {allowed}"
        )
    if not APP_PATH_PATTERN.fullmatch(value):
        raise problem(f"{show(value)} is not allowed; {allowed}")
    return value


def _env_name(value: Any) -> str:
    if not isinstance(value, str) or not ENV_NAME_PATTERN.fullmatch(value):
        raise problem(f"{show(value)} is not a variable name: use letters, digits and _, not starting with a digit")
    if value in PLATFORM_ENVIRONMENT:
        raise problem(f"ZeroDash sets {value} in every app's container (from {PLATFORM_ENVIRONMENT[value]})")
    if value.startswith(ECS_ENVIRONMENT_PREFIXES):
        raise problem(f"ECS sets {value} (the task's credentials and metadata); choose another name")
    return value


EnvName = Annotated[str, BeforeValidator(_env_name)]
EnvValue = Annotated[str, BeforeValidator(_env_value)]


def _command_part(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise problem(f"{show(value)} must be a non-empty string")
    return value


def _command(value: Any) -> Any:
    if not isinstance(value, (list, tuple)) or not value:
        raise problem('must be a non-empty list of strings, e.g. ["python", "serve.py"] (exec form, no shell)')
    return value


def _read_prefix(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not READ_PREFIX_PATTERN.fullmatch(value)
        or len(value) > MAX_READ_PREFIX_CHARS
        or any(part in (".", "..") for part in value.split("/"))
    ):
        raise problem(
            f'{show(value)} must be an S3 prefix such as "shared/" or "reference/maps/": segments of letters, digits '
            f"and !_.'()- each ending in /, no leading /, at most {MAX_READ_PREFIX_CHARS} characters"
        )
    return value


def _read_prefixes(value: Any) -> Any:
    list_of('S3 prefixes such as "shared/"')(value)
    if len(value) > MAX_READ_PREFIXES:
        raise problem(
            f"{len(value)} prefixes; at most {MAX_READ_PREFIXES} (the task role's policy must stay small): "
            "put shared files under fewer prefixes"
        )
    return value


# ---------------------------------------------------------------------------------------------------------
# The models


class KeepWarmConfig(Model):
    """A window in which the app never sleeps, as written in the config (validated by common.policy)."""

    days: str = "daily"
    start: str
    end: str
    time_zone: str = "UTC"

    @model_validator(mode="before")
    @classmethod
    def _window(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise problem(f"must be an object with the keys {', '.join(KEEP_WARM_KEYS)}")
        cls._check_keys(data, info, allowed=KEEP_WARM_KEYS)
        fields = cls.model_fields
        window = {
            "days": data.get("days", fields["days"].default),
            "start": data.get("start", ""),
            "end": data.get("end", ""),
            "timeZone": data.get("timeZone", data.get("time_zone", fields["time_zone"].default)),
        }
        zone = window["timeZone"]
        if not isinstance(zone, str) or not TIME_ZONE_PATTERN.fullmatch(zone):
            # Checked first: the zone is looked up as a file, and a name of thousands of characters is an OSError.
            raise problem(f"{show(zone)} is not an IANA time zone (e.g. 'Europe/Berlin')", "timeZone")
        # The Lambdas' own parser has the last word: what passes here is what they accept at cold start.
        try:
            parse_window(window)
        except PolicyError as error:
            key, _, message = str(error).partition(": ")
            raise problem(message, *key.split(".")[1:]) from None
        return {
            "days": str(window["days"]).strip(),
            "start": str(window["start"]).strip(),
            "end": str(window["end"]).strip(),
            "timeZone": str(window["timeZone"]),
        }

    def to_json(self) -> dict[str, str]:
        """The window as the Lambdas' app object spells it (lambdas/README.md)."""
        return {"days": self.days, "start": self.start, "end": self.end, "timeZone": self.time_zone}


def _keep_warm(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        raise problem('must be a list of windows such as {"days": "mon-fri", "start": "08:00", "end": "18:00"}')
    return value


class ScalingConfig(Model):
    """How one app scales: to zero and back (scaler and waker) and 1..max while awake (target tracking).

    In cdk.json these keys sit in the app's entry itself ("idleMinutes": 30), not in a nested object.
    `maxTasks` defaults to the larger of its default and `minTasks`.
    """

    idle_minutes: Annotated[int, Whole.between(1, 24 * 60)] = _POLICY_DEFAULTS["idle_minutes"]
    min_awake_minutes: Annotated[int, Whole.between(0, 24 * 60)] = _POLICY_DEFAULTS["min_awake_minutes"]
    min_tasks: Annotated[int, Whole.between(1, MAX_TASKS)] = _POLICY_DEFAULTS["min_tasks"]
    # Default: the Lambdas' default, or minTasks when that is larger.
    max_tasks: Annotated[int, Whole.between(1, MAX_TASKS)] = Field(
        default_factory=lambda data: max(_POLICY_DEFAULTS["max_tasks"], data.get("min_tasks", 0))
    )
    keep_warm: Annotated[tuple[KeepWarmConfig, ...], BeforeValidator(_keep_warm)] = ()
    target_requests_per_target: Annotated[int, Whole.between(1, 1_000_000)] = 100
    expected_start_seconds: Annotated[int, Whole.between(1, 3600)] = 60

    @field_validator("max_tasks")
    @classmethod
    def _max_at_least_min(cls, value: int, info: ValidationInfo) -> int:
        if "min_tasks" in info.data:
            return check_allowed(value, range(info.data["min_tasks"], MAX_TASKS + 1))
        return value

    @model_validator(mode="after")
    def _policy(self) -> ScalingConfig:
        # The Lambdas' own parser has the last word: what passes here is what they accept at cold start.
        try:
            parse_policy(self.policy_json())
        except PolicyError as error:
            key, _, message = str(error).partition(": ")
            raise problem(message, key) from None
        return self

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


def _secret(value: Any) -> Any:
    if not isinstance(value, (str, SecretRef)):
        raise problem(f'{show(value)} must be a string such as "secretsmanager:<name>" or "ssm:<parameter name>"')
    return value


class AppConfig(Model):
    """One app: its own image, Fargate service, target group and listener rule on the shared ALB.

    Exactly one of `source` (a directory relative to the project root: app.py + requirements.txt, or a
    Dockerfile) and `image` (an image another pipeline pushed); `app_source` is what zerodash.sources found.
    """

    name: Annotated[
        str,
        Matches(
            APP_NAME_PATTERN,
            "is not DNS-safe: use 1-32 lowercase letters, digits and -, starting with a letter and not ending with -",
        ),
    ]
    source: Annotated[str, BeforeValidator(_source)] | None = None
    image: Annotated[str, BeforeValidator(text_of('an image reference such as "sales:1.4.2"'))] | None = None
    module: Annotated[str, BeforeValidator(text_of('"module" or "module:attribute"'))] | None = None
    path: Annotated[str, BeforeValidator(_app_path)] = CATCH_ALL_PATH
    # Default: the app's name.
    title: Annotated[str, BeforeValidator(_title)] = Field(default_factory=lambda data: data.get("name", ""))
    # Default: the catch-all "/*" is evaluated last (50000); any other path 10 x its position (10, 20, ...).
    priority: Annotated[int, Whole.between(FIRST_APP_PRIORITY, CATCH_ALL_PRIORITY)] = CATCH_ALL_PRIORITY
    cpu: Annotated[int, Whole(tuple(FARGATE_SIZES))] = 512
    memory_mib: Annotated[int, Whole.between(1, 10**6), Field(alias="memory")] = 1024
    port: Annotated[int, Whole.between(MIN_PORT, MAX_PORT)] = DEFAULT_PORT
    # Default: url_prefix + "health" ("/health", "/sales/health").
    health_path: Annotated[
        str,
        Matches(
            HEALTH_PATH_PATTERN,
            f'must be a URL path starting with "/" such as "/sales/health" (letters, digits, -._~!$&\'()*+,;=:@/ '
            f"and %-escapes; no query), at most {MAX_HEALTH_PATH} characters",
            MAX_HEALTH_PATH,
        ),
    ] = Field(default_factory=lambda data: data.get("path", CATCH_ALL_PATH)[:-1] + "health")
    command: Annotated[tuple[Annotated[str, BeforeValidator(_command_part)], ...], BeforeValidator(_command)] | None = (
        None
    )
    environment: Annotated[
        dict[EnvName, EnvValue], BeforeValidator(object_of('variables, e.g. {"LOG_LEVEL": "DEBUG"}'))
    ] = Field(default_factory=dict)
    secrets: Annotated[
        dict[EnvName, Annotated[SecretRef, BeforeValidator(_secret)]],
        BeforeValidator(object_of('variables, e.g. {"DB_PASSWORD": "secretsmanager:sales/db:password"}')),
    ] = Field(default_factory=dict)
    read_prefixes: Annotated[
        tuple[Annotated[str, BeforeValidator(_read_prefix)], ...], BeforeValidator(_read_prefixes)
    ] = ()
    stickiness_minutes: Annotated[int, Whole.between(1, 7 * 24 * 60)] = 10
    health_check_grace_seconds: Annotated[int, Whole.between(0, 2**31 - 1)] = 60
    # The ways in (zerodash/access.py): a host name of its own, a login, who may frame it.
    host: HostName | None = None
    auth: AuthConfig | None = None
    frame_ancestors: FrameAncestors = ()
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)

    _app_source: AppSource | None = PrivateAttr(default=None)

    @classmethod
    def context_keys(cls) -> tuple[str, ...]:
        own = tuple(key for key in super().context_keys() if key != "scaling")
        return own + ScalingConfig.context_keys()

    @model_validator(mode="before")
    @classmethod
    def _entry(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise problem('must be an object with a "name" and a "source" or an "image"')
        if "dataKey" in data:
            raise problem(DATA_KEY_REMOVED, "dataKey")
        if from_context(info):
            # In cdk.json a key is given or left out: null is an error, never the default in disguise (and each
            # key's own check refuses an empty string).
            for key, value in data.items():
                if value is None:
                    default = "" if key == "name" else ", or leave the key out for the default"
                    raise problem(f"null is not allowed: give a value{default}", key)
        data = {key: value for key, value in data.items() if value is not None}  # Python callers: None = not given
        scaling_keys = {*ScalingConfig.context_keys(), *ScalingConfig.model_fields}
        if "scaling" in data and not from_context(info):  # Python callers may pass the scaling object itself
            return data
        allowed = cls.context_keys()
        if from_context(info):
            cls._check_keys(data, info, allowed=allowed)
        else:
            cls._check_keys({key: 1 for key in data if key not in scaling_keys}, info, allowed=allowed)
        scaling = {key: data.pop(key) for key in list(data) if key in scaling_keys}
        return {**data, "scaling": scaling}

    @model_validator(mode="after")
    def _resolve(self, info: ValidationInfo) -> AppConfig:
        app = self
        if app.memory_mib not in FARGATE_SIZES[app.cpu]:
            allowed = ", ".join(str(value) for value in FARGATE_SIZES[app.cpu])
            raise problem(
                f"Fargate does not offer {app.memory_mib} MiB with {app.cpu} cpu units; allowed: {allowed}", "memory"
            )
        root = Path((info.context or {}).get("project_root") or REPO_ROOT)
        try:
            found = inspect_app(app.name, source=app.source, image=app.image, module=app.module, root=root)
        except SourceError as error:
            key = "module" if app.module is not None and "module" in str(error) else "source"
            key = "image" if key == "source" and app.image is not None and app.source is None else key
            raise problem(str(error), key) from None
        except (OSError, ValueError, RuntimeError) as error:  # a name too long, a symlink loop...
            raise problem(
                f"{show(app.source)} cannot be read as a directory ({type(error).__name__})", "source"
            ) from None
        if found.kind == "runtime":
            for name in app.environment:
                if name in RUNTIME_ENVIRONMENT:
                    raise problem(
                        f"the runtime sets {name} from the app's path before it imports the app; leave it out",
                        "environment",
                        name,
                    )
        for name in app.secrets:
            if name in app.environment:
                raise problem(f"{name} is also in environment: give each variable once", "secrets", name)
        size = sum(len(name) + len(value.encode()) for name, value in app.environment.items())
        size += sum(len(name) + len(str(ref)) for name, ref in app.secrets.items())
        command = sum(len(part.encode()) + 3 for part in app.command or ())
        if size + command > MAX_ENVIRONMENT_BYTES:
            what = "variables" if size >= command else "command"
            raise problem(
                f"the app's variables and command take {size + command} bytes; at most {MAX_ENVIRONMENT_BYTES} (an "
                "ECS task definition holds 64 KiB): put large values in the data bucket or in a secret",
                "environment" if what == "variables" else "command",
            )
        for prefix in app.read_prefixes:
            if prefix.startswith(app.data_prefix):
                raise problem(
                    f"{prefix!r} is inside the app's own prefix {app.data_prefix!r}, which it reads anyway",
                    "readPrefixes",
                )
        self._app_source = found
        return self

    @property
    def app_source(self) -> AppSource:
        """What the app brings (zerodash.sources): kind "runtime", "dockerfile" or "image"."""
        assert self._app_source is not None  # set by validation
        return self._app_source

    @property
    def served_at(self) -> tuple[str | None, str]:
        """(host, path): no two apps may be served at the same place."""
        return (self.host, self.path)

    @property
    def url_prefix(self) -> str:
        """Where the app is served (URL_PREFIX, Dash's `requests_pathname_prefix`): "/" or "/sales/"."""
        return self.path[:-1]

    @property
    def health_check_path(self) -> str:
        """The path the ALB checks: `healthPath`, by default url_prefix + "health"."""
        return self.health_path

    @property
    def data_prefix(self) -> str:
        """Where the app's data/ directory is uploaded and what it reads (DATA_PREFIX): "<name>/"."""
        return f"{self.name}/"

    @cached_property
    def image_tag(self) -> str:
        """The image's tag: a content hash for built apps ("src-..."), the tag or digest an image app names."""
        if self.app_source.image is not None:
            return self.app_source.image.version
        return content_tag(self.app_source)


def _apps(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise problem(f"is not valid JSON: {error}") from None
        except (ValueError, RecursionError) as error:  # a number of over 4,300 digits, nesting thousands deep
            raise problem(f"cannot be read as JSON ({str(error).partition(':')[0][:100]})") from None
    if not isinstance(value, (list, tuple)) or not value:
        raise problem('must be a non-empty list of app objects, e.g. [{"name": "sales", "source": "apps/sales"}]')
    return value


def _priority(index: int, app: AppConfig) -> int:
    """An app's default rule priority: 10 x its position; the catch-all "/*" last (50000), or just before the last
    for an app on a host of its own (the host condition keeps it from covering the other apps' paths)."""
    if app.path != CATCH_ALL_PATH:
        return (index + 1) * FIRST_APP_PRIORITY
    return CATCH_ALL_PRIORITY if app.host is None else CATCH_ALL_PRIORITY - 1 - index


def _check_reachable(apps: tuple[AppConfig, ...]) -> None:
    """Refuse an app no request can reach: an app evaluated earlier (lower priority) whose path covers its own.
    `apps` are the apps of one host (rules of different hosts never match the same request).

    "/*" covers every path and "/sales/*" covers "/sales/eu/*": the load balancer takes the first rule that
    matches, so the longer prefix must be evaluated first, and "/*" last.
    """
    order = sorted(range(len(apps)), key=lambda index: apps[index].priority)
    for position, later in enumerate(order):
        for earlier in order[:position]:
            first, second = apps[earlier], apps[later]
            if not second.path.startswith(first.path[:-1]):
                continue
            covered = "every path" if first.path == CATCH_ALL_PATH else f"everything under {first.url_prefix}"
            key = earlier if first.path == CATCH_ALL_PATH else later
            fix = (
                f'leave out apps[{earlier}].priority: "/*" is then evaluated last'
                if first.path == CATCH_ALL_PATH
                else f"give apps[{later}] a priority below {first.priority} (or list it before apps[{earlier}] "
                "and leave both priorities out)"
            )
            raise problem(
                f"apps[{later}] ({second.name!r}, {second.path!r}, priority {second.priority}) is never reached: "
                f"apps[{earlier}] ({first.name!r}, {first.path!r}) is evaluated before it (priority "
                f"{first.priority}) and matches {covered}; {fix}",
                key,
                "priority",
            )


def _edge(value: Any) -> Any:
    if value not in ("alb", "cloudfront"):
        raise problem(f'{show(value)} is not allowed; allowed: "alb" (the default) or "cloudfront"')
    return value


def _optional(pattern: re.Pattern[str], message: str) -> Any:
    return Annotated[str, Matches(pattern, message)] | None


class ZeroDashConfig(Model):
    """The whole configuration. `project_root` (the directory holding cdk.json) is not a context key."""

    project_root: Path = Field(default=REPO_ROOT, exclude=True)
    apps: Annotated[tuple[AppConfig, ...], BeforeValidator(_apps)] = Field(default=DEFAULT_APPS, validate_default=True)
    stack_prefix: Annotated[
        str, Matches(STACK_PREFIX_PATTERN, "must start with a letter and use only letters, digits and - (at most 64)")
    ] = "ZeroDash"
    nat_gateways: Annotated[int, Whole.between(0, 2)] = 0
    retain_data: Flag = True
    ecr_keep_images: Annotated[int, Whole.between(1, 1000)] = 10
    log_retention_days: Annotated[int, Whole(LOG_RETENTION_DAYS)] = 30
    sample_data: Flag = True
    scaler_rate_minutes: Annotated[int, Whole.between(1, 60)] = 1
    scale_to_zero: Flag = True
    block_bots: Flag = True
    github_repository: _optional(
        GITHUB_REPOSITORY_PATTERN, 'must be "owner/name" as on GitHub (for example "octo-org/zerodash")'
    ) = None
    github_branch: Annotated[
        str,
        Matches(
            GITHUB_BRANCH_PATTERN,
            "must be a branch name such as main or release/v1 (letters, digits, . _ - /; no wildcards)",
        ),
    ] = "main"
    github_oidc_provider_arn: _optional(
        OIDC_PROVIDER_ARN_PATTERN,
        "must be the ARN of the account's GitHub OIDC provider, "
        "arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
    ) = None
    alarm_email: _optional(EMAIL_PATTERN, "is not an email address (name@example.com)") = None
    dashboards: Flag = True
    waker_concurrency: Annotated[int, Whole.between(1, 100)] = DEFAULT_WAKER_CONCURRENCY
    alb_rule_quota: Annotated[int, Whole.between(1, 10_000)] = DEFAULT_ALB_RULE_QUOTA
    lambda_concurrency_quota: Annotated[int, Whole.between(1, 10_000_000)] = DEFAULT_LAMBDA_CONCURRENCY_QUOTA
    # The ways in (zerodash/access.py): plain HTTP on the ALB by default; HTTPS with domainName, or edge "cloudfront".
    edge: Annotated[Edge, BeforeValidator(_edge)] = "alb"
    domain_name: DomainName | None = None
    hosted_zone_id: _optional(
        HOSTED_ZONE_ID_PATTERN, "is not a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"
    ) = None
    hosted_zone_name: DomainName | None = None
    certificate_arn: _optional(
        CERTIFICATE_ARN_PATTERN,
        "is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), in the stacks' region",
    ) = None
    waf: Flag = False
    waf_rate_limit: Annotated[int, Whole.between(MIN_WAF_RATE_LIMIT, MAX_WAF_RATE_LIMIT)] = DEFAULT_WAF_RATE_LIMIT

    @classmethod
    def context_keys(cls) -> tuple[str, ...]:
        return tuple(key for key in super().context_keys() if key != "projectRoot")

    @field_validator("apps")
    @classmethod
    def _apps_together(cls, apps: tuple[AppConfig, ...]) -> tuple[AppConfig, ...]:
        apps = tuple(
            app if "priority" in app.model_fields_set else app.model_copy(update={"priority": _priority(index, app)})
            for index, app in enumerate(apps)
        )
        for attribute, key in (("name", "name"), ("served_at", "path"), ("priority", "priority")):
            seen: dict[Any, int] = {}
            for index, app in enumerate(apps):
                value = getattr(app, attribute)
                if value in seen:
                    shown = value[1] if attribute == "served_at" else value
                    raise problem(f"{show(shown)} is already used by apps[{seen[value]}]", index, key)
                seen[value] = index
        for host in {app.host for app in apps}:
            _check_reachable(tuple(app for app in apps if app.host == host))
        names = {app.name: index for index, app in enumerate(apps)}
        for index, app in enumerate(apps):
            for prefix in app.read_prefixes:
                owner = prefix.split("/")[0]
                if owner in names:
                    raise problem(
                        f"{prefix!r} is app {owner!r}'s prefix (apps[{names[owner]}]), where its data/ directory is "
                        "uploaded: an app's prefix is its own. Put files several apps read under a prefix no app is "
                        'named after, e.g. "shared/"',
                        index,
                        "readPrefixes",
                    )
        return apps

    @model_validator(mode="after")
    def _together(self) -> ZeroDashConfig:
        if self.github_repository is None:
            for name in ("github_branch", "github_oidc_provider_arn"):
                if name in self.model_fields_set:
                    raise problem(
                        "needs githubRepository: the GitHub OIDC stack is only built for a repository", to_camel(name)
                    )
        check_way_in(self)
        try:
            check_quotas(self)
        except ConfigError as error:
            raise problem(error.message, error.key) from None
        return self

    @property
    def way_in(self) -> WayIn:
        """How visitors reach the apps: "http" (the ALB's address), "domain" (HTTPS on the ALB) or "cloudfront"."""
        return way_in_of(self.edge, self.domain_name)

    @property
    def https(self) -> bool:
        return self.way_in != "http"

    def host_of(self, app: AppConfig) -> str | None:
        """The Host `app`'s listener rule matches: its `host`, else `domainName`; None: the ALB's own DNS name."""
        return app.host or self.domain_name

    @property
    def private_tasks(self) -> bool:
        """Tasks run in private subnets behind NAT only when NAT gateways are configured."""
        return self.nat_gateways > 0

    @property
    def apps_path(self) -> str:
        """The SSM path under which each app stack writes its app object: "/zerodash/<stackPrefix>/apps/"."""
        return apps_path(self.stack_prefix)


# ---------------------------------------------------------------------------------------------------------
# Reading the configuration


def load_config(get_context: Callable[[str], Any], *, project_root: Path | None = None) -> ZeroDashConfig:
    """Build the configuration from a context getter such as `app.node.try_get_context`.

    `project_root` (default: the repository root) is where the apps' `source` directories are looked up.
    """
    if get_context("imageTag") not in (None, ""):
        raise ConfigError("imageTag", IMAGE_TAG_REMOVED)
    values: dict[str, Any] = {}
    for key in ZeroDashConfig.context_keys():
        value = get_context(key)
        if value is not None and value != "":
            values[key] = value
    root = Path(project_root or REPO_ROOT).resolve()
    values["project_root"] = root
    try:
        return ZeroDashConfig.model_validate(values, context={"project_root": root, "from_context": True})
    except ValidationError as error:
        raise config_error(error) from None


def config_error(error: ValidationError) -> ConfigError:
    """The first of pydantic's errors as one ConfigError: "apps[1].cpu: <what is wrong; what is allowed>"."""
    first = error.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    ctx = first.get("ctx") or {}
    if first["type"] == "zerodash":
        loc += tuple(ctx.get("loc", ()))
        message = str(ctx["message"])
    elif first["type"] == "missing":
        message = "is required"
    elif first["type"] == "extra_forbidden":
        message = "unknown key (keys are written in camelCase, as in cdk.json)"
    elif first["type"] in ("string_type", "int_type", "bool_type", "list_type", "tuple_type", "dict_type"):
        message = f"{show(first['input'])}: {first['msg'][0].lower()}{first['msg'][1:]}"
    else:
        message = first["msg"]
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 30] + f"... ({len(message)} characters)"
    return ConfigError(render_key(loc) or "config", message)


def render_key(loc: Iterable[str | int]) -> str:
    """("apps", 1, "scaling", "idleMinutes") -> "apps[1].idleMinutes" (scaling keys sit in the app's entry)."""
    parts = list(loc)
    text = ""
    for index, part in enumerate(parts):
        flattened = part == "scaling" and index > 0 and isinstance(parts[index - 1], int) and index < len(parts) - 1
        if part == "[key]" or flattened:
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def check_quotas(config: ZeroDashConfig) -> None:
    """Refuse a configuration that exceeds an AWS quota, with the numbers, before anything is built.

    - Target groups per load balancer (100, fixed): 2 per app that scales to zero (service and waker), else 1.
    - Listener rules per load balancer, default rules excluded (albRuleQuota, AWS's default 100): the
      platform's (/robots.txt, 2 bot rules with blockBots), and per app its rule plus, with scale to zero,
      its keeper rule (infra/constructs/dash_service.py).
    - Outbound rules of the load balancer's security group (60 by default): one per distinct app port.
    - Each app's object in SSM (scale to zero): a standard parameter holds 4 KB (title and keepWarm windows).
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

    ports: dict[int, int] = {}
    for index, app in enumerate(config.apps):
        ports.setdefault(app.port, index)
        if len(ports) > SECURITY_GROUP_RULES:
            raise ConfigError(
                f"apps[{index}].port",
                f"the apps use more than {SECURITY_GROUP_RULES} different ports; the load balancer's security group "
                f"has one outbound rule per port and holds {SECURITY_GROUP_RULES} (AWS's default quota "
                "'Inbound or outbound rules per security group'): let apps share ports (each app has its own task)",
            )

    if config.scale_to_zero:
        for index, app in enumerate(config.apps):
            size = app_object_bytes(app)
            if size > SSM_STANDARD_BYTES:
                raise ConfigError(
                    f"apps[{index}]",
                    f"the app object of {app.name!r} (what the scaler and the waker read: name, title, scaling and "
                    f"keepWarm windows) may take {size} bytes once deployed, more than the {SSM_STANDARD_BYTES} an "
                    f"SSM standard parameter holds: use a shorter title or fewer keepWarm windows "
                    f"({len(app.scaling.keep_warm)} now)",
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


def app_object_bytes(app: AppConfig) -> int:
    """The most bytes app `app`'s object (lambdas/README.md) may take as JSON once CloudFormation resolved it."""
    app_object = {
        "name": app.name,
        "title": app.title,
        "auth": True,
        **{key: "x" * length for key, length in APP_OBJECT_RESOLVED_BOUNDS.items()},
        **app.scaling.policy_json(),
    }
    return len(json.dumps(app_object, ensure_ascii=False, separators=(",", ":")).encode())
