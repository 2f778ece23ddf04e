"""`wake APP` and `sleep APP`: the changes the waker and the scaler make, applied by scaler.apply in its order.

Wake is what the waker does for a visitor: scalable target range [minTasks, maxTasks] first, then desired
count minTasks (only if it is 0), then the awake-since tag. The listener rule stays on the waker: the
waker (at the next visit) or the scaler (at its next run) moves it to the service once a target is healthy,
so no visitor is ever sent to a target group without healthy targets.

Sleep is the scaler's sleep order: range [0, 0], desired count 0, then the rule to the waker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common.apps import AppSpec
from common.aws import Clients, read_facts
from common.facts import Facts, RuleTarget
from scaler.apply import apply
from scaler.decision import ASLEEP_RANGE, Decision, State, state_of


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
    policy = app.policy
    stays = f"it stays awake at least {policy.min_awake_minutes} min, then sleeps after {policy.idle_minutes} min"
    if before is not State.SLEEPING:
        notes = [f"already {before.value.lower()}: desired {facts.desired_count}, running {facts.running_count}."]
        if before is State.WAKING:
            notes.append(_rule_note(facts))
        return Outcome(before=before, after=before, actions=(), facts=facts, notes=tuple(notes))
    decision = Decision(
        before=before,
        # desired >= 1 with the rule already on the service (drift while asleep) counts as awake at once
        state=State.AWAKE if facts.rule_target is RuleTarget.SERVICE else State.WAKING,
        reason="operator: zerodash wake",
        capacity_range=policy.awake_range,
        desired_count=policy.min_tasks,
        stamp_awake_since=now,
        cold_start=True,
    )
    apply(clients, app, facts, decision)
    notes = (_rule_note(facts), f"{stays} without requests.")
    return Outcome(before=before, after=decision.state, actions=decision.actions, facts=facts, notes=notes)


def sleep(clients: Clients, app: AppSpec, now: datetime) -> Outcome:
    facts = read_facts(clients, app)
    decision = Decision(
        before=state_of(facts),
        state=State.SLEEPING,
        reason="operator: zerodash sleep",
        capacity_range=ASLEEP_RANGE,
        desired_count=0,
        rule_target=RuleTarget.WAKER,
    )
    apply(clients, app, facts, decision)
    notes = ["the next visit wakes it again through the waker."]
    if app.policy.keep_warm_at(now):
        notes.append("warning: a keep-warm window is open now, so the next scaler run wakes it again.")
    return Outcome(
        before=decision.before, after=State.SLEEPING, actions=decision.actions, facts=facts, notes=tuple(notes)
    )


def _rule_note(facts: Facts) -> str:
    if facts.rule_target is RuleTarget.SERVICE:
        return "the listener rule already forwards to the service."
    where = "the waker" if facts.rule_target is RuleTarget.WAKER else "neither service nor waker (drift)"
    return (
        f"the listener rule forwards to {where}; it moves to the service when the scaler (next run, "
        "within a minute) or a visit sees a healthy target."
    )
