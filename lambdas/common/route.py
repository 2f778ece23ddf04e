"""Where an app's listener rule sends visitors, and the actions that move it without losing its login (pure).

The scaler and the waker move the app's rule between the service's target group and the waker's. The
service's group stays in use either way through a second, unreachable "keeper" rule that the infra adds for
every app (see infra/constructs/dash_service.py): a target group that no rule forwards to is not in use, and
ELB never health-checks the targets of such a group (Target.NotInUse), so a woken task could never become
healthy.

Login kept across every move. An app's rule may authenticate: actions [authenticate-oidc or
authenticate-cognito (Order 1), forward (Order 2)]. ModifyRule "Replaces the specified properties of the
specified rule ... To add an item to a list, remove an item from a list, or update an item in a list, you
must provide the entire list" (ELB API reference, ModifyRule): sending only the forward would silently drop
the login. So every move resends the actions that run before the routing one, as DescribeRules returned them:
- "Each rule must include exactly one of the following types of actions: forward, fixed-response, or
  redirect, and it must be the last action to be performed" (API reference, Action): the kept actions come
  first, the forward last.
- Order: "This value is required for rules with multiple actions. The action with the lowest value for order
  is performed first" (Action): every action gets one, 1..n in their current order.
- AuthenticateOidcActionConfig ClientSecret: "This parameter is required if you are creating a rule. If you
  are modifying a rule, you can omit this parameter if you set UseExistingClientSecret to true"; DescribeRules
  never returns the secret, so an OIDC action is resent without it and with UseExistingClientSecret true.

Fail closed. An app whose object says it authenticates (`auth: true`) but whose rule has no authenticate
action (edited by hand, or a deploy failed half way) is never pointed anywhere by `rule_actions`: it raises
LoginMissing. The Lambdas then close the rule with a fixed 503 (`closed_actions`, common/lifecycle.py) and
log an ERROR asking for a redeploy, which writes the rule's actions from the template again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

ROUTING_TYPES = frozenset({"forward", "redirect", "fixed-response"})
AUTHENTICATE_TYPES = frozenset({"authenticate-oidc", "authenticate-cognito"})
# The body of the fixed response a rule whose login is missing answers with (at most 1024 characters,
# FixedResponseActionConfig MessageBody).
CLOSED_MESSAGE = "This app requires a login, and its login configuration is missing. Ask its operator to redeploy it."


class Route(Enum):
    SERVICE = "service"
    WAKER = "waker"
    CLOSED = "closed"  # a fixed response, no forward: what a rule whose login went missing is closed with
    OTHER = "other"  # anything else (a person edited the rule, a split, a redirect): rewritten by the scaler


class LoginMissing(RuntimeError):
    """The app must authenticate but its rule has no authenticate action: the rule is not moved."""


@dataclass(frozen=True, kw_only=True)
class RuleView:
    """What the Lambdas read from an app's rule: where it routes, and the actions to keep across moves."""

    route: Route
    kept: tuple[dict[str, Any], ...] = ()  # the actions before the routing one, in order, as described

    @property
    def authenticates(self) -> bool:
        return has_login(self.kept)


def forward_action(target_group_arn: str) -> dict[str, Any]:
    """The ModifyRule action that forwards every request to one target group."""
    return {"Type": "forward", "TargetGroupArn": target_group_arn}


def _ordered(actions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    indexed = list(enumerate(actions))
    return [action for _, action in sorted(indexed, key=lambda item: (int(item[1].get("Order", 0)), item[0]))]


def kept_actions(rule: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """The rule's actions that run before its routing action (a login), in the order they run."""
    actions = _ordered(rule.get("Actions", []))
    return tuple(dict(action) for action in actions if action.get("Type") not in ROUTING_TYPES)


def has_login(actions: Iterable[Mapping[str, Any]]) -> bool:
    return any(action.get("Type") in AUTHENTICATE_TYPES for action in actions)


def read_route(rule: Mapping[str, Any], *, service_target_group_arn: str, waker_target_group_arn: str) -> Route:
    """Where a DescribeRules rule forwards (either action form: TargetGroupArn or ForwardConfig)."""
    actions = rule.get("Actions", [])
    forwards = [action for action in actions if action.get("Type") == "forward"]
    if not forwards and actions and _ordered(actions)[-1].get("Type") == "fixed-response":
        return Route.CLOSED
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


def read_rule(rule: Mapping[str, Any], *, service_target_group_arn: str, waker_target_group_arn: str) -> RuleView:
    route = read_route(
        rule, service_target_group_arn=service_target_group_arn, waker_target_group_arn=waker_target_group_arn
    )
    return RuleView(route=route, kept=kept_actions(rule))


def resendable(action: Mapping[str, Any]) -> dict[str, Any]:
    """A described action as ModifyRule accepts it again: an OIDC one keeps its secret by reference."""
    action = {key: value for key, value in action.items() if key != "Order"}
    if action.get("Type") == "authenticate-oidc":
        config = dict(action.get("AuthenticateOidcConfig", {}))
        config.pop("ClientSecret", None)
        action["AuthenticateOidcConfig"] = {**config, "UseExistingClientSecret": True}
    return action


def _numbered(actions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**action, "Order": order} for order, action in enumerate(actions, start=1)]


def rule_actions(
    *, target_group_arn: str, kept: Sequence[Mapping[str, Any]], must_authenticate: bool
) -> list[dict[str, Any]]:
    """The ModifyRule Actions that forward to `target_group_arn` and keep the rule's login.

    Raises LoginMissing when the app must authenticate and `kept` has no authenticate action.
    """
    if must_authenticate and not has_login(kept):
        raise LoginMissing(
            "the app must authenticate but its listener rule has no authenticate action: the rule was not "
            "moved; redeploy the app's stack to restore its login"
        )
    if not kept:
        return [forward_action(target_group_arn)]
    return _numbered([*(resendable(action) for action in kept), forward_action(target_group_arn)])


def closed_actions() -> list[dict[str, Any]]:
    """The actions of a rule that lets nobody through: one fixed 503 that names the fix."""
    return [
        {
            "Type": "fixed-response",
            "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": CLOSED_MESSAGE},
        }
    ]
