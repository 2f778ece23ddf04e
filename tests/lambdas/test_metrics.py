"""Building the one batched GetMetricData request and reading its results."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from common.apps import parse_app
from scaler.metrics import batches, build_queries, parse_results, query_window

ACCOUNT = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
NOW = datetime(2024, 5, 15, 3, 0, 42, tzinfo=UTC)


def app(name: str, idle: int = 15):
    return parse_app(
        {
            "name": name,
            "cluster": "zd",
            "service": name,
            "ruleArn": f"{ACCOUNT}:listener-rule/app/zd-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
            "serviceTargetGroupArn": f"{ACCOUNT}:targetgroup/{name}-svc/73e2d6bc24d8a067",
            "wakerTargetGroupArn": f"{ACCOUNT}:targetgroup/{name}-wkr/0123456789abcdef",
            "idleMinutes": idle,
        }
    )


APPS = (app("sales"), app("ops", idle=30))


def test_one_query_per_app_with_valid_unique_ids():
    ids = [query["Id"] for query in build_queries(APPS)]

    assert all(re.fullmatch(r"[a-z][a-zA-Z0-9_]*", query) for query in ids)
    assert len(set(ids)) == len(ids) == len(APPS)


def test_target_group_queries_use_the_dimensions_derived_from_the_arns():
    query = build_queries(APPS)[0]["MetricStat"]

    assert query["Metric"]["Dimensions"] == [
        {"Name": "LoadBalancer", "Value": "app/zd-alb/50dc6c495c0c9188"},
        {"Name": "TargetGroup", "Value": "targetgroup/sales-svc/73e2d6bc24d8a067"},
    ]
    assert (query["Period"], query["Stat"]) == (60, "Sum")


def test_window_covers_the_longest_idle_window_up_to_the_end_of_the_current_minute():
    window = query_window(APPS, NOW)

    assert window.end == datetime(2024, 5, 15, 3, 1, tzinfo=UTC)
    assert window.end - window.start >= timedelta(minutes=31)


def test_more_than_500_queries_are_split_into_several_calls():
    many = tuple(app(f"app{index}") for index in range(600))

    sizes = [len(batch) for batch in batches(build_queries(many))]

    assert sizes == [500, 100]


def test_a_query_answered_without_datapoints_means_zero_requests():
    results = [
        {"Id": query["Id"], "Timestamps": [], "Values": [], "StatusCode": "Complete"} for query in build_queries(APPS)
    ]

    traffic = parse_results(APPS, results)["sales"]

    assert traffic.complete
    assert traffic.requests_since(NOW - timedelta(days=1)) == 0


def test_datapoints_from_several_pages_are_merged_per_minute():
    minute = datetime(2024, 5, 15, 2, 58, tzinfo=UTC)
    pages = [
        {"Id": "a0_svc", "Timestamps": [minute], "Values": [3.0], "StatusCode": "PartialData"},
        {"Id": "a0_svc", "Timestamps": [minute + timedelta(minutes=1)], "Values": [2.0], "StatusCode": "Complete"},
    ]

    traffic = parse_results(APPS, pages)["sales"]

    assert traffic.service == {minute: 3.0, minute + timedelta(minutes=1): 2.0}


def test_an_error_status_leaves_that_apps_traffic_incomplete():
    results = [
        {"Id": query["Id"], "Timestamps": [], "Values": [], "StatusCode": "Complete"} for query in build_queries(APPS)
    ]
    results[0]["StatusCode"] = "InternalError"

    traffic = parse_results(APPS, results)

    assert not traffic["sales"].complete
    assert traffic["ops"].complete


def test_a_query_missing_from_the_results_leaves_that_apps_traffic_incomplete():
    traffic = parse_results(APPS, [])

    assert not traffic["sales"].complete
