"""When `status` says an awake app will sleep: the rules of scaler.decision.decide, without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.apps import parse_app
from common.facts import Facts, RuleTarget
from scaler.traffic import Traffic
from zerodash.status import minutes_to_sleep

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


def awake(awake_since: datetime | None = LONG_AGO) -> Facts:
    return Facts(desired_count=1, rule_target=RuleTarget.SERVICE, healthy_targets=1, awake_since=awake_since)


def requests_at(minute: datetime) -> Traffic:
    return Traffic(service={minute: 2.0})


def test_a_request_keeps_the_app_awake_for_the_idle_window_after_its_minute_ends():
    minute = datetime(2024, 5, 15, 10, 20, tzinfo=UTC)

    assert minutes_to_sleep(awake(), requests_at(minute), APP, NOW) == (5.7, None)  # 10:36 - 10:30:20


def test_a_recent_wake_sleeps_no_sooner_than_the_minimum_awake_time():
    facts = awake(awake_since=NOW - timedelta(minutes=2))

    assert minutes_to_sleep(facts, Traffic(), APP, NOW) == (3.0, None)


def test_without_the_awake_since_tag_the_minimum_awake_time_starts_now():
    assert minutes_to_sleep(awake(awake_since=None), Traffic(), APP, NOW) == (5.0, None)


def test_an_idle_app_past_its_minimum_awake_time_sleeps_now():
    assert minutes_to_sleep(awake(), Traffic(), APP, NOW) == (0.0, None)


def test_a_keep_warm_window_has_no_time_to_sleep():
    window = {"days": "daily", "start": "00:00", "end": "23:59", "timeZone": "UTC"}
    app = parse_app({**APP_OBJECT, "keepWarm": [window]})

    assert minutes_to_sleep(awake(), Traffic(), app, NOW) == (None, "keep-warm window")


def test_incomplete_metrics_have_no_time_to_sleep():
    assert minutes_to_sleep(awake(), Traffic(complete=False), APP, NOW) == (None, "metrics incomplete")


def test_a_sleeping_app_has_no_time_to_sleep():
    facts = Facts(desired_count=0, rule_target=RuleTarget.WAKER, healthy_targets=0)

    assert minutes_to_sleep(facts, Traffic(), APP, NOW) == (None, "asleep")
