"""The loaded data and its loading status, shared by the layout, the callbacks and /health.

Readers take an immutable `DataState` snapshot, so a request never sees a half-updated store; a reload
builds the new state aside and swaps it in with one assignment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import pandas as pd

from dashapp.data import DataLoadError, Dataset
from dashapp.population import PopulationData

logger = logging.getLogger(__name__)


class Status(StrEnum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class DataState:
    status: Status
    data: PopulationData | None = None
    error: str | None = None
    etag: str | None = None  # of the object the data (or the failure) came from
    reload_error: str | None = None  # the last reload's failure, while the previous data is still served

    @property
    def countries(self) -> tuple[str, ...]:
        return self.data.countries if self.data is not None else ()


class DataStore:
    """Thread-safe holder of the current `DataState`; `wait` lets tests and callers block until loading ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = DataState(Status.LOADING)
        self._done = threading.Event()

    def snapshot(self) -> DataState:
        with self._lock:
            return self._state

    def set_ready(self, frame: pd.DataFrame, etag: str | None = None) -> None:
        data = PopulationData(frame)  # indexed before the swap: readers never wait for it
        self._finish(DataState(Status.READY, data=data, etag=etag))

    def set_failed(self, reason: str, etag: str | None = None) -> None:
        """The data could not be loaded; data loaded before is kept and keeps being served."""
        with self._lock:
            previous = self._state
        if previous.status is Status.READY:
            self._finish(replace(previous, reload_error=reason))
        else:
            self._finish(DataState(Status.FAILED, error=reason, etag=etag))

    def clear_reload_error(self, reason: str) -> None:
        """Forget `reason` if it is the reload error shown (a later, different one stays)."""
        with self._lock:
            if self._state.reload_error == reason:
                self._state = replace(self._state, reload_error=None)

    def wait(self, timeout: float | None = None) -> bool:
        """True once loading has finished (ready or failed), False if `timeout` passed first."""
        return self._done.wait(timeout)

    def _finish(self, state: DataState) -> None:
        with self._lock:
            self._state = state
        self._done.set()


def load_into(store: DataStore, load: Callable[[], Dataset]) -> None:
    """Run `load` and record its result in `store`; no exception escapes, every failure becomes a reason."""
    try:
        dataset = load()
        store.set_ready(dataset.frame, dataset.etag)
    except DataLoadError as error:
        logger.error("Data not loaded: %s", error)
        store.set_failed(str(error))
    except Exception as error:  # any other failure must still end as a visible FAILED state
        logger.exception("Data not loaded: unexpected error")
        store.set_failed(f"unexpected error while loading the data ({type(error).__name__}: {error})")
    else:
        state = store.snapshot()
        logger.info("Data loaded: %d rows, %d countries", state.data.rows if state.data else 0, len(state.countries))


def load_in_background(store: DataStore, load: Callable[[], Dataset]) -> threading.Thread:
    """`load_into` in a daemon thread, so a server can answer (503 "loading") while a large file is read."""
    thread = threading.Thread(target=load_into, args=(store, load), name="data-loader", daemon=True)
    thread.start()
    return thread
