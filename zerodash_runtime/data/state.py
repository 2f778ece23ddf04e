"""A dataset's loading state: plain values, no pandas, so /health and the registry cost nothing to import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class DataState:
    status: Status = Status.LOADING
    error: str | None = None  # FAILED: why; READY: why the last reload failed (the previous version is served)
    etag: str | None = None  # of the object the served data came from
    loaded_at: datetime | None = None  # when the served data was loaded (UTC)
    rows: int | None = None
    # READY: what looks wrong in the served version although it loaded (duplicates, inf, negative values...), as
    # the app's `prepare` and the runtime's own checks found it; logged once per version and shown on /health.
    warnings: tuple[str, ...] = ()


class DataLoadError(Exception):
    """The data could not be loaded; the message says what failed and what to fix."""


class DataNotReady(Exception):
    """`Dataset.frame()` has no data to give yet (still loading) or could not load it (the message says why)."""
