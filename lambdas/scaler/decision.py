"""The scaler's decision for one app: a pure function of live facts, traffic, settings and the time.

The states, deadlines and steps are common/lifecycle.py's. Why sleep takes two phases: ALB metrics reach
CloudWatch minutes late, and a minute with no requests has no datapoint, so "no data yet" looks like
"idle". The scaler therefore first moves the rule to the waker while the tasks still run (DOZING). From
then on every request reaches the waker, which sends a person back to the running app at once and marks
the visit. Only after DOZE_MINUTES, when every minute before the rule moved has been published and still
nothing came, do the tasks stop.

Before anything else: an app that must authenticate but whose rule lost its authenticate action is closed
(common/lifecycle.py close_for_missing_login), whatever its state.

Per state, the scaler:
- SLEEPING: puts the rule back on the waker if it is not; wakes the app in a keep-warm window, or to try
  a task definition deployed while it slept (never after a failed wake of it, within the cooldown).
- WAKING: finishes the wake when a target is healthy (rule to the service); past the wake's deadline it
  stops the tasks, marks the failure and its reason, and counts it (the WakeFailures alarm).
- AWAKE: keeps the task range, notes a finished rollout as verified, and starts dozing after idleMinutes
  without requests or visits (never within minAwakeMinutes of a wake, nor in a keep-warm window).
- DOZING: back to AWAKE if late-published requests, a keep-warm window or incomplete metrics say so;
  otherwise asleep at the doze's deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from common.apps import AppSpec
from common.facts import Facts
from common.lifecycle import (
    ASLEEP_RANGE,
    DOZE_MINUTES,
    Decision,
    PointRule,
    SetDesired,
    SetRange,
    Stamp,
    State,
    Step,
    close_for_missing_login,
    doze_deadline,
    login_missing,
    recent_wake_failure,
    rule_to_waker,
    state_of,
    wake,
    wake_deadline,
)
from common.marks import (
    ASLEEP_SINCE,
    AWAKE_SINCE,
    DOZING_SINCE,
    VERIFIED,
    WAKE_FAILED,
    WakeFailure,
    format_time,
    wake_failure_value,
)
from common.route import Route
from scaler.traffic import MINUTE, Traffic


def decide(facts: Facts, traffic: Traffic, app: AppSpec, now: datetime) -> Decision:
    if login_missing(facts, app):
        return close_for_missing_login(facts, now)
    state = state_of(facts)
    if state is State.SLEEPING:
        return _sleeping(facts, app, now)
    if state is State.WAKING:
        return _waking(facts, app, now)
    if state is State.DOZING:
        return _dozing(facts, traffic, app, now)
    return _awake(facts, traffic, app, now)


def _sleeping(facts: Facts, app: AppSpec, now: datetime) -> Decision:
    fix = rule_to_waker(facts)
    failure = recent_wake_failure(facts, now)
    verified = facts.marks.verified_task_definition
    if app.policy.keep_warm_at(now) and failure is None:
        return wake(facts, app, now, "keep-warm window", fix)
    if verified and verified != facts.service.task_definition and failure is None and facts.service.task_definition:
        return wake(facts, app, now, f"trying {facts.service.task_definition}, deployed while asleep", fix)
    reason = "asleep, rule was not on the waker" if fix else "asleep"
    return Decision(before=State.SLEEPING, state=State.SLEEPING, reason=reason, steps=fix)


def _waking(facts: Facts, app: AppSpec, now: datetime) -> Decision:
    started = facts.marks.wake_started
    # Started without a mark (a deploy's range, or a failed stamp): the wake's clock starts now.
    stamp = () if started is not None else (Stamp(((AWAKE_SINCE, format_time(now)),)),)
    range_fix = _range_fix(facts, app.policy.awake_range)
    if facts.healthy_targets:
        metrics = {} if started is None else {"WakeSeconds": (now - started).total_seconds()}
        steps = (*stamp, *range_fix, PointRule(Route.SERVICE))
        return Decision(
            before=State.WAKING, state=State.AWAKE, reason="target healthy: wake finished", steps=steps, metrics=metrics
        )
    deadline = wake_deadline(facts, app)
    if deadline is not None and now >= deadline:
        return fail_wake(facts, app, now, stopped_reasons=())
    reason = "waking, no healthy target yet" if facts.route is Route.WAKER else "rule drifted, waking"
    return Decision(
        before=State.WAKING, state=State.WAKING, reason=reason, steps=(*stamp, *range_fix, *rule_to_waker(facts))
    )


def fail_wake(facts: Facts, app: AppSpec, now: datetime, *, stopped_reasons: tuple[str, ...]) -> Decision:
    """Past the wake's bound without a healthy target: stop the tasks, remember why, raise the alarm."""
    reason = failure_reason(facts, stopped_reasons)
    failure = WakeFailure(at=now, task_definition=facts.service.task_definition, reason=reason)
    steps = (
        Stamp(((WAKE_FAILED, wake_failure_value(failure)), (ASLEEP_SINCE, format_time(now)))),
        SetRange(ASLEEP_RANGE),
        SetDesired(0),
        *rule_to_waker(facts),
    )
    return Decision(
        before=State.WAKING,
        state=State.SLEEPING,
        reason=f"no healthy target within {app.wake_timeout_seconds} s: {reason}",
        steps=steps,
        metrics={"WakeFailures": 1},
    )


def failure_reason(facts: Facts, stopped_reasons: tuple[str, ...]) -> str:
    """What the service says went wrong: a stopped task's reason first, else its newest failure event."""
    for reason in (*stopped_reasons, *facts.service.events):
        if reason:
            return reason
    return "the task never passed its health check (no ECS event explains why)"


def _awake(facts: Facts, traffic: Traffic, app: AppSpec, now: datetime) -> Decision:
    policy = app.policy
    steps: list[Step] = list(_range_fix(facts, policy.awake_range))
    if facts.service.rollout_complete and facts.marks.verified_task_definition != facts.service.task_definition:
        steps.append(Stamp(((VERIFIED, facts.service.task_definition),)))
    keep = _keep_awake_reason(facts, traffic, app, now)
    if keep is not None:
        return Decision(before=State.AWAKE, state=State.AWAKE, reason=keep, steps=tuple(steps))
    steps += [Stamp(((DOZING_SINCE, format_time(now)),)), PointRule(Route.WAKER)]
    return Decision(
        before=State.AWAKE,
        state=State.DOZING,
        reason=f"no requests for {policy.idle_minutes} min: dozing {DOZE_MINUTES} min before the tasks stop",
        steps=tuple(steps),
    )


@dataclass(frozen=True)
class DozeHolds:
    """Until when recent activity keeps an awake app from dozing (None: no such activity).

    requests: idleMinutes after the end of the last minute with requests; visit: idleMinutes after a visit
    the waker marked; wake: minAwakeMinutes after the wake began. The CLI's "sleeps in" reads them too.
    """

    requests: datetime | None
    visit: datetime | None
    wake: datetime | None

    @property
    def until(self) -> datetime | None:
        return max((moment for moment in (self.requests, self.visit, self.wake) if moment is not None), default=None)


def doze_holds(facts: Facts, traffic: Traffic, app: AppSpec) -> DozeHolds:
    idle = timedelta(minutes=app.policy.idle_minutes)
    last, visited, started = traffic.last_request(), facts.marks.visited_at, facts.marks.wake_started
    return DozeHolds(
        requests=None if last is None else last + idle,
        visit=None if visited is None else visited + idle,
        wake=None if started is None else started + timedelta(minutes=app.policy.min_awake_minutes),
    )


def _keep_awake_reason(facts: Facts, traffic: Traffic, app: AppSpec, now: datetime) -> str | None:
    policy = app.policy
    holds = doze_holds(facts, traffic, app)
    if not traffic.complete:
        return "metrics incomplete, not sleeping"
    if _holds(holds.requests, now):
        return f"requests in the last {policy.idle_minutes} min"
    if _holds(holds.visit, now):
        return f"a visitor at the waker in the last {policy.idle_minutes} min"
    if policy.keep_warm_at(now):
        return "keep-warm window"
    if _holds(holds.wake, now):
        return f"awake less than {policy.min_awake_minutes} min"
    return None


def _holds(until: datetime | None, now: datetime) -> bool:
    return until is not None and now < until


def _dozing(facts: Facts, traffic: Traffic, app: AppSpec, now: datetime) -> Decision:
    policy = app.policy
    deadline = doze_deadline(facts)
    assert deadline is not None  # DOZING means the mark is there
    back = None
    if not traffic.complete:
        back = "metrics incomplete"
    elif traffic.requests_since(now - timedelta(minutes=policy.idle_minutes)) > 0:
        back = "requests published late: the app was in use"
    elif policy.keep_warm_at(now):
        back = "keep-warm window"
    if back is not None:
        return Decision(before=State.DOZING, state=State.AWAKE, reason=back, steps=(PointRule(Route.SERVICE),))
    if now < deadline:
        left = (deadline - now).total_seconds()
        return Decision(before=State.DOZING, state=State.DOZING, reason=f"dozing, {left:.0f} s to sleep")
    steps = (Stamp(((ASLEEP_SINCE, format_time(now)),)), SetRange(ASLEEP_RANGE), SetDesired(0))
    last = traffic.last_request()
    idle = "no request in the window" if last is None else f"last request {(now - last) // MINUTE} min ago"
    return Decision(before=State.DOZING, state=State.SLEEPING, reason=f"asleep: {idle}", steps=steps)


def _range_fix(facts: Facts, wanted: tuple[int, int]) -> tuple[Step, ...]:
    return () if facts.capacity_range == wanted else (SetRange(wanted),)
