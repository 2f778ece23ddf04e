"""The lifecycle both Lambdas share: states, their deadlines, the marks, and the steps of a change (pure).

States are derived from the facts every time (common/facts.py, common/marks.py); nothing else is kept:

    SLEEPING  desired count 0; the listener rule forwards to the waker
    WAKING    desired >= 1, rule on the waker, waiting for a healthy target
    AWAKE     desired >= 1, rule on the service
    DOZING    desired >= 1, rule on the waker since `dozing-since`: the first phase of sleep

Who may change what, and when, so that no two writers act on the same transition at once:
- Application Auto Scaling's target tracking moves the desired count within the scalable target's
  range; the scaler and the waker only move the range, [min_tasks, max_tasks] awake and [0, 0] asleep
  (RegisterScalableTarget moves the desired count into a new range by itself), and set the count with it.
- A wake from zero is the same writes whoever makes it (waker, scaler, CLI), so concurrent wakes agree.
- The waker may move the rule to the service (sending people back to running tasks) only before
  `deadline - WAKER_GUARD_SECONDS`, of the doze or of the wake; the scaler stops the tasks (sleep, or a
  failed wake) only at or after the deadline. A waker run lasts at most its timeout, so every rule change
  it makes lands before the scaler reads the rule again.

An app that must authenticate but whose rule lost its authenticate action is closed, whoever sees it first
(`close_for_missing_login`: the same writes from the scaler and the waker): the rule answers a fixed 503,
the tasks stop, and every run logs an ERROR until a redeploy restores the rule (common/route.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from common.apps import AppSpec
from common.facts import Facts
from common.marks import ASLEEP_SINCE, AWAKE_SINCE, VISITED_AT, WakeFailure, format_time
from common.route import Route, has_login

ASLEEP_RANGE = (0, 0)
# How long the rule stays on the waker before the tasks stop: a request's minute ends, its datapoint is
# published up to 3 minutes later (the delay the twin models, tests/twin/cloudwatch.py), and a request
# routed just before the rule change still counts; rounded up to whole scaler minutes.
DOZE_MINUTES = 5
# A waker invocation lasts at most 10 s (its timeout): one that started before the deadline minus this
# margin has finished before the scaler acts on the deadline.
WAKER_GUARD_SECONDS = 15
# After a failed wake, visitors see the failure page instead of starting another doomed task, until this
# many minutes have passed or a new task definition is deployed.
FAILED_WAKE_COOLDOWN_MINUTES = 10


class State(Enum):
    AWAKE = "AWAKE"
    DOZING = "DOZING"
    WAKING = "WAKING"
    SLEEPING = "SLEEPING"


def state_of(facts: Facts) -> State:
    if facts.desired_count == 0:
        return State.SLEEPING
    if facts.route is Route.SERVICE:
        return State.AWAKE
    if facts.route is Route.WAKER and facts.marks.dozing is not None:
        return State.DOZING
    return State.WAKING


def doze_deadline(facts: Facts) -> datetime | None:
    dozing = facts.marks.dozing
    return None if dozing is None else dozing + timedelta(minutes=DOZE_MINUTES)


def wake_deadline(facts: Facts, app: AppSpec) -> datetime | None:
    started = facts.marks.wake_started
    return None if started is None else started + timedelta(seconds=app.wake_timeout_seconds)


def recent_wake_failure(facts: Facts, now: datetime) -> WakeFailure | None:
    """A failed wake of the deployed task definition within the cooldown, if any."""
    failure = facts.marks.wake_failure
    if failure is None or failure.task_definition != facts.service.task_definition:
        return None
    return failure if now - failure.at < timedelta(minutes=FAILED_WAKE_COOLDOWN_MINUTES) else None


# The changes a decision makes, applied in order by common/apply.py.
@dataclass(frozen=True)
class SetRange:
    capacity: tuple[int, int]


@dataclass(frozen=True)
class SetDesired:
    count: int


@dataclass(frozen=True)
class PointRule:
    route: Route


@dataclass(frozen=True)
class Stamp:
    """Service tags to write (common/marks.py), as {key: value}."""

    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CloseRule:
    """Replace the rule's actions with a fixed 503 (common/route.py closed_actions): nobody gets through."""


Step = SetRange | SetDesired | PointRule | Stamp | CloseRule


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What to change, in order, and why. `state` is the state once the steps are applied."""

    before: State
    state: State
    reason: str
    steps: tuple[Step, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""  # set: the decision handles a fault an operator must fix (logged at ERROR)

    @property
    def actions(self) -> tuple[str, ...]:
        """The steps as short words for the log line."""
        return tuple(_describe(step) for step in self.steps)


def _describe(step: Step) -> str:
    if isinstance(step, SetRange):
        return f"capacity={step.capacity[0]}..{step.capacity[1]}"
    if isinstance(step, SetDesired):
        return f"desired={step.count}"
    if isinstance(step, PointRule):
        return f"rule={step.route.value}"
    if isinstance(step, CloseRule):
        return "rule=closed"
    return "tag " + ",".join(key.removeprefix("zerodash:") for key, _ in step.tags)


def rule_to_waker(facts: Facts) -> tuple[Step, ...]:
    """The step that puts the rule back on the waker, unless it is there already."""
    return () if facts.route is Route.WAKER else (PointRule(Route.WAKER),)


def visit(facts: Facts, now: datetime, reason: str) -> Decision:
    """A person reached a dozing app: the mark ends the doze, and the scaler counts it as activity at once."""
    steps = (Stamp(((VISITED_AT, format_time(now)),)),)
    return Decision(before=state_of(facts), state=State.WAKING, reason=reason, steps=steps)


def send_back(facts: Facts, now: datetime, reason: str) -> Decision:
    """The rule to the service, for a visitor of a dozing app (the visit marked first) or of a finished wake.
    Only when may_send_back allows it."""
    marked = visit(facts, now, reason).steps if state_of(facts) is State.DOZING else ()
    return Decision(before=state_of(facts), state=State.AWAKE, reason=reason, steps=(*marked, PointRule(Route.SERVICE)))


def wake(facts: Facts, app: AppSpec, now: datetime, reason: str, before_steps: tuple[Step, ...] = ()) -> Decision:
    """A wake from zero, as the waker, the scaler and `zerodash wake` all do it: range, count, then the mark."""
    steps = (
        *before_steps,
        SetRange(app.policy.awake_range),
        SetDesired(app.policy.min_tasks),
        Stamp(((AWAKE_SINCE, format_time(now)),)),
    )
    return Decision(before=state_of(facts), state=State.WAKING, reason=reason, steps=steps, metrics={"ColdStarts": 1})


def may_send_back(facts: Facts, app: AppSpec, now: datetime) -> bool:
    """Whether the waker may move the rule to the service now: a target is healthy, and the scaler cannot be
    stopping the tasks before the change lands (the deadline, less the guard, is still ahead)."""
    if not facts.healthy_targets:
        return False
    state = state_of(facts)
    if state is State.DOZING:
        deadline = doze_deadline(facts)
    elif state is State.WAKING:
        deadline = wake_deadline(facts, app)
    else:
        return False
    return deadline is not None and now < deadline - timedelta(seconds=WAKER_GUARD_SECONDS)


LOGIN_MISSING = (
    "login missing: the app must authenticate (auth: true) but its listener rule has no authenticate action; "
    "the rule is closed (fixed 503) and the tasks stopped. Redeploy the app's stack to restore the rule (if "
    "CloudFormation reports no changes, restore the rule's actions from the template with aws elbv2 modify-rule)"
)


def login_missing(facts: Facts, app: AppSpec) -> bool:
    """The app must authenticate and its rule has no authenticate action: nothing may point it anywhere."""
    return app.auth and not has_login(facts.kept_actions)


def close_for_missing_login(facts: Facts, now: datetime) -> Decision:
    """Fail closed: the rule answers a fixed 503, then the tasks stop (nobody can reach them anyway)."""
    steps: list[Step] = [] if facts.route is Route.CLOSED else [CloseRule()]
    if facts.desired_count > 0:
        steps += [Stamp(((ASLEEP_SINCE, format_time(now)),)), SetRange(ASLEEP_RANGE), SetDesired(0)]
    elif facts.capacity_range is not None and facts.capacity_range != ASLEEP_RANGE:
        steps.append(SetRange(ASLEEP_RANGE))
    return Decision(
        before=state_of(facts), state=State.SLEEPING, reason=LOGIN_MISSING, steps=tuple(steps), error=LOGIN_MISSING
    )
