"""One batched CloudWatch GetMetricData request for the apps that are up, and its results as Traffic.

Per app one query: RequestCount of the service's target group (AWS/ApplicationELB, dimensions
LoadBalancer + TargetGroup, Sum over 60 s). GetMetricData is billed per metric requested ($0.01 per
1,000), so the scaler asks only for apps that are awake or dozing: a sleeping app's service answers no
requests, and a person at its waker is seen at once through the marks (common/marks.py). A call takes
at most 500 metrics, so up to 500 apps share one call; more are split into several calls.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from common.apps import AppSpec
from common.paging import chunks, pages
from scaler.traffic import Traffic

MAX_QUERIES_PER_CALL = 500
QUERIES_PER_APP = 1
# Minutes read before the longest idle window, so the last request before it is seen too (for the log).
EXTRA_MINUTES = 3

_OK_STATUSES = {"Complete", "PartialData"}


@dataclass(frozen=True, kw_only=True)
class QueryWindow:
    start: datetime
    end: datetime


def floor_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def query_window(apps: Sequence[AppSpec], now: datetime) -> QueryWindow:
    """From the start of the longest idle window (plus a margin) to the end of the current minute."""
    lookback = max(app.policy.idle_minutes for app in apps) + EXTRA_MINUTES
    current = floor_minute(now)
    return QueryWindow(start=current - timedelta(minutes=lookback), end=current + timedelta(minutes=1))


def query_id(index: int, series: str) -> str:
    """GetMetricData ids must start with a lowercase letter and use only letters, digits and _."""
    return f"a{index}_{series}"


def _request_count(lb: str, tg: str) -> dict[str, Any]:
    return {
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "RequestCount",
        # moto matches dimensions in the order they were put; AWS does not care. Tests put them in this order.
        "Dimensions": [{"Name": "LoadBalancer", "Value": lb}, {"Name": "TargetGroup", "Value": tg}],
    }


def _query(query: str, metric: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Id": query,
        "MetricStat": {"Metric": dict(metric), "Period": 60, "Stat": "Sum"},
        "ReturnData": True,
    }


def build_queries(apps: Sequence[AppSpec]) -> list[dict[str, Any]]:
    return [
        _query(query_id(index, "svc"), _request_count(app.load_balancer_dimension, app.service_target_group_dimension))
        for index, app in enumerate(apps)
    ]


def batches(queries: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [list(batch) for batch in chunks(queries, MAX_QUERIES_PER_CALL)]


def parse_results(apps: Sequence[AppSpec], results: Iterable[Mapping[str, Any]]) -> dict[str, Traffic]:
    """Merge MetricDataResults (from every page and call) into Traffic per app name.

    A result with no datapoints means no requests (the ALB is silent in idle minutes). A query with no
    result at all, or one CloudWatch answered with an error status, leaves that app's traffic incomplete.
    """
    series: dict[str, dict[datetime, float]] = defaultdict(dict)
    answered: set[str] = set()
    failed: set[str] = set()
    for result in results:
        query = str(result["Id"])
        answered.add(query)
        if result.get("StatusCode", "Complete") not in _OK_STATUSES:
            failed.add(query)
        points = series[query]
        for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
            minute = floor_minute(stamp)
            points[minute] = points.get(minute, 0.0) + float(value)

    traffic: dict[str, Traffic] = {}
    for index, app in enumerate(apps):
        query = query_id(index, "svc")
        complete = query in answered and query not in failed
        traffic[app.name] = Traffic(service=dict(series.get(query, {})), complete=complete)
    return traffic


def fetch_traffic(cloudwatch: Any, apps: Sequence[AppSpec], start: datetime, end: datetime) -> dict[str, Traffic]:
    """Every app's traffic from [start, end): one GetMetricData call per MAX_QUERIES_PER_CALL queries, all pages."""
    if not apps:
        return {}
    results = [
        result
        for batch in batches(build_queries(apps))
        for page in pages(
            cloudwatch.get_metric_data,
            MetricDataQueries=batch,
            StartTime=start,
            EndTime=end,
            ScanBy="TimestampAscending",
        )
        for result in page.get("MetricDataResults", [])
    ]
    return parse_results(apps, results)
