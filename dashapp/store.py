"""The loaded data and its loading status, shared by the layout, the callbacks and /health.

Loading runs in a background thread so the server answers (503 "loading") while a large file is read.
Readers take an immutable `DataState` snapshot, so a request never sees a half-updated store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from dashapp.data import DataLoadError

logger = logging.getLogger(__name__)


class Status(StrEnum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class DataState:
    status: Status
    frame: pd.DataFrame | None = None
    countries: tuple[str, ...] = ()
    error: str | None = None


class DataStore:
    """Thread-safe holder of the current `DataState`; `wait` lets tests and callers block until loading ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = DataState(Status.LOADING)
        self._done = threading.Event()

    def snapshot(self) -> DataState:
        with self._lock:
            return self._state

    def set_ready(self, frame: pd.DataFrame) -> None:
        countries = tuple(sorted(frame["country"].astype(str).unique()))
        self._finish(DataState(Status.READY, frame=frame, countries=countries))

    def set_failed(self, reason: str) -> None:
        self._finish(DataState(Status.FAILED, error=reason))

    def wait(self, timeout: float | None = None) -> bool:
        """True once loading has finished (ready or failed), False if `timeout` passed first."""
        return self._done.wait(timeout)

    def _finish(self, state: DataState) -> None:
        with self._lock:
            self._state = state
        self._done.set()


def load_in_background(store: DataStore, load: Callable[[], pd.DataFrame]) -> threading.Thread:
    """Run `load` in a daemon thread and record its result; no exception leaves the thread."""

    def run() -> None:
        try:
            store.set_ready(load())
        except DataLoadError as error:
            logger.error("Data not loaded: %s", error)
            store.set_failed(str(error))
        except Exception as error:  # any other failure must still end as a visible FAILED state
            logger.exception("Data not loaded: unexpected error")
            store.set_failed(f"unexpected error while loading the data ({type(error).__name__}: {error})")
        else:
            state = store.snapshot()
            logger.info("Data loaded: %d rows, %d countries", len(state.frame), len(state.countries))

    thread = threading.Thread(target=run, name="data-loader", daemon=True)
    thread.start()
    return thread
