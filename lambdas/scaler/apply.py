"""Apply a Decision to one app through the AWS calls in common.aws, in a safe order.

Order: scalable target range, then desired count, then the awake-since tag, then the listener rule.
Sleeping, the range goes to [0, 0] before the desired count goes to 0, and the rule moves to the waker
last, while ECS still drains the old tasks (in-flight requests finish; the waker never sees a healthy
target with desired 0). Waking, the range goes to [min, max] before desired goes to min, so a target
tracking scale-in cannot pull it back to 0. The rule only moves to the service once a target is healthy.
"""

from __future__ import annotations

from common.apps import AppSpec
from common.aws import Clients, point_rule, set_capacity_range, set_desired_count, stamp_awake_since
from common.facts import Facts
from scaler.decision import Decision


def apply(clients: Clients, app: AppSpec, facts: Facts, decision: Decision) -> None:
    if decision.capacity_range is not None:
        set_capacity_range(clients, app, decision.capacity_range)
    if decision.desired_count is not None:
        set_desired_count(clients, app, decision.desired_count)
    if decision.stamp_awake_since is not None:
        stamp_awake_since(clients, facts.service_arn, decision.stamp_awake_since)
    if decision.rule_target is not None:
        point_rule(clients, app, decision.rule_target)
