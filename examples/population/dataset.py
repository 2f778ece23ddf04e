"""The dashboard's data: one table from the app's data directory, loaded and indexed by the runtime.

The runtime's `Dataset` reads s3://BUCKET_NAME/DATA_PREFIX + DATA_FILE (the app's data/ directory is uploaded
there on deploy), keeps it in memory and reloads it when the object changes. Its `prepare` builds the
per-country index (PopulationData) as part of each load: in gunicorn's master before the workers fork, then in
the reloader thread for a new version, so no callback ever waits for it. A table the chart cannot draw makes
PopulationData raise, which the runtime counts as a failed load (the reason on the page and in /health).
This module turns the dataset's state into what the page shows: the index, or why there is none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from zerodash_runtime.data import DataNotReady, Dataset, Status

from population import PopulationData

COLUMNS = ("country", "year", "pop")
# A CSV or Parquet file of the app's data/ directory; set DATA_FILE in the app's `environment` to use another.
DATA_FILE = os.environ.get("DATA_FILE", "").strip() or "gapminder.csv"

gapminder = Dataset(DATA_FILE, columns=list(COLUMNS), prepare=PopulationData)


@dataclass(frozen=True)
class DataState:
    """What the page and the callbacks draw from: the index when READY, the reason when FAILED (the runtime's
    Status: LOADING, READY, FAILED)."""

    status: Status
    data: PopulationData | None = None
    error: str | None = None

    @property
    def countries(self) -> tuple[str, ...]:
        return self.data.countries if self.data is not None else ()


def state_of(dataset: Dataset) -> DataState:
    """The index `dataset` prepared for its current version, else why there is none (loading, or failed)."""
    try:
        return DataState(Status.READY, data=dataset.prepared())
    except DataNotReady:
        # No version yet: still loading, or the first load failed (a failed reload keeps the previous version).
        state = dataset.state
        if state.status is Status.FAILED:
            return DataState(Status.FAILED, error=state.error or "unknown error")
        return DataState(Status.LOADING)


def snapshot() -> DataState:
    """The data state for one page load or callback."""
    return state_of(gapminder)
