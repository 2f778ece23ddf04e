"""`zerodash wake APP` and `zerodash sleep APP` against a moto deployment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.facts import RuleTarget
from scaler.decision import State, state_of


def test_wake_from_sleeping_sets_the_awake_range_before_desired_min_tasks(deployment, cli):
    deployment.put_asleep("sales")

    code, _, _ = cli("wake", "sales")

    assert code == 0
    assert (deployment.capacity("sales"), deployment.facts("sales").desired_count) == ((1, 2), 1)


def test_wake_stamps_awake_since_now(deployment, cli):
    deployment.put_asleep("sales")

    cli("wake", "sales")

    awake_since = deployment.facts("sales").awake_since
    assert awake_since is not None and datetime.now(UTC) - awake_since < timedelta(minutes=1)


def test_wake_leaves_the_rule_on_the_waker_until_a_target_is_healthy_and_says_so(deployment, cli):
    deployment.put_asleep("sales")

    _, out, _ = cli("wake", "sales")

    assert state_of(deployment.facts("sales")) is State.WAKING
    assert deployment.rule_target("sales") is RuleTarget.WAKER
    assert "sales: SLEEPING -> WAKING" in out
    assert "moves to the service when the scaler" in out


def test_wake_of_an_awake_app_changes_nothing(deployment, cli):
    before = deployment.facts("sales")

    code, out, _ = cli("wake", "sales")

    assert code == 0
    assert "already awake" in out
    assert deployment.facts("sales") == before


def test_sleep_from_awake_sets_range_zero_and_desired_zero(deployment, cli):
    code, _, _ = cli("sleep", "sales")

    assert code == 0
    assert (deployment.capacity("sales"), deployment.facts("sales").desired_count) == ((0, 0), 0)


def test_sleep_points_the_rule_at_the_waker_target_group(deployment, cli):
    _, out, _ = cli("sleep", "sales")

    assert deployment.rule_target("sales") is RuleTarget.WAKER
    assert "sales: AWAKE -> SLEEPING (capacity=0..0, desired=0, rule=waker)" in out


def test_sleep_touches_only_the_named_app(deployment, cli):
    cli("sleep", "sales")

    assert state_of(deployment.facts("ops")) is State.AWAKE


def test_sleep_during_a_keep_warm_window_warns_that_the_scaler_wakes_it_again(deployment, cli):
    # Two windows cover the whole day (one window always leaves a gap of at least a minute).
    always = [
        {"days": "daily", "start": "00:00", "end": "12:00", "timeZone": "UTC"},
        {"days": "daily", "start": "12:00", "end": "00:00", "timeZone": "UTC"},
    ]
    deployment.set_app_objects({**deployment.app_objects["sales"], "keepWarm": always})

    _, out, _ = cli("sleep", "sales")

    assert "warning: a keep-warm window is open now, so the next scaler run wakes it again." in out
