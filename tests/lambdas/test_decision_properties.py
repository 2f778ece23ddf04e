"""Properties of the scaler's decision over random facts, traffic, policies and times (hypothesis).

Each property draws a few hundred cases; with the trace property that replays minute-by-minute traces
through a small model of AWS, several thousand random situations run in a few seconds in total.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.facts import Facts, RuleTarget
from common.policy import KeepWarmWindow, Policy
from scaler.decision import ASLEEP_RANGE, Decision, State, decide, expected_rule, state_of
from scaler.traffic import Traffic

BASE = datetime(2024, 3, 1, tzinfo=UTC)
CASES = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

zones = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
windows = st.builds(
    KeepWarmWindow,
    days=st.frozensets(st.integers(0, 6), min_size=1),
    start=st.times().map(lambda value: time(value.hour, value.minute)),
    end=st.times().map(lambda value: time(value.hour, value.minute)),
    time_zone=zones,
).filter(lambda window: window.start != window.end)


@st.composite
def policies(draw) -> Policy:
    min_tasks = draw(st.integers(1, 3))
    return Policy(
        idle_minutes=draw(st.integers(1, 30)),
        min_awake_minutes=draw(st.integers(0, 20)),
        min_tasks=min_tasks,
        max_tasks=min_tasks + draw(st.integers(0, 3)),
        keep_warm=tuple(draw(st.lists(windows, max_size=2))),
    )


nows = st.integers(0, 60 * 24 * 14).map(lambda minutes: BASE + timedelta(minutes=minutes, seconds=17))


@st.composite
def facts_for(draw, policy: Policy, now: datetime) -> Facts:
    desired = draw(st.integers(0, 4))
    return Facts(
        desired_count=desired,
        rule_target=draw(st.sampled_from(RuleTarget)),
        # ECS deregisters a stopped service's targets; draining targets are not "healthy".
        healthy_targets=0 if desired == 0 else draw(st.integers(0, 2)),
        capacity_range=draw(st.sampled_from([None, ASLEEP_RANGE, policy.awake_range, (1, 9)])),
        awake_since=draw(st.none() | st.integers(0, 180).map(lambda minutes: now - timedelta(minutes=minutes))),
        service_arn="arn:aws:ecs:us-east-1:123456789012:service/zd/app",
    )


@st.composite
def traffic_for(draw, now: datetime) -> Traffic:
    def series():
        minutes = draw(st.lists(st.integers(0, 40), max_size=6))
        return {now.replace(second=0) - timedelta(minutes=minute): 1.0 for minute in minutes}

    return Traffic(service=series(), waker=series(), wakes=series(), complete=draw(st.booleans() | st.just(True)))


@st.composite
def situations(draw):
    policy = draw(policies())
    now = draw(nows)
    return draw(facts_for(policy, now)), draw(traffic_for(now)), policy, now


def after(facts: Facts, decision: Decision, now: datetime) -> Facts:
    """What AWS looks like once the handler applied the decision."""
    return replace(
        facts,
        desired_count=facts.desired_count if decision.desired_count is None else decision.desired_count,
        rule_target=decision.rule_target or facts.rule_target,
        capacity_range=decision.capacity_range or facts.capacity_range,
        awake_since=decision.stamp_awake_since or facts.awake_since,
    )


def request_within_idle_window(traffic: Traffic, policy: Policy, now: datetime) -> bool:
    return traffic.requests_since(now - timedelta(minutes=policy.idle_minutes)) > 0


@CASES
@given(situations())
def test_never_sleeps_when_a_request_arrived_within_the_idle_window(situation):
    facts, traffic, policy, now = situation
    decision = decide(facts, traffic, policy, now)
    if request_within_idle_window(traffic, policy, now):
        assert decision.desired_count != 0


@CASES
@given(situations())
def test_every_waker_hit_leads_to_desired_at_least_min_within_one_run(situation):
    facts, traffic, policy, now = situation
    traffic = replace(traffic, wakes={now.replace(second=0): 1.0}, waker={now.replace(second=0): 1.0})
    state = after(facts, decide(facts, traffic, policy, now), now)
    assert state.desired_count >= (policy.min_tasks if facts.desired_count == 0 else 1)


@CASES
@given(situations())
def test_rule_and_autoscaling_range_match_the_state_after_a_run(situation):
    facts, traffic, policy, now = situation
    decision = decide(facts, traffic, policy, now)
    state = after(facts, decision, now)
    assert state_of(state) is decision.state
    assert state.rule_target is expected_rule(decision.state)
    assert state.capacity_range == (ASLEEP_RANGE if decision.state is State.SLEEPING else policy.awake_range)


@CASES
@given(situations())
def test_a_second_run_with_no_new_data_changes_nothing(situation):
    facts, traffic, policy, now = situation
    first = decide(facts, traffic, policy, now)
    second = decide(after(facts, first, now), traffic, policy, now)
    assert not second.changes, second


@CASES
@given(situations())
def test_apps_are_awake_after_any_run_inside_a_keep_warm_window(situation):
    facts, traffic, policy, now = situation
    state = after(facts, decide(facts, traffic, policy, now), now)
    if policy.keep_warm_at(now):
        assert state.desired_count >= 1


@settings(max_examples=300, deadline=None)
@given(
    policy=policies(),
    start=nows,
    arrivals=st.lists(st.sampled_from([0] * 10 + [1, 2]), min_size=30, max_size=180),
    waker_fails=st.booleans(),
    start_minutes=st.integers(1, 3),
)
def test_traces_replayed_minute_by_minute_keep_every_invariant(policy, start, arrivals, waker_fails, start_minutes):
    """A small model of AWS: visitors arrive each minute; the waker wakes (or fails to) and the scaler runs."""
    facts = Facts(desired_count=policy.min_tasks, rule_target=RuleTarget.SERVICE, healthy_targets=1)
    service: dict[datetime, float] = {}
    waker: dict[datetime, float] = {}
    woken_at: datetime | None = None
    for offset, visitors in enumerate(arrivals):
        minute = start.replace(second=0) + timedelta(minutes=offset)
        if visitors and facts.rule_target is RuleTarget.SERVICE and facts.desired_count >= 1:
            service[minute] = visitors
        elif visitors:
            waker[minute] = visitors
            if facts.desired_count == 0 and not waker_fails:
                facts = replace(facts, desired_count=policy.min_tasks, awake_since=minute)
        if facts.desired_count == 0:
            woken_at, facts = None, replace(facts, healthy_targets=0)
        else:
            woken_at = woken_at or minute
            healthy = minute - woken_at >= timedelta(minutes=start_minutes)
            facts = replace(facts, healthy_targets=1 if healthy else 0)

        now = minute + timedelta(minutes=1)
        traffic = Traffic(service=dict(service), waker=dict(waker), wakes=dict(waker))
        decision = decide(facts, traffic, policy, now)
        facts = after(facts, decision, now)

        assert facts.rule_target is expected_rule(state_of(facts))
        if visitors:
            assert facts.desired_count >= 1, "a visitor's minute must leave the app awake or waking"
        if request_within_idle_window(traffic, policy, now):
            assert facts.desired_count >= 1
        if facts.rule_target is RuleTarget.SERVICE:
            assert facts.desired_count >= 1, "the rule never forwards to a service with no tasks"
