"""Every transition of the scaler's decision, one behaviour per test."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

from common.facts import RuleTarget
from common.policy import KeepWarmWindow
from scaler.decision import State, decide, state_of
from tests.lambdas.builders import NOW, POLICY, awake, sleeping, traffic, waking

OFFICE_HOURS_UTC = KeepWarmWindow(days=frozenset(range(5)), start=time(2, 0), end=time(4, 0), time_zone="UTC")


def test_state_is_derived_from_desired_count_and_rule():
    assert state_of(awake()) is State.AWAKE
    assert state_of(waking()) is State.WAKING
    assert state_of(sleeping()) is State.SLEEPING
    assert state_of(sleeping(rule_target=RuleTarget.SERVICE)) is State.SLEEPING


def test_awake_app_with_no_requests_for_the_idle_window_goes_to_sleep():
    decision = decide(awake(), traffic(service=[16, 20]), POLICY, NOW)

    assert decision.state is State.SLEEPING
    assert (decision.desired_count, decision.rule_target, decision.capacity_range) == (0, RuleTarget.WAKER, (0, 0))


def test_awake_app_with_a_request_inside_the_idle_window_stays_awake_and_changes_nothing():
    decision = decide(awake(), traffic(service=[14]), POLICY, NOW)

    assert decision.state is State.AWAKE
    assert not decision.changes


def test_a_person_at_the_waker_inside_the_idle_window_also_keeps_the_app_awake():
    decision = decide(awake(), traffic(waker=[3], wakes=[3]), POLICY, NOW)

    assert decision.state is State.AWAKE


def test_bot_hits_on_the_waker_do_not_keep_an_app_awake():
    decision = decide(awake(), traffic(waker=[1, 2, 3]), POLICY, NOW)

    assert decision.state is State.SLEEPING


def test_idle_app_awake_for_less_than_the_minimum_stays_awake():
    facts = awake(awake_since=NOW - timedelta(minutes=4))

    decision = decide(facts, traffic(), POLICY, NOW)

    assert decision.state is State.AWAKE
    assert "awake less than" in decision.reason


def test_awake_app_without_awake_since_tag_is_stamped_and_not_put_to_sleep():
    decision = decide(awake(awake_since=None), traffic(), POLICY, NOW)

    assert decision.state is State.AWAKE
    assert decision.stamp_awake_since == NOW


def test_idle_app_inside_a_keep_warm_window_stays_awake():
    policy = replace(POLICY, keep_warm=(OFFICE_HOURS_UTC,))

    decision = decide(awake(), traffic(), policy, NOW)

    assert decision.state is State.AWAKE
    assert decision.reason == "keep-warm window"


def test_incomplete_metrics_never_put_an_app_to_sleep():
    decision = decide(awake(), traffic(complete=False), POLICY, NOW)

    assert decision.state is State.AWAKE
    assert decision.desired_count is None


def test_sleeping_app_hit_by_the_waker_is_woken_to_min_tasks_with_its_autoscaling_range():
    decision = decide(sleeping(), traffic(waker=[1], wakes=[1]), POLICY, NOW)

    assert decision.state is State.WAKING
    assert decision.desired_count == POLICY.min_tasks
    assert decision.capacity_range == POLICY.awake_range
    assert decision.stamp_awake_since == NOW
    assert decision.cold_start


def test_sleeping_app_only_hit_by_bots_stays_asleep():
    decision = decide(sleeping(), traffic(waker=[1, 2, 3]), POLICY, NOW)

    assert decision.state is State.SLEEPING
    assert not decision.changes


def test_sleeping_app_is_woken_when_a_keep_warm_window_starts():
    policy = replace(POLICY, keep_warm=(OFFICE_HOURS_UTC,))

    decision = decide(sleeping(), traffic(), policy, NOW)

    assert decision.state is State.WAKING
    assert decision.reason == "keep-warm window"


def test_waking_app_with_a_healthy_target_gets_its_rule_back_and_reports_wake_seconds():
    decision = decide(waking(healthy_targets=1), traffic(waker=[0], wakes=[0]), POLICY, NOW)

    assert decision.state is State.AWAKE
    assert decision.rule_target is RuleTarget.SERVICE
    assert decision.wake_seconds == 40
    assert decision.desired_count is None


def test_waking_app_without_a_healthy_target_keeps_the_rule_on_the_waker():
    decision = decide(waking(), traffic(waker=[0], wakes=[0]), POLICY, NOW)

    assert decision.state is State.WAKING
    assert not decision.changes


def test_waking_app_that_never_gets_healthy_goes_back_to_sleep_once_idle():
    facts = waking(awake_since=NOW - timedelta(minutes=30))

    decision = decide(facts, traffic(waker=[20], wakes=[20]), POLICY, NOW)

    assert decision.state is State.SLEEPING
    assert decision.desired_count == 0


def test_rule_reset_to_the_service_by_a_deploy_while_asleep_is_pointed_back_at_the_waker():
    decision = decide(sleeping(rule_target=RuleTarget.SERVICE), traffic(), POLICY, NOW)

    assert decision.state is State.SLEEPING
    assert decision.rule_target is RuleTarget.WAKER
    assert decision.desired_count is None


def test_autoscaling_range_reset_by_a_deploy_while_asleep_is_closed_again():
    decision = decide(sleeping(capacity_range=POLICY.awake_range), traffic(), POLICY, NOW)

    assert decision.capacity_range == (0, 0)


def test_awake_app_with_a_closed_autoscaling_range_gets_its_range_back():
    decision = decide(awake(capacity_range=(0, 0)), traffic(service=[1]), POLICY, NOW)

    assert decision.capacity_range == POLICY.awake_range
    assert decision.desired_count is None


def test_rule_pointing_elsewhere_on_an_awake_service_is_reconciled_once_healthy():
    decision = decide(awake(rule_target=RuleTarget.OTHER), traffic(service=[1]), POLICY, NOW)

    assert decision.state is State.AWAKE
    assert decision.rule_target is RuleTarget.SERVICE


def test_actions_are_listed_in_the_order_they_are_applied():
    decision = decide(awake(rule_target=RuleTarget.SERVICE), traffic(), POLICY, NOW)

    assert decision.actions == ("capacity=0..0", "desired=0", "rule=waker")
