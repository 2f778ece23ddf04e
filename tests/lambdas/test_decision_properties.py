"""Properties of the scaler's decision over random facts, marks, traffic, settings and times (hypothesis, pure).

The loop's properties on the AWS twin are in test_loop_properties.py; these pin the decision's own
contract, thousands of cases in a second or two.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from common.facts import Facts, ServiceView
from common.lifecycle import (
    ASLEEP_RANGE,
    PointRule,
    SetDesired,
    SetRange,
    State,
    doze_deadline,
    state_of,
    wake_deadline,
)
from common.marks import Marks
from common.policy import parse_window
from common.route import Route
from scaler.decision import decide
from scaler.traffic import Traffic
from tests.lambdas.builders import APP, NOW

CASES = settings(max_examples=300, deadline=None)
moments = st.none() | st.integers(0, 180).map(lambda minutes: NOW - timedelta(minutes=minutes, seconds=7))


@st.composite
def situations(draw):
    marks = Marks(
        awake_since=draw(moments),
        asleep_since=draw(moments),
        dozing_since=draw(moments),
        visited_at=draw(moments),
        verified_task_definition=draw(st.sampled_from([None, "zerodash-sales:6", "zerodash-sales:7"])),
    )
    desired = draw(st.integers(0, 3))
    service = ServiceView(desired_count=desired, task_definition="zerodash-sales:7", marks=marks)
    facts = Facts(
        service=service,
        route=draw(st.sampled_from(Route)),
        healthy_targets=0 if desired == 0 else draw(st.integers(0, 2)),
        capacity_range=draw(st.sampled_from([None, ASLEEP_RANGE, (1, 3), (1, 9)])),
    )
    requests = draw(st.lists(st.integers(0, 40), max_size=4))
    traffic = Traffic(
        service={NOW - timedelta(minutes=minute): 1.0 for minute in requests}, complete=draw(st.booleans())
    )
    warm = draw(st.booleans())
    app = replace(APP, policy=replace(APP.policy, keep_warm=(parse_window({"start": "00:00", "end": "24:00"}),)))
    return facts, traffic, app if warm else APP


@CASES
@given(situations())
def test_tasks_stop_only_at_a_dozes_or_a_failed_wakes_deadline(case):
    facts, traffic, app = case
    decision = decide(facts, traffic, app, NOW)

    if SetDesired(0) in decision.steps:
        state = state_of(facts)
        deadline = doze_deadline(facts) if state is State.DOZING else wake_deadline(facts, app)
        assert state in (State.DOZING, State.WAKING)
        assert deadline is not None and deadline <= NOW
        if state is State.WAKING:
            assert not facts.healthy_targets


@CASES
@given(situations())
def test_a_desired_count_is_always_set_inside_the_range_set_just_before_it(case):
    facts, traffic, app = case
    steps = decide(facts, traffic, app, NOW).steps

    for index, step in enumerate(steps):
        if isinstance(step, SetDesired):
            ranges = [earlier for earlier in steps[:index] if isinstance(earlier, SetRange)]
            assert ranges and ranges[-1].capacity[0] <= step.count <= ranges[-1].capacity[1]


@CASES
@given(situations())
def test_a_sleeping_app_is_only_ever_woken_never_written_to_otherwise(case):
    facts, traffic, app = case
    if state_of(facts) is not State.SLEEPING:
        return
    steps = decide(facts, traffic, app, NOW).steps

    assert PointRule(Route.SERVICE) not in steps
    assert all(step != SetRange(ASLEEP_RANGE) and step != SetDesired(0) for step in steps)


@CASES
@given(situations())
def test_an_awake_app_never_goes_straight_to_sleep(case):
    facts, traffic, app = case
    if state_of(facts) is not State.AWAKE:
        return

    assert decide(facts, traffic, app, NOW).state in (State.AWAKE, State.DOZING)


@CASES
@given(situations())
def test_the_rule_goes_to_the_service_only_with_a_healthy_target_or_running_tasks(case):
    facts, traffic, app = case
    decision = decide(facts, traffic, app, NOW)

    if PointRule(Route.SERVICE) in decision.steps:
        assert state_of(facts) is State.DOZING or facts.healthy_targets
