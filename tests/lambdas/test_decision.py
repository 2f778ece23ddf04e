"""Every transition of the scaler's decision, one behaviour per test (pure: facts in, steps out)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from common.lifecycle import (
    DOZE_MINUTES,
    PointRule,
    SetDesired,
    SetRange,
    Stamp,
    State,
    may_send_back,
    state_of,
)
from common.marks import ASLEEP_SINCE, AWAKE_SINCE, DOZING_SINCE, VERIFIED, WAKE_FAILED, WakeFailure
from common.policy import parse_window
from common.route import Route
from scaler.decision import decide, fail_wake
from tests.lambdas.builders import APP, NOW, TASK_DEFINITION, awake, dozing, facts, sleeping, traffic, waking

ALL_DAY = replace(APP, policy=replace(APP.policy, keep_warm=(parse_window({"start": "00:00", "end": "24:00"}),)))


def tags(decision) -> dict[str, str]:
    return {key: value for step in decision.steps if isinstance(step, Stamp) for key, value in step.tags}


def test_states_are_derived_from_count_rule_and_marks():
    assert state_of(awake()) is State.AWAKE
    assert state_of(dozing()) is State.DOZING
    assert state_of(waking()) is State.WAKING
    assert state_of(sleeping()) is State.SLEEPING


def test_a_visit_after_dozing_began_ends_the_doze():
    assert state_of(dozing(visited_at=NOW)) is State.WAKING  # the waker's rule change is on its way


def test_idle_awake_app_first_dozes_with_its_tasks_still_running():
    decision = decide(awake(), traffic(service=[16, 20]), APP, NOW)

    assert decision.state is State.DOZING
    assert decision.steps[-1] == PointRule(Route.WAKER)
    assert tags(decision) == {DOZING_SINCE: "2024-05-15T03:00:00+00:00"}
    assert not any(isinstance(step, SetDesired | SetRange) for step in decision.steps)


def test_a_request_inside_the_idle_window_keeps_the_app_awake_without_changes():
    decision = decide(awake(), traffic(service=[14]), APP, NOW)

    assert decision.state is State.AWAKE
    assert decision.steps == ()


def test_a_visit_marked_by_the_waker_counts_before_its_metrics_are_published():
    decision = decide(awake(visited_at=NOW - timedelta(minutes=3)), traffic(), APP, NOW)

    assert decision.state is State.AWAKE
    assert "visitor" in decision.reason


def test_incomplete_metrics_never_start_a_doze():
    assert decide(awake(), traffic(complete=False), APP, NOW).state is State.AWAKE


def test_an_app_awake_less_than_the_minimum_does_not_doze():
    decision = decide(awake(awake_since=NOW - timedelta(minutes=4)), traffic(), APP, NOW)

    assert decision.state is State.AWAKE
    assert "awake less than" in decision.reason


def test_a_keep_warm_window_keeps_an_idle_app_awake():
    assert decide(awake(), traffic(), ALL_DAY, NOW).reason == "keep-warm window"


def test_an_awake_app_notes_its_finished_rollout_as_verified():
    decision = decide(awake(verified_task_definition="zerodash-sales:6"), traffic(service=[1]), APP, NOW)

    assert tags(decision) == {VERIFIED: TASK_DEFINITION}


def test_a_dozing_app_sleeps_only_after_the_doze():
    early = decide(dozing(seconds=DOZE_MINUTES * 60 - 1), traffic(), APP, NOW)
    due = decide(dozing(seconds=DOZE_MINUTES * 60), traffic(), APP, NOW)

    assert early.state is State.DOZING and early.steps == ()
    assert due.state is State.SLEEPING
    assert due.steps[1:] == (SetRange((0, 0)), SetDesired(0))
    assert ASLEEP_SINCE in tags(due)


def test_requests_published_late_bring_a_dozing_app_back():
    decision = decide(dozing(seconds=DOZE_MINUTES * 60), traffic(service=[8]), APP, NOW)

    assert decision.state is State.AWAKE
    assert decision.steps == (PointRule(Route.SERVICE),)


def test_incomplete_metrics_bring_a_dozing_app_back():
    assert decide(dozing(), traffic(complete=False), APP, NOW).state is State.AWAKE


def test_a_waking_app_with_a_healthy_target_is_awake_and_the_wake_is_timed():
    decision = decide(waking(seconds=31, healthy=1), traffic(), APP, NOW)

    assert decision.state is State.AWAKE
    assert decision.steps == (PointRule(Route.SERVICE),)
    assert decision.metrics == {"WakeSeconds": 31.0}


def test_a_wake_without_its_mark_is_stamped_so_its_bound_counts_from_now():
    decision = decide(waking(awake_since=None), traffic(), APP, NOW)

    assert decision.state is State.WAKING
    assert tags(decision) == {AWAKE_SINCE: "2024-05-15T03:00:00+00:00"}


def test_a_wake_past_its_bound_stops_the_tasks_and_says_why():
    late = waking(seconds=APP.wake_timeout_seconds, healthy=0)
    failing = replace(late, service=replace(late.service, events=("(service sales) is unable to consistently start",)))

    decision = decide(failing, traffic(), APP, NOW)

    assert decision.state is State.SLEEPING
    assert decision.metrics == {"WakeFailures": 1}
    assert SetDesired(0) in decision.steps
    assert "unable to consistently start" in tags(decision)[WAKE_FAILED]


def test_a_stopped_tasks_reason_is_preferred_to_the_services_events():
    late = waking(seconds=APP.wake_timeout_seconds)

    decision = fail_wake(late, APP, NOW, stopped_reasons=("CannotPullContainerError: image not found",))

    assert "CannotPullContainerError" in tags(decision)[WAKE_FAILED]


def test_a_sleeping_app_is_left_alone():
    decision = decide(sleeping(), traffic(), APP, NOW)

    assert decision.state is State.SLEEPING
    assert decision.steps == ()


def test_a_sleeping_app_whose_rule_points_at_the_service_gets_the_waker_back():
    asleep_on_service = replace(sleeping(), route=Route.SERVICE)

    assert decide(asleep_on_service, traffic(), APP, NOW).steps == (PointRule(Route.WAKER),)


def test_a_keep_warm_window_wakes_a_sleeping_app():
    decision = decide(sleeping(), traffic(), ALL_DAY, NOW)

    assert decision.state is State.WAKING
    assert decision.steps[:2] == (SetRange((1, 3)), SetDesired(1))
    assert decision.metrics == {"ColdStarts": 1}


def test_a_task_definition_deployed_while_asleep_is_tried():
    decision = decide(sleeping(verified_task_definition="zerodash-sales:6"), traffic(), APP, NOW)

    assert decision.state is State.WAKING
    assert TASK_DEFINITION in decision.reason


def test_no_retry_of_a_task_definition_that_just_failed_to_wake():
    failed = WakeFailure(at=NOW - timedelta(minutes=2), task_definition=TASK_DEFINITION, reason="pull failed")
    app = sleeping(verified_task_definition="zerodash-sales:6", wake_failure=failed)

    assert decide(app, traffic(), ALL_DAY, NOW).state is State.SLEEPING


def test_the_waker_may_send_people_back_only_before_the_scalers_deadline():
    guard = DOZE_MINUTES * 60 - 15

    assert may_send_back(dozing(seconds=guard - 1), APP, NOW)
    assert not may_send_back(dozing(seconds=guard), APP, NOW)
    assert not may_send_back(facts(desired=1, route=Route.WAKER, healthy=0), APP, NOW)
