"""Amazon CloudWatch in the twin: per-minute sums published late, GetMetricData, and what is billed.

"Elastic Load Balancing reports metrics to CloudWatch only when requests are flowing through the load
balancer. If there are requests flowing through the load balancer, Elastic Load Balancing measures and
sends its metrics in 60-second intervals. If there are no requests flowing through the load balancer or no
data for a metric, the metric is not reported." (ALB CloudWatch metrics). So a minute without requests has
no datapoint. How late a minute's datapoint can be read is not documented; the twin draws it per minute
from Timings.metric_publication after the minute ends (1-3 minutes, the design notes' figure).

Custom metrics come from the Lambdas' embedded-metric-format log lines ("The CloudWatch embedded metric
format allows you to generate custom metrics asynchronously in the form of logs"), with the same delay.

GetMetricData "can retrieve as many as 500 different metrics in a single request"; metrics match on their
dimension set, whatever the order. Billing (CloudWatch pricing, via the project's price table): $0.01 per
1,000 metrics requested by GetMetricData; a custom metric is billed per hour in which it has data
($0.30 per metric-month of 730 hours).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.twin.api import Api
from tests.twin.errors import client_error

if TYPE_CHECKING:
    from tests.twin.world import World

SeriesKey = tuple[str, str, frozenset[tuple[str, str]]]


@dataclass
class Series:
    minutes: dict[int, float] = field(default_factory=dict)  # minute start (epoch s) -> sum
    published: dict[int, float] = field(default_factory=dict)  # minute start -> when it can be read


class CloudWatch(Api):
    service = "cloudwatch"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.series: dict[SeriesKey, Series] = defaultdict(Series)
        self.by_target_group: dict[str, Series] = {}
        self.metrics_requested = 0
        self.custom_metric_hours: set[tuple[SeriesKey, int]] = set()

    def count(self, namespace: str, name: str, dimensions: dict[str, str], moment: float, value: float = 1.0) -> None:
        key = (namespace, name, frozenset(dimensions.items()))
        series = self.series[key]
        minute = int(moment // 60 * 60)
        if minute not in series.minutes:
            series.minutes[minute] = 0.0
            series.published[minute] = minute + 60 + self.sim.uniform(*self.world.timings.metric_publication)
        series.minutes[minute] += value
        if "TargetGroup" in dimensions:
            self.by_target_group[dimensions["TargetGroup"]] = series
        if namespace != "AWS/ApplicationELB":
            self.custom_metric_hours.add((key, int(moment // 3600)))

    def raw_sum(self, namespace: str, name: str, target_group: str, start: float, end: float) -> float:
        """Requests of a target group in [start, end), published or not (what target tracking's alarm sees)."""
        series = self.by_target_group.get(target_group)
        if series is None:
            return 0.0
        return sum(series.minutes.get(minute, 0.0) for minute in _minutes(start, end))

    def get_metric_data(
        self,
        MetricDataQueries: list[dict[str, Any]],
        StartTime: datetime,
        EndTime: datetime,
        ScanBy: str = "TimestampDescending",
        NextToken: str | None = None,
    ) -> dict[str, Any]:
        self._call("GetMetricData")
        if len(MetricDataQueries) > 500:
            raise client_error("ValidationError", "at most 500 metrics per request", "GetMetricData")
        self.metrics_requested += len(MetricDataQueries)
        now, start, end = self.sim.time, StartTime.timestamp(), EndTime.timestamp()
        results = []
        for query in MetricDataQueries:
            metric = query["MetricStat"]["Metric"]
            dimensions = frozenset((item["Name"], item["Value"]) for item in metric.get("Dimensions", []))
            series = self.series.get((metric["Namespace"], metric["MetricName"], dimensions))
            points = []
            if series is not None:
                points = [
                    (minute, series.minutes[minute])
                    for minute in _minutes(start, end)
                    if minute in series.minutes and series.published[minute] <= now
                ]
            if ScanBy == "TimestampDescending":
                points.reverse()
            results.append(
                {
                    "Id": query["Id"],
                    "Label": metric["MetricName"],
                    "Timestamps": [datetime.fromtimestamp(minute, UTC) for minute, _ in points],
                    "Values": [value for _, value in points],
                    "StatusCode": "Complete",
                }
            )
        return {"MetricDataResults": results, "Messages": []}

    def ingest_emf(self, record: dict[str, Any], moment: float) -> None:
        """A log line in the embedded metric format becomes its metrics (dimension values from the record)."""
        block = record.get("_aws")
        if not block:
            return
        for directive in block.get("CloudWatchMetrics", []):
            for dimension_set in directive.get("Dimensions", []):
                dimensions = {name: str(record[name]) for name in dimension_set}
                for metric in directive.get("Metrics", []):
                    value = record.get(metric["Name"])
                    if isinstance(value, int | float):
                        self.count(directive["Namespace"], metric["Name"], dimensions, moment, float(value))


def _minutes(start: float, end: float) -> range:
    """The starts of the whole minutes in [start, end)."""
    first = int(-(-start // 60) * 60)
    return range(first, int(end), 60)
