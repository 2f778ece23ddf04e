"""The app object: which AWS resources belong to one app and how it scales, read from JSON (pure, no AWS).

Each app stack writes its app object to an SSM parameter (common/registry.py); the scaler reads them all,
each waker its own. Only ARNs and names are passed; the CloudWatch dimensions and the Application Auto
Scaling resource id are derived from them here, so infra cannot pass a mismatching pair.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.policy import Policy, parse_policy

_TARGET_GROUP_ARN = re.compile(r"^arn:[\w-]+:elasticloadbalancing:[\w-]+:\d{12}:(targetgroup/[\w-]+/[0-9a-f]+)$")
_RULE_ARN = re.compile(
    r"^arn:[\w-]+:elasticloadbalancing:[\w-]+:\d{12}:listener-rule/(app/[\w-]+/[0-9a-f]+)/[0-9a-f]+/[0-9a-f]+$"
)
_CLUSTER = re.compile(r"^(?:arn:[\w-]+:ecs:[\w-]+:\d{12}:cluster/)?([\w-]{1,255})$")
_SERVICE = re.compile(r"^(?:arn:[\w-]+:ecs:[\w-]+:\d{12}:service/(?:[\w-]+/)?)?([\w-]{1,255})$")


# A wake that has no healthy target after this many times the expected start has failed (scaler/decision.py).
WAKE_TIMEOUT_FACTOR = 4
MIN_WAKE_TIMEOUT_SECONDS = 120


class AppSpecError(ValueError):
    """An app object is incomplete or malformed; the message names the key."""


@dataclass(frozen=True, kw_only=True)
class AppSpec:
    """One app's resources and policy, as the scaler and the waker see them."""

    name: str
    title: str
    cluster: str
    service: str
    rule_arn: str
    service_target_group_arn: str
    waker_target_group_arn: str
    policy: Policy
    expected_start_seconds: int = 60
    refresh_seconds: int = 5
    # The listener rule must authenticate (an authenticate-oidc/-cognito action before its forward): the
    # Lambdas keep that action on every move and never move a rule that lost it (common/route.py).
    auth: bool = False

    @property
    def wake_timeout_seconds(self) -> int:
        """How long a wake may take before it counts as failed."""
        return max(MIN_WAKE_TIMEOUT_SECONDS, WAKE_TIMEOUT_FACTOR * self.expected_start_seconds)

    @property
    def cluster_name(self) -> str:
        return _match(_CLUSTER, self.cluster, "cluster")

    @property
    def service_name(self) -> str:
        return _match(_SERVICE, self.service, "service")

    @property
    def load_balancer_dimension(self) -> str:
        """CloudWatch's LoadBalancer dimension, "app/<name>/<id>", from the listener rule ARN."""
        return _match(_RULE_ARN, self.rule_arn, "ruleArn")

    @property
    def service_target_group_dimension(self) -> str:
        return _match(_TARGET_GROUP_ARN, self.service_target_group_arn, "serviceTargetGroupArn")

    @property
    def waker_target_group_dimension(self) -> str:
        return _match(_TARGET_GROUP_ARN, self.waker_target_group_arn, "wakerTargetGroupArn")

    @property
    def scalable_target_id(self) -> str:
        """Application Auto Scaling's ResourceId for the service's desired count."""
        return f"service/{self.cluster_name}/{self.service_name}"


def _match(pattern: re.Pattern[str], value: str, key: str) -> str:
    match = pattern.fullmatch(value)
    if not match:
        raise AppSpecError(f"{key}: {value!r} is not a valid ARN or name for this key")
    return match.group(1)


_REQUIRED = ("name", "cluster", "service", "ruleArn", "serviceTargetGroupArn", "wakerTargetGroupArn")


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    """A JSON boolean, false when absent (app objects written before the key existed still load)."""
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise AppSpecError(f"{key}: must be true or false, got {value!r}")
    return value


def parse_app(raw: Mapping[str, Any]) -> AppSpec:
    missing = [key for key in _REQUIRED if not raw.get(key)]
    if missing:
        raise AppSpecError(f"app object is missing {', '.join(missing)}")
    spec = AppSpec(
        name=str(raw["name"]),
        title=str(raw.get("title") or raw["name"]),
        cluster=str(raw["cluster"]),
        service=str(raw["service"]),
        rule_arn=str(raw["ruleArn"]),
        service_target_group_arn=str(raw["serviceTargetGroupArn"]),
        waker_target_group_arn=str(raw["wakerTargetGroupArn"]),
        policy=parse_policy(raw),
        expected_start_seconds=int(raw.get("expectedStartSeconds", 60)),
        refresh_seconds=int(raw.get("refreshSeconds", 5)),
        auth=_flag(raw, "auth"),
    )
    # Derive everything once so a malformed ARN fails at cold start, not in the middle of a run.
    _ = (spec.cluster_name, spec.service_name, spec.load_balancer_dimension, spec.service_target_group_dimension)
    _ = spec.waker_target_group_dimension
    return spec


def parse_app_json(text: str, where: str) -> AppSpec:
    """One app object from its JSON text; `where` names its source in error messages."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise AppSpecError(f"{where} is not valid JSON: {error}") from None
    if not isinstance(raw, Mapping):
        raise AppSpecError(f"{where} must be a JSON object")
    try:
        return parse_app(raw)
    except (AppSpecError, ValueError, TypeError) as error:  # PolicyError is a ValueError too
        raise AppSpecError(f"{where}: {error}") from None
