"""`zerodash wake APP` and `zerodash sleep APP` against a moto deployment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.lifecycle import DOZE_MINUTES, State, state_of
from common.route import Route

ALWAYS = [  # two windows cover the whole day (one window always leaves a gap of at least a minute)
    {"days": "daily", "start": "00:00", "end": "12:00", "timeZone": "UTC"},
    {"days": "daily", "start": "12:00", "end": "00:00", "timeZone": "UTC"},
]


def recent(moment: datetime | None) -> bool:
    return moment is not None and datetime.now(UTC) - moment < timedelta(minutes=1)


# wake --------------------------------------------------------------------------------------------------------


def test_wake_from_sleeping_sets_the_awake_range_and_desired_min_tasks(deployment, cli):
    deployment.put_asleep("sales")

    code, _, _ = cli("wake", "sales")

    assert code == 0
    assert (deployment.capacity("sales"), deployment.facts("sales").desired_count) == ((1, 2), 1)


def test_wake_stamps_awake_since_now(deployment, cli):
    deployment.put_asleep("sales")

    cli("wake", "sales")

    assert recent(deployment.facts("sales").marks.awake_since)


def test_wake_leaves_the_rule_on_the_waker_until_a_target_is_healthy_and_says_so(deployment, cli):
    deployment.put_asleep("sales")

    _, out, _ = cli("wake", "sales")

    assert state_of(deployment.facts("sales")) is State.WAKING
    assert deployment.route("sales") is Route.WAKER
    assert out.splitlines()[0] == "sales: SLEEPING -> WAKING (capacity=1..2, desired=1, tag awake-since)"
    assert "moves to the service when the scaler" in out


def test_wake_of_a_sleeping_app_whose_rule_drifted_puts_the_rule_on_the_waker_first(deployment, cli):
    deployment.put_asleep("sales")
    deployment.point_rule("sales", deployment.apps["sales"].service_target_group_arn)

    _, out, _ = cli("wake", "sales")

    assert deployment.route("sales") is Route.WAKER
    assert "(rule=waker, capacity=1..2, desired=1, tag awake-since)" in out


def test_wake_after_a_recent_failed_wake_wakes_anyway_and_says_what_failed(deployment, cli):
    deployment.put_asleep("sales")
    deployment.put_wake_failed("sales", datetime.now(UTC) - timedelta(minutes=2), "CannotPullContainerError")

    code, out, _ = cli("wake", "sales")

    assert code == 0
    assert state_of(deployment.facts("sales")) is State.WAKING
    assert "failed" in out and "CannotPullContainerError" in out and "this wake tries again" in out


def test_wake_of_a_dozing_app_puts_the_rule_back_on_the_service_and_marks_the_visit(deployment, cli):
    deployment.put_dozing("sales", since=datetime.now(UTC) - timedelta(minutes=1))

    code, out, _ = cli("wake", "sales")

    facts = deployment.facts("sales")
    assert code == 0
    assert (state_of(facts), facts.route, facts.desired_count) == (State.AWAKE, Route.SERVICE, 1)
    assert recent(facts.marks.visited_at)
    assert out.splitlines()[0] == "sales: DOZING -> AWAKE (tag visited-at, rule=service)"


def test_wake_of_a_dozing_app_at_the_end_of_its_doze_only_marks_the_visit(deployment, cli):
    # The waker's guard: too close to the scaler's deadline to move the rule; the mark makes the scaler keep it.
    deployment.put_dozing("sales", since=datetime.now(UTC) - timedelta(minutes=DOZE_MINUTES))

    _, out, _ = cli("wake", "sales")

    facts = deployment.facts("sales")
    assert facts.route is Route.WAKER
    assert recent(facts.marks.visited_at)
    assert out.splitlines()[0] == "sales: DOZING -> WAKING (tag visited-at)"
    assert "the doze is about to end" in out


def test_wake_of_an_awake_app_changes_nothing(deployment, cli):
    before = deployment.facts("sales")

    code, out, _ = cli("wake", "sales")

    assert code == 0
    assert out.splitlines()[0] == "sales: AWAKE, no change"
    assert "already awake" in out
    assert deployment.facts("sales") == before


def test_wake_of_a_waking_app_changes_nothing(deployment, cli):
    deployment.put_waking("sales")
    before = deployment.facts("sales")

    _, out, _ = cli("wake", "sales")

    assert out.splitlines()[0] == "sales: WAKING, no change"
    assert deployment.facts("sales") == before


# sleep -------------------------------------------------------------------------------------------------------


def test_sleep_from_awake_sets_range_zero_and_desired_zero(deployment, cli):
    code, _, _ = cli("sleep", "sales")

    assert code == 0
    assert (deployment.capacity("sales"), deployment.facts("sales").desired_count) == ((0, 0), 0)


def test_sleep_stamps_asleep_since_then_moves_the_rule_to_the_waker_before_stopping_the_tasks(deployment, cli):
    _, out, _ = cli("sleep", "sales")

    facts = deployment.facts("sales")
    assert facts.route is Route.WAKER
    assert recent(facts.marks.asleep_since)
    assert out.splitlines()[0] == "sales: AWAKE -> SLEEPING (tag asleep-since, rule=waker, capacity=0..0, desired=0)"


def test_sleep_says_it_skips_the_doze(deployment, cli):
    _, out, _ = cli("sleep", "sales")

    assert f"immediate: the {DOZE_MINUTES}-min doze is skipped" in out
    assert "the next visit wakes it again through the waker." in out


def test_sleep_of_a_dozing_app_stops_its_tasks_now(deployment, cli):
    deployment.put_dozing("sales", since=datetime.now(UTC) - timedelta(minutes=1))

    _, out, _ = cli("sleep", "sales")

    assert state_of(deployment.facts("sales")) is State.SLEEPING
    assert out.splitlines()[0] == "sales: DOZING -> SLEEPING (tag asleep-since, capacity=0..0, desired=0)"


def test_sleep_of_a_sleeping_app_changes_nothing(deployment, cli):
    deployment.put_asleep("sales")
    before = deployment.facts("sales")

    code, out, _ = cli("sleep", "sales")

    assert code == 0
    assert out.splitlines()[0] == "sales: SLEEPING, no change"
    assert deployment.facts("sales") == before


def test_sleep_touches_only_the_named_app(deployment, cli):
    cli("sleep", "sales")

    assert state_of(deployment.facts("ops")) is State.AWAKE


def test_sleep_during_a_keep_warm_window_warns_that_the_scaler_wakes_it_again(deployment, cli):
    deployment.set_app_objects({**deployment.app_objects["sales"], "keepWarm": ALWAYS})

    _, out, _ = cli("sleep", "sales")

    assert "warning: a keep-warm window is open now, so the next scaler run wakes it again." in out
