"""The environment contract: app objects, derived names, and keep-warm policies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from common.apps import AppSpecError, parse_app, parse_app_json
from common.policy import PolicyError, parse_days, parse_policy, parse_window

ACCOUNT = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
APP = {
    "name": "sales",
    "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/zd",
    "service": "arn:aws:ecs:us-east-1:123456789012:service/zd/sales",
    "ruleArn": f"{ACCOUNT}:listener-rule/app/zd-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
    "serviceTargetGroupArn": f"{ACCOUNT}:targetgroup/sales-svc/73e2d6bc24d8a067",
    "wakerTargetGroupArn": f"{ACCOUNT}:targetgroup/sales-wkr/0123456789abcdef",
}


def test_scalable_target_id_is_derived_from_cluster_and_service_arns():
    assert parse_app(APP).scalable_target_id == "service/zd/sales"


def test_defaults_apply_when_policy_keys_are_absent():
    policy = parse_app(APP).policy

    assert (policy.idle_minutes, policy.min_awake_minutes, policy.min_tasks, policy.max_tasks) == (15, 5, 1, 2)
    assert policy.keep_warm == ()


def test_a_malformed_target_group_arn_is_rejected_at_parse_time():
    with pytest.raises(AppSpecError, match="wakerTargetGroupArn"):
        parse_app({**APP, "wakerTargetGroupArn": "targetgroup/x"})


def test_a_missing_key_is_named():
    with pytest.raises(AppSpecError, match="ruleArn"):
        parse_app({key: value for key, value in APP.items() if key != "ruleArn"})


def test_an_app_object_that_is_not_json_is_named_by_its_source():
    with pytest.raises(AppSpecError, match="/zerodash/ZeroDash/apps/sales is not valid JSON"):
        parse_app_json("{", "/zerodash/ZeroDash/apps/sales")


def test_a_bad_policy_value_is_named_with_its_source():
    with pytest.raises(AppSpecError, match="apps/sales: idleMinutes"):
        parse_app_json(json.dumps({**APP, "idleMinutes": 0}), "apps/sales")


def test_a_wake_fails_after_four_times_the_expected_start_and_never_under_two_minutes():
    assert parse_app({**APP, "expectedStartSeconds": 60}).wake_timeout_seconds == 240
    assert parse_app({**APP, "expectedStartSeconds": 10}).wake_timeout_seconds == 120


def test_min_tasks_of_zero_is_rejected():
    with pytest.raises(PolicyError, match="minTasks"):
        parse_policy({"minTasks": 0})


@pytest.mark.parametrize(
    ("text", "days"),
    [("mon-fri", {0, 1, 2, 3, 4}), ("sat,sun", {5, 6}), ("fri-mon", {4, 5, 6, 0}), ("daily", set(range(7)))],
)
def test_day_ranges(text, days):
    assert parse_days(text) == days


def test_unknown_time_zone_is_rejected():
    with pytest.raises(PolicyError, match="timeZone"):
        parse_window({"days": "mon-fri", "start": "08:00", "end": "18:00", "timeZone": "Mars/Olympus"})


def test_a_time_zone_too_long_for_a_file_name_is_rejected_not_raised():
    with pytest.raises(PolicyError, match="timeZone"):  # zoneinfo raises OSError (file name too long) for it
        parse_window({"start": "08:00", "end": "18:00", "timeZone": "Europe/" + "x" * 5000})


def test_window_is_read_in_its_own_time_zone():
    window = parse_window({"days": "mon-fri", "start": "08:00", "end": "18:00", "timeZone": "America/New_York"})

    assert window.contains(datetime(2024, 7, 1, 12, 30, tzinfo=UTC))  # Monday 08:30 EDT
    assert not window.contains(datetime(2024, 7, 1, 11, 30, tzinfo=UTC))  # Monday 07:30 EDT


def test_window_past_midnight_belongs_to_the_day_it_starts():
    window = parse_window({"days": "fri", "start": "22:00", "end": "02:00", "timeZone": "UTC"})

    assert window.contains(datetime(2024, 7, 6, 1, 0, tzinfo=UTC))  # Saturday 01:00, Friday's night
    assert not window.contains(datetime(2024, 7, 7, 1, 0, tzinfo=UTC))  # Sunday 01:00


def test_window_end_is_exclusive():
    window = parse_window({"days": "daily", "start": "08:00", "end": "18:00", "timeZone": "UTC"})

    assert window.end == 18 * 60
    assert not window.contains(datetime(2024, 7, 1, 18, 0, tzinfo=UTC))


def test_an_all_day_window_ends_at_24_00_and_covers_every_minute_of_the_day():
    window = parse_window({"days": "daily", "start": "00:00", "end": "24:00"})
    day = datetime(2024, 7, 1, tzinfo=UTC)

    assert all(window.contains(day + timedelta(minutes=minute, seconds=59)) for minute in range(24 * 60))


def test_24_00_is_only_an_end():
    with pytest.raises(PolicyError, match=r"keepWarm\.start"):
        parse_window({"start": "24:00", "end": "08:00"})
