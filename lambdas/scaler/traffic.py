"""Per-minute request sums for one app, as read from CloudWatch (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class Traffic:
    """Requests per minute (keyed by the minute's start, UTC) for one app.

    service: the app's target group (RequestCount); waker: the waker's target group (RequestCount, bots
    included); wakes: page loads and callbacks the waker classified as human (ZeroDash/WakeRequests,
    emitted by the waker). A minute without a datapoint had no requests: the ALB emits nothing for
    silent minutes. `complete` is False when CloudWatch did not answer for the target-group series
    (error or missing result): then the scaler does not know whether the app was idle and keeps it up.
    """

    service: Mapping[datetime, float] = field(default_factory=dict)
    waker: Mapping[datetime, float] = field(default_factory=dict)
    wakes: Mapping[datetime, float] = field(default_factory=dict)
    complete: bool = True

    def requests_since(self, start: datetime) -> float:
        """Activity in minutes that end after `start`: requests the app served, plus people at the waker.

        The waker target group's raw RequestCount is not activity: it counts bots and monitors, which
        must neither wake an app nor keep it awake.
        """
        return _sum_since(self.service, start) + _sum_since(self.wakes, start)

    def wakes_since(self, start: datetime) -> float:
        return _sum_since(self.wakes, start)

    def last_request(self) -> datetime | None:
        minutes = [minute for series in (self.service, self.wakes) for minute, count in series.items() if count > 0]
        return max(minutes) if minutes else None


def _sum_since(series: Mapping[datetime, float], start: datetime) -> float:
    return sum(count for minute, count in series.items() if minute + MINUTE > start)
