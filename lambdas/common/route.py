"""Where an app's listener rule sends visitors: its service's target group or its waker's (pure, no AWS).

The scaler and the waker move the app's rule between the two groups. The service's group stays in use
either way through a second, unreachable "keeper" rule that the infra adds for every app (see
infra/constructs/dash_service.py): a target group that no rule forwards to is not in use, and ELB
never health-checks the targets of such a group (Target.NotInUse), so a woken task could never become
healthy.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any


class Route(Enum):
    SERVICE = "service"
    WAKER = "waker"
    OTHER = "other"  # anything else (a person edited the rule, a split, a fixed response): rewritten by the scaler


def forward_action(target_group_arn: str) -> dict[str, Any]:
    """The ModifyRule action that forwards every request to one target group."""
    return {"Type": "forward", "TargetGroupArn": target_group_arn}


def read_route(rule: Mapping[str, Any], *, service_target_group_arn: str, waker_target_group_arn: str) -> Route:
    """Where a DescribeRules rule forwards (either action form: TargetGroupArn or ForwardConfig)."""
    forwards = [action for action in rule.get("Actions", []) if action.get("Type") == "forward"]
    if len(forwards) != 1:
        return Route.OTHER
    action = forwards[0]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or []
    receiving = {str(group["TargetGroupArn"]) for group in groups if int(group.get("Weight", 1)) > 0}
    if action.get("TargetGroupArn") and not groups:
        receiving.add(str(action["TargetGroupArn"]))
    if receiving == {service_target_group_arn}:
        return Route.SERVICE
    if receiving == {waker_target_group_arn}:
        return Route.WAKER
    return Route.OTHER
