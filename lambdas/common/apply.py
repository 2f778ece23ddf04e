"""Apply a Decision's steps to one app, in the order the decision lists them (thin)."""

from __future__ import annotations

from common.apps import AppSpec
from common.aws import Clients, close_rule, point_rule, set_capacity_range, set_desired_count, tag_service
from common.facts import Facts
from common.lifecycle import CloseRule, Decision, PointRule, SetDesired, SetRange, Stamp


def apply(clients: Clients, app: AppSpec, facts: Facts, decision: Decision) -> None:
    for step in decision.steps:
        if isinstance(step, SetRange):
            set_capacity_range(clients, app, step.capacity)
        elif isinstance(step, SetDesired):
            set_desired_count(clients, app, step.count)
        elif isinstance(step, Stamp):
            tag_service(clients, facts.service.service_arn, step.tags)
        elif isinstance(step, PointRule):
            point_rule(clients, app, step.route, kept=facts.kept_actions)
        elif isinstance(step, CloseRule):
            close_rule(clients, app)
