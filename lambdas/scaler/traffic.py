"""Per-minute request counts of one app's service, as read from CloudWatch (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class Traffic:
    """Requests per minute (keyed by the minute's start, UTC) that the app's service answered.

    A minute without a datapoint had no requests, or its datapoint is not published yet: the ALB emits
    nothing for silent minutes, and publishes the others minutes late. The scaler therefore never sleeps
    on these numbers alone (see scaler/decision.py, DOZING). `complete` is False when CloudWatch did not
    answer for the series (error or missing result): then nothing can be said about idleness.
    """

    service: Mapping[datetime, float] = field(default_factory=dict)
    complete: bool = True

    def requests_since(self, start: datetime) -> float:
        """Requests in minutes that end after `start`."""
        return sum(count for minute, count in self.service.items() if minute + MINUTE > start)

    def last_request(self) -> datetime | None:
        """The end of the last minute with a request, if any."""
        minutes = [minute for minute, count in self.service.items() if count > 0]
        return max(minutes) + MINUTE if minutes else None
