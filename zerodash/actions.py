"""`wake APP` and `sleep APP`: the changes the waker and the scaler make, as common.lifecycle Decisions applied
by common.apply in their order.

Wake is what the waker does for a visitor:
- SLEEPING: common.lifecycle.wake, the same writes whoever wakes an app (range [minTasks, maxTasks], desired
  minTasks, the awake-since mark). The listener rule stays on the waker (it is put back there first if it
  drifted): the waker (at a visitor's poll) or the scaler (at its next run) moves it to the service once a
  target is healthy, so no visitor is sent to a target group without healthy targets.
- DOZING (the tasks still run, the rule is on the waker): the visit is marked and the rule goes back to the
  service, if a target is healthy and the doze's deadline (less the waker's guard) is still ahead; otherwise
  only the visit is marked, which makes the scaler's next run finish it as a wake instead of stopping the tasks.
- AWAKE, WAKING: no change.

Sleep is immediate, skipping the doze: the asleep-since mark first (so neither the waker nor the scaler treats
the app as a wake in progress any more), the rule to the waker, then range [0, 0] and desired 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common import lifecycle
from common.apply import apply
from common.apps import AppSpec
from common.aws import Clients, read_facts
from common.facts import Facts
from common.lifecycle import (
    ASLEEP_RANGE,
    DOZE_MINUTES,
    Decision,
    SetDesired,
    SetRange,
    Stamp,
    State,
    may_send_back,
    recent_wake_failure,
    state_of,
)
from common.marks import ASLEEP_SINCE, format_time
from common.route import Route

WAKE_REASON = "operator: zerodash wake"
SLEEP_REASON = "operator: zerodash sleep"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    before: State
    after: State
    actions: tuple[str, ...]
    facts: Facts  # as read before the change
    notes: tuple[str, ...] = ()

    def lines(self, app: AppSpec) -> list[str]:
        if not self.actions:
            return [f"{app.name}: {self.before.value}, no change", *self.notes]
        return [f"{app.name}: {self.before.value} -> {self.after.value} ({', '.join(self.actions)})", *self.notes]


def wake(clients: Clients, app: AppSpec, now: datetime) -> Outcome:
    facts = read_facts(clients, app)
    before = state_of(facts)
    if before is State.SLEEPING:
        return _wake_from_zero(clients, app, facts, now)
    if before is State.DOZING:
        return _send_back(clients, app, facts, now)
    notes = [f"already {before.value.lower()}: desired {facts.desired_count}, running {facts.service.running_count}."]
    if before is State.WAKING:
        notes.append(_rule_note(facts))
    return Outcome(before=before, after=before, actions=(), facts=facts, notes=tuple(notes))


def _wake_from_zero(clients: Clients, app: AppSpec, facts: Facts, now: datetime) -> Outcome:
    notes = []
    failure = recent_wake_failure(facts, now)
    if failure is not None:
        notes.append(
            f"note: a wake of {failure.task_definition} failed at {format_time(failure.at)} ({failure.reason}); "
            "visitors get the failure page, this wake tries again."
        )
    # The rule back on the waker first if it drifted, as the scaler's own wakes do.
    decision = lifecycle.wake(facts, app, now, WAKE_REASON, lifecycle.rule_to_waker(facts))
    apply(clients, app, facts, decision)
    policy = app.policy
    notes += [
        "the listener rule stays on the waker; it moves to the service when the scaler (next run, within a "
        "minute) or a visitor's holding page sees a healthy target.",
        f"it stays awake at least {policy.min_awake_minutes} min; after {policy.idle_minutes} min without "
        f"requests it dozes, and {DOZE_MINUTES} min later it sleeps.",
    ]
    return Outcome(
        before=State.SLEEPING, after=decision.state, actions=decision.actions, facts=facts, notes=tuple(notes)
    )


def _send_back(clients: Clients, app: AppSpec, facts: Facts, now: datetime) -> Outcome:
    """A dozing app: what the waker does for a visitor (the visit marked, then the rule to the service)."""
    if may_send_back(facts, app, now):
        decision = lifecycle.send_back(facts, now, WAKE_REASON)
        note = (
            "its tasks were still running: the listener rule is back on the service, and the visit keeps it "
            f"awake for at least {app.policy.idle_minutes} min."
        )
    else:
        decision = lifecycle.visit(facts, now, WAKE_REASON)
        why = "no healthy target" if not facts.healthy_targets else "the doze is about to end"
        note = (
            f"{why}, so the rule stays on the waker: the visit mark makes the scaler's next run move it to the "
            "service once a target is healthy (if the tasks stopped first, run wake again)."
        )
    apply(clients, app, facts, decision)
    return Outcome(before=State.DOZING, after=decision.state, actions=decision.actions, facts=facts, notes=(note,))


def sleep(clients: Clients, app: AppSpec, now: datetime) -> Outcome:
    facts = read_facts(clients, app, with_health=False, with_capacity=True)
    before = state_of(facts)
    notes = []
    if before is State.SLEEPING and facts.route is Route.WAKER and facts.capacity_range == ASLEEP_RANGE:
        notes.append("already asleep: desired 0, the listener rule on the waker.")
        return Outcome(before=before, after=before, actions=(), facts=facts, notes=tuple(notes))
    steps = (
        Stamp(((ASLEEP_SINCE, format_time(now)),)),
        *lifecycle.rule_to_waker(facts),
        SetRange(ASLEEP_RANGE),
        SetDesired(0),
    )
    decision = Decision(before=before, state=State.SLEEPING, reason=SLEEP_REASON, steps=steps)
    apply(clients, app, facts, decision)
    if before in (State.AWAKE, State.DOZING):
        notes.append(
            f"immediate: the {DOZE_MINUTES}-min doze is skipped (the scaler's own sleep dozes first, sending any "
            "visitor back to the running tasks); the tasks stop now."
        )
    notes.append("the next visit wakes it again through the waker.")
    if app.policy.keep_warm_at(now):
        notes.append("warning: a keep-warm window is open now, so the next scaler run wakes it again.")
    return Outcome(before=before, after=State.SLEEPING, actions=decision.actions, facts=facts, notes=tuple(notes))


def _rule_note(facts: Facts) -> str:
    if facts.route is Route.SERVICE:
        return "the listener rule already forwards to the service."
    where = "the waker" if facts.route is Route.WAKER else "neither service nor waker (drift)"
    return (
        f"the listener rule forwards to {where}; it moves to the service when the scaler (next run, "
        "within a minute) or a visitor's holding page sees a healthy target."
    )
