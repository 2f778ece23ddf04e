"""What the scaler, the waker and the CLI remember between runs: tags on the app's ECS service (pure).

Everything else is read live (desired count, rule, target health). These marks are the only state, each
written by whoever made the change it records:

    zerodash:awake-since        a wake from zero started (waker, scaler, CLI); the minimum awake time and
                                the wake's time bound count from it
    zerodash:asleep-since       the app was put to sleep (scaler, CLI)
    zerodash:dozing-since       the rule went to the waker while the tasks still run (scaler): the first
                                phase of sleep
    zerodash:visited-at         a person reached the waker while the app dozed and was sent back (waker);
                                counts as activity at once, minutes before CloudWatch publishes it
    zerodash:wake-failed        a wake did not finish within its bound: "<time> <task definition> <reason>"
    zerodash:verified-task-def  the task definition that last served healthy ("family:revision")

ECS tag values allow letters, digits, spaces and `+ - = . _ : / @`, at most 256 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

AWAKE_SINCE = "zerodash:awake-since"
ASLEEP_SINCE = "zerodash:asleep-since"
DOZING_SINCE = "zerodash:dozing-since"
VISITED_AT = "zerodash:visited-at"
WAKE_FAILED = "zerodash:wake-failed"
VERIFIED = "zerodash:verified-task-def"

TAG_VALUE_LIMIT = 256
_NOT_ALLOWED_IN_TAGS = re.compile(r"[^A-Za-z0-9 +\-=._:/@]+")


@dataclass(frozen=True)
class WakeFailure:
    at: datetime
    task_definition: str  # "family:revision" of the tasks that failed
    reason: str


@dataclass(frozen=True, kw_only=True)
class Marks:
    awake_since: datetime | None = None
    asleep_since: datetime | None = None
    dozing_since: datetime | None = None
    visited_at: datetime | None = None
    wake_failure: WakeFailure | None = None
    verified_task_definition: str | None = None

    @property
    def dozing(self) -> datetime | None:
        """dozing-since, unless a wake, a visit or a sleep came after it (then the app is not dozing)."""
        if self.dozing_since is None:
            return None
        later = [moment for moment in (self.awake_since, self.visited_at, self.asleep_since) if moment is not None]
        return self.dozing_since if all(self.dozing_since > moment for moment in later) else None

    @property
    def wake_started(self) -> datetime | None:
        """When the current wake began: the latest wake or visit, unless a sleep came after it.

        A visit to a dozing app counts as a wake: from then on the app is WAKING until the rule is back on
        the service, and the wake's bound counts from the visit.
        """
        starts = [moment for moment in (self.awake_since, self.visited_at) if moment is not None]
        if not starts:
            return None
        started = max(starts)
        if self.asleep_since is not None and self.asleep_since >= started:
            return None
        return started


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def tag_value(text: str) -> str:
    """`text` with what ECS refuses in a tag value replaced by spaces, cut to the limit."""
    return _NOT_ALLOWED_IN_TAGS.sub(" ", text).strip()[:TAG_VALUE_LIMIT]


def wake_failure_value(failure: WakeFailure) -> str:
    return tag_value(f"{format_time(failure.at)} {failure.task_definition} {failure.reason}")


def short_task_definition(arn: str) -> str:
    """ "arn:...:task-definition/family:12" -> "family:12" (a tag value fits it, and people read it)."""
    return arn.rsplit("/", 1)[-1]


def read_marks(tags: Iterable[Mapping[str, Any]]) -> Marks:
    """Marks from DescribeServices' `tags` ([{"key": ..., "value": ...}]); unreadable values are ignored."""
    values = {str(tag.get("key")): str(tag.get("value", "")) for tag in tags}
    return Marks(
        awake_since=parse_time(values.get(AWAKE_SINCE)),
        asleep_since=parse_time(values.get(ASLEEP_SINCE)),
        dozing_since=parse_time(values.get(DOZING_SINCE)),
        visited_at=parse_time(values.get(VISITED_AT)),
        wake_failure=_parse_failure(values.get(WAKE_FAILED)),
        verified_task_definition=values.get(VERIFIED) or None,
    )


def _parse_failure(value: str | None) -> WakeFailure | None:
    if not value:
        return None
    at, _, rest = value.partition(" ")
    task_definition, _, reason = rest.partition(" ")
    moment = parse_time(at)
    if moment is None:
        return None
    return WakeFailure(at=moment, task_definition=task_definition, reason=reason)
