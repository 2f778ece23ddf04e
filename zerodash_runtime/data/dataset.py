"""`Dataset`: one CSV or Parquet object of the app's bucket, held in memory as a pandas DataFrame, with what the
app's `prepare` made of it.

Readers get the frame and prepared value of the last good version; a load reads the frame, runs `prepare` on it,
and swaps both in with one assignment (a reader never sees a new frame with an old prepared value). A failed
load, be it the read or `prepare`, keeps the previous version (its reason shown in `state.error` and /health).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from zerodash_runtime.data import limits, s3
from zerodash_runtime.data.readers import SUFFIXES, read_frame
from zerodash_runtime.data.state import DataLoadError, DataNotReady, DataState, Status
from zerodash_runtime.settings import RuntimeSettings

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

CHECK_FAILED = "cannot check for a new version"


@dataclass(frozen=True, slots=True)
class _Version:
    """What one successful load made: swapped in whole, so the frame and the prepared value always match."""

    frame: pd.DataFrame
    prepared: Any


class Dataset:
    """s3://BUCKET_NAME/DATA_PREFIX + `key`, keeping only `columns` (all when None); registers itself so the
    runtime loads it before serving and reloads it when the object changes.

    `prepare`, when given, is called with each new frame as part of its load: in gunicorn's master before the
    workers fork (so they share the result instead of each building it on its first requests), then in the
    reloader thread for each new version. `prepared()` returns its result. If `prepare` raises, the version
    counts as not loaded, exactly like a file that cannot be read: FAILED with "<key>: <message>" on the first
    load (/health 503), the previous frame and prepared value kept on a reload (the reason in `state.error`).

        sales = Dataset("sales.csv", columns=["region", "amount"], prepare=lambda df: df.groupby("region").sum())
        totals = sales.prepared()  # the per-region totals of the frame sales.frame() returns
    """

    def __init__(
        self,
        key: str,
        columns: Sequence[str] | None = None,
        prepare: Callable[[pd.DataFrame], Any] | None = None,
    ) -> None:
        if not key.endswith(SUFFIXES):
            raise ValueError(f"Dataset key {key!r} must end with one of {', '.join(SUFFIXES)}")
        if prepare is not None and not callable(prepare):
            raise TypeError(f"Dataset {key!r}: prepare must be a function of the DataFrame, not {prepare!r}")
        self.key = key.lstrip("/")
        self.columns = tuple(columns) if columns is not None else None
        self.prepare = prepare
        self._state = DataState()
        self._version: _Version | None = None  # the last good load; None until one succeeds
        self._tried: str | None = None  # ETag of the version last tried: a bad version is read once, not forever
        self._attempted = False
        self._load_lock = threading.Lock()
        REGISTRY.add(self)

    def __repr__(self) -> str:
        return f"Dataset({self.key!r}, status={self._state.status})"

    @property
    def state(self) -> DataState:
        return self._state

    def frame(self) -> pd.DataFrame:
        """The current DataFrame. Raises DataNotReady while it loads or when it could not be loaded.

        Outside the runtime (`python app.py`, a notebook) the first call loads it, blocking."""
        return self._current().frame

    def prepared(self) -> Any:
        """What `prepare` returned for the current frame; raises DataNotReady like `frame()`.

        A reload may land between two calls: when the prepared value and the frame must match, take both from
        the prepared value (have `prepare` keep what it needs of the frame)."""
        if self.prepare is None:
            raise TypeError(f"Dataset {self.key!r} has no prepare function: pass prepare= to use prepared()")
        return self._current().prepared

    def _current(self) -> _Version:
        if not self._attempted:
            with self._load_lock:
                if not self._attempted:
                    self._load_locked()
        version, state = self._version, self._state
        if version is not None:
            return version
        if state.status is Status.FAILED:
            raise DataNotReady(f"{self.key} could not be loaded: {state.error}")
        raise DataNotReady(f"{self.key} is still loading")

    def load(self) -> DataState:
        """Read the object now (blocking) and swap the result in; never raises, a failure becomes the state."""
        with self._load_lock:
            return self._load_locked()

    def reload_if_changed(self) -> DataState:
        """Reload when the object's ETag differs from the version last tried (a HEAD request otherwise)."""
        try:
            etag = s3.object_etag(RuntimeSettings.from_env().bucket_name, self.s3_key)
        except DataLoadError as error:
            return self._record_failure(f"{CHECK_FAILED}: {error}")
        check_failed = bool(self._state.error and self._state.error.startswith(CHECK_FAILED))
        if etag == self._tried and not (check_failed and self._version is None):
            if check_failed:
                self._state = replace(self._state, error=None)  # the check works again; the data never stopped
            return self._state
        logger.info("%s changed (ETag %s): reloading", self.key, etag)
        return self.load()

    @property
    def s3_key(self) -> str:
        return RuntimeSettings.from_env().data_prefix + self.key

    def _load_locked(self) -> DataState:
        self._attempted = True
        settings = RuntimeSettings.from_env()
        key = settings.data_prefix + self.key
        etag = None
        try:
            with s3.open_object(settings.bucket_name, key) as (body, etag, size):
                frame = read_frame(body, key, f"s3://{settings.bucket_name}/{key}", self.columns, size)
        except DataLoadError as error:
            self._tried = etag
            return self._record_failure(str(error))
        except Exception as error:  # any other failure must still end as a visible state, not a dead worker
            logger.exception("%s: unexpected error while loading", self.key)
            self._tried = etag
            return self._record_failure(f"unexpected error while loading ({type(error).__name__}: {error})")
        self._tried = etag  # a version prepare rejects is not read again either, until the object changes
        prepared = None
        if self.prepare is not None:
            try:
                prepared = self.prepare(frame)
            except Exception as error:  # the app's code: whatever it raises is this version's failure
                logger.warning("%s: prepare raised", self.key, exc_info=True)
                return self._record_failure(f"{self.key}: {str(error) or type(error).__name__}")
        warnings = limits.bounded_list([*_frame_warnings(frame), *_prepared_warnings(prepared)])
        replaced = self._version is not None
        self._version = _Version(frame, prepared)  # one assignment: a reader sees the old version or the new one
        self._state = DataState(
            Status.READY, etag=etag, loaded_at=datetime.now(UTC), rows=len(frame), warnings=warnings
        )
        logger.info("%s loaded: %d rows, ETag %s", self.key, len(frame), etag)
        for warning in warnings:  # once per version: a version is loaded once
            logger.warning("%s (ETag %s): %s", self.key, etag, warning)
        if replaced:
            del frame, prepared
            _release_memory()
        return self._state

    def _record_failure(self, reason: str) -> DataState:
        reason = limits.bounded(reason)  # a 20,000-column header or a 200 MB line must not become the reason
        logger.error("%s not loaded: %s", self.key, reason)
        if self._version is not None:
            self._state = replace(self._state, error=reason)  # keep serving the previous version
        else:
            self._state = DataState(Status.FAILED, error=reason)
        return self._state


def _frame_warnings(frame: pd.DataFrame) -> list[str]:
    """What any app would want to know about values that loaded: infinities and true/false columns."""
    import numpy as np
    import pandas as pd

    found = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column):
            found.append(f"column {name} holds true/false values, which count as 1 and 0 where numbers are expected")
        elif pd.api.types.is_float_dtype(column):
            infinite = int(np.isinf(column.to_numpy()).sum())
            if infinite:
                found.append(f"column {name} has {infinite:,} infinite value(s) (inf), which cannot be drawn")
    return found


def _prepared_warnings(prepared: Any) -> list[str]:
    """The app's own findings: a `warnings` attribute of what `prepare` returned (a sequence of text), if any."""
    found = getattr(prepared, "warnings", None)
    if isinstance(found, str) or not isinstance(found, Sequence):
        return []
    return [str(item) for item in found]


def _release_memory() -> None:
    """After a swap, free the replaced version now (cycles included) and hand its pages back to the system, so the
    process stays near its first load's size instead of keeping the freed heap."""
    import gc

    from zerodash_runtime.memory import release_free_memory

    gc.collect()
    release_free_memory()


class Registry:
    """Every Dataset the app created, in creation order."""

    def __init__(self) -> None:
        self._datasets: list[Dataset] = []
        self._lock = threading.Lock()

    def add(self, dataset: Dataset) -> None:
        with self._lock:
            self._datasets.append(dataset)

    def all(self) -> tuple[Dataset, ...]:
        with self._lock:
            return tuple(self._datasets)

    def clear(self) -> None:
        """Forget every dataset (tests; a runtime process has one app for its whole life)."""
        with self._lock:
            self._datasets.clear()


REGISTRY = Registry()
