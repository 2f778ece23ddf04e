"""The scale-to-zero decision for one app: a pure function of live facts, traffic, policy and the time.

States are derived from the facts on every run (the scaler keeps no state of its own):

    SLEEPING  desired count 0 (the listener rule should forward to the waker)
    WAKING    desired count >= 1, rule not (yet) on the service's target group
    AWAKE     desired count >= 1, rule on the service's target group

Who owns the desired count: Application Auto Scaling's target tracking policy moves it within the
scalable target's [min, max]; the scaler only moves that range. Awake, the range is
[min_tasks, max_tasks] with min_tasks >= 1, so target tracking can never scale to 0. Asleep, the range
is [0, 0], so target tracking can never scale out. The scaler sets desired 0 (sleep) or min_tasks (wake)
only together with the matching range, and never touches the desired count of an awake app: neither
undoes the other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import TypeVar

from common.facts import Facts, RuleTarget
from common.policy import Policy
from scaler.traffic import Traffic

ASLEEP_RANGE = (0, 0)
T = TypeVar("T")


class State(Enum):
    AWAKE = "AWAKE"
    WAKING = "WAKING"
    SLEEPING = "SLEEPING"


def state_of(facts: Facts) -> State:
    if facts.desired_count == 0:
        return State.SLEEPING
    return State.AWAKE if facts.rule_target is RuleTarget.SERVICE else State.WAKING


def expected_rule(state: State) -> RuleTarget:
    """Where the listener rule must forward in each state."""
    return RuleTarget.SERVICE if state is State.AWAKE else RuleTarget.WAKER


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What to change (None = leave as is) and why. `state` is the state once the changes are applied."""

    before: State
    state: State
    reason: str
    desired_count: int | None = None
    rule_target: RuleTarget | None = None
    capacity_range: tuple[int, int] | None = None
    stamp_awake_since: datetime | None = None
    cold_start: bool = False
    wake_seconds: float | None = None

    @property
    def changes(self) -> bool:
        return any(
            value is not None
            for value in (self.desired_count, self.rule_target, self.capacity_range, self.stamp_awake_since)
        )

    @property
    def actions(self) -> tuple[str, ...]:
        """The changes in the order the handler applies them (see scaler.apply)."""
        names = []
        if self.capacity_range is not None:
            names.append(f"capacity={self.capacity_range[0]}..{self.capacity_range[1]}")
        if self.desired_count is not None:
            names.append(f"desired={self.desired_count}")
        if self.stamp_awake_since is not None:
            names.append("stamp-awake-since")
        if self.rule_target is not None:
            names.append(f"rule={self.rule_target.value}")
        return tuple(names)


def decide(facts: Facts, traffic: Traffic, policy: Policy, now: datetime) -> Decision:
    before = state_of(facts)
    window_start = now - timedelta(minutes=policy.idle_minutes)
    warm = policy.keep_warm_at(now)

    if before is State.SLEEPING:
        if warm:
            return _wake(facts, policy, now, "keep-warm window")
        if traffic.wakes_since(window_start) > 0:
            return _wake(facts, policy, now, "waker was hit (safety net)")
        return _settle(facts, before, State.SLEEPING, ASLEEP_RANGE, "asleep, no visitor")

    awake_for = now - facts.awake_since if facts.awake_since is not None else timedelta(0)
    active = traffic.requests_since(window_start) > 0
    if not traffic.complete:
        keep_reason = "metrics incomplete, not sleeping"
    elif active:
        keep_reason = f"requests in the last {policy.idle_minutes} min"
    elif warm:
        keep_reason = "keep-warm window"
    elif awake_for < timedelta(minutes=policy.min_awake_minutes):
        keep_reason = f"awake less than {policy.min_awake_minutes} min"
    else:
        return _sleep(facts, before, f"no requests for {policy.idle_minutes} min")

    stamp = now if facts.awake_since is None else None
    if before is State.WAKING and facts.healthy_targets > 0:
        seconds = (now - facts.awake_since).total_seconds() if facts.awake_since is not None else None
        decision = _settle(facts, before, State.AWAKE, policy.awake_range, "target healthy: wake finished", stamp)
        return replace(decision, wake_seconds=seconds)
    return _settle(facts, before, before, policy.awake_range, keep_reason, stamp)


def _wake(facts: Facts, policy: Policy, now: datetime, reason: str) -> Decision:
    return Decision(
        before=State.SLEEPING,
        state=State.WAKING,
        reason=reason,
        desired_count=policy.min_tasks,
        rule_target=_if_differs(facts.rule_target, RuleTarget.WAKER),
        capacity_range=_if_differs(facts.capacity_range, policy.awake_range),
        stamp_awake_since=now,
        cold_start=True,
    )


def _sleep(facts: Facts, before: State, reason: str) -> Decision:
    return Decision(
        before=before,
        state=State.SLEEPING,
        reason=reason,
        desired_count=0,
        rule_target=_if_differs(facts.rule_target, RuleTarget.WAKER),
        capacity_range=_if_differs(facts.capacity_range, ASLEEP_RANGE),
    )


def _settle(
    facts: Facts,
    before: State,
    state: State,
    capacity: tuple[int, int],
    reason: str,
    stamp: datetime | None = None,
) -> Decision:
    """Stay in (or move to) `state` without touching the desired count; reconcile rule and range."""
    return Decision(
        before=before,
        state=state,
        reason=reason,
        rule_target=_if_differs(facts.rule_target, expected_rule(state)),
        capacity_range=_if_differs(facts.capacity_range, capacity),
        stamp_awake_since=stamp,
    )


def _if_differs(current: T | None, wanted: T) -> T | None:
    return None if current == wanted else wanted
