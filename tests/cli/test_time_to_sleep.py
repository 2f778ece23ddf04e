"""When `status` says an app will doze and sleep: the rules of scaler.decision.decide, without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.apps import parse_app
from common.facts import Facts, ServiceView
from common.lifecycle import DOZE_MINUTES
from common.marks import Marks
from common.route import Route
from scaler.traffic import Traffic
from zerodash.status import SleepTime, sleep_time

NOW = datetime(2024, 5, 15, 10, 30, 20, tzinfo=UTC)  # a Wednesday
ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
APP_OBJECT = {
    "name": "sales",
    "cluster": "zd",
    "service": "sales",
    "ruleArn": f"{ARN}:listener-rule/app/zd-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
    "serviceTargetGroupArn": f"{ARN}:targetgroup/sales-svc/73e2d6bc24d8a067",
    "wakerTargetGroupArn": f"{ARN}:targetgroup/sales-wkr/0123456789abcdef",
    "idleMinutes": 15,
    "minAwakeMinutes": 5,
}
APP = parse_app(APP_OBJECT)
LONG_AGO = NOW - timedelta(hours=2)


def facts(*, desired: int = 1, route: Route = Route.SERVICE, **marks: datetime | None) -> Facts:
    service = ServiceView(desired_count=desired, running_count=desired, marks=Marks(**marks))
    return Facts(service=service, route=route, healthy_targets=desired)


def awake(**marks: datetime | None) -> Facts:
    return facts(**{"awake_since": LONG_AGO, **marks})


def requests_at(minute: datetime) -> Traffic:
    return Traffic(service={minute: 2.0})


def test_a_request_keeps_the_app_awake_for_the_idle_window_after_its_minute_ends_then_it_dozes():
    minute = datetime(2024, 5, 15, 10, 20, tzinfo=UTC)  # ends 10:21: dozes at 10:36, asleep at 10:41

    assert sleep_time(awake(), requests_at(minute), APP, NOW) == SleepTime(5.7, 5.7 + DOZE_MINUTES, None)


def test_a_visit_the_waker_marked_keeps_the_app_awake_for_the_idle_window():
    visited = NOW - timedelta(minutes=5)

    assert sleep_time(awake(visited_at=visited), Traffic(), APP, NOW).minutes_to_doze == 10.0


def test_a_recent_wake_dozes_no_sooner_than_the_minimum_awake_time():
    recent = awake(awake_since=NOW - timedelta(minutes=2))

    assert sleep_time(recent, Traffic(), APP, NOW) == SleepTime(3.0, 3.0 + DOZE_MINUTES, None)


def test_a_wake_before_the_last_sleep_does_not_count_as_the_minimum_awake_time():
    # awake-since older than asleep-since: no wake in progress (common.marks.Marks.wake_started)
    stale = awake(awake_since=NOW - timedelta(minutes=2), asleep_since=NOW - timedelta(minutes=1))

    assert sleep_time(stale, Traffic(), APP, NOW).minutes_to_doze == 0.0


def test_an_idle_app_past_its_minimum_awake_time_dozes_now_and_sleeps_after_the_doze():
    assert sleep_time(awake(), Traffic(), APP, NOW) == SleepTime(0.0, float(DOZE_MINUTES), None)


def test_a_dozing_app_sleeps_at_the_end_of_its_doze():
    dozing = awake(dozing_since=NOW - timedelta(minutes=2))

    assert sleep_time(facts_on_waker(dozing), Traffic(), APP, NOW) == SleepTime(None, DOZE_MINUTES - 2.0, None)


def test_a_dozing_app_past_its_doze_sleeps_at_the_next_run():
    dozing = awake(dozing_since=NOW - timedelta(minutes=DOZE_MINUTES + 3))

    assert sleep_time(facts_on_waker(dozing), Traffic(), APP, NOW).minutes_to_sleep == 0.0


def test_a_keep_warm_window_has_no_time_to_sleep():
    window = {"days": "daily", "start": "00:00", "end": "23:59", "timeZone": "UTC"}
    app = parse_app({**APP_OBJECT, "keepWarm": [window]})

    assert sleep_time(awake(), Traffic(), app, NOW) == SleepTime(None, None, "keep-warm window")


def test_incomplete_metrics_have_no_time_to_sleep():
    assert sleep_time(awake(), Traffic(complete=False), APP, NOW) == SleepTime(None, None, "metrics incomplete")


def test_a_waking_app_has_no_time_to_sleep():
    waking = facts(route=Route.WAKER, awake_since=NOW - timedelta(seconds=30))

    assert sleep_time(waking, Traffic(), APP, NOW) == SleepTime(None, None, "waking")


def test_a_sleeping_app_has_no_time_to_sleep():
    assert sleep_time(facts(desired=0, route=Route.WAKER), Traffic(), APP, NOW) == SleepTime(None, None, "asleep")


def test_a_sleeping_app_in_a_keep_warm_window_is_woken_by_the_next_scaler_run():
    window = {"days": "daily", "start": "00:00", "end": "23:59", "timeZone": "UTC"}
    app = parse_app({**APP_OBJECT, "keepWarm": [window]})

    note = sleep_time(facts(desired=0, route=Route.WAKER), Traffic(), app, NOW).note

    assert note == "keep-warm window: the next scaler run wakes it"


def facts_on_waker(awake_facts: Facts) -> Facts:
    return Facts(service=awake_facts.service, route=Route.WAKER, healthy_targets=awake_facts.healthy_targets)
