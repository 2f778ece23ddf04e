"""Reloading the data when its S3 object changes (moto): swapped without restart, kept on a failed reload."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dashapp.data import REQUIRED_COLUMNS, Dataset, fetch_dataset, object_etag
from dashapp.reloader import watch_for_changes
from dashapp.store import DataState, DataStore, Status, load_into
from tests.dashapp.helpers import BUCKET, SAMPLE_FRAME, csv_bytes

KEY = "gapminder.csv"
INTERVAL_SECONDS = 0.02
WAIT_SECONDS = 5.0


def load() -> Dataset:
    return fetch_dataset(BUCKET, KEY, columns=REQUIRED_COLUMNS)


def eventually(store: DataStore, condition: Callable[[DataState], bool]) -> DataState:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition(state := store.snapshot()):
            return state
        time.sleep(INTERVAL_SECONDS)
    raise AssertionError(f"condition not met; last state {store.snapshot()}")


@pytest.fixture
def watched(s3: Any) -> Iterator[DataStore]:
    """A store loaded from the bucket's CSV, with a reloader checking it every INTERVAL_SECONDS."""
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=csv_bytes())
    store = DataStore()
    load_into(store, load)
    stop = threading.Event()
    watch_for_changes(
        store, current_etag=lambda: object_etag(BUCKET, KEY), load=load, interval_seconds=INTERVAL_SECONDS, stop=stop
    )
    yield store
    stop.set()


def test_new_version_of_the_object_is_swapped_in(s3: Any, watched: DataStore) -> None:
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=csv_bytes(SAMPLE_FRAME[SAMPLE_FRAME["country"] == "Chile"]))

    state = eventually(watched, lambda state: state.countries == ("Chile",))

    assert (state.status, state.reload_error) == (Status.READY, None)


def test_bad_new_version_keeps_the_old_data_and_reports_the_reload_error(s3: Any, watched: DataStore) -> None:
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"country,year\nCanada,1952\n")

    state = eventually(watched, lambda state: state.reload_error is not None)

    assert (state.status, state.countries) == (Status.READY, ("Canada", "Chile"))
    assert "lacks the column(s) pop" in (state.reload_error or "")


def test_deleted_object_keeps_the_old_data_and_reports_it(s3: Any, watched: DataStore) -> None:
    s3.delete_object(Bucket=BUCKET, Key=KEY)

    state = eventually(watched, lambda state: state.reload_error is not None)

    assert (state.status, state.countries) == (Status.READY, ("Canada", "Chile"))
    assert "not found: upload the file or fix DATA_KEY" in (state.reload_error or "")


def test_fixed_version_after_a_bad_one_is_swapped_in_and_clears_the_error(s3: Any, watched: DataStore) -> None:
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"country,year\nCanada,1952\n")
    eventually(watched, lambda state: state.reload_error is not None)

    s3.put_object(Bucket=BUCKET, Key=KEY, Body=csv_bytes(SAMPLE_FRAME.head(2)))

    state = eventually(watched, lambda state: state.data is not None and state.data.rows == 2)
    assert state.reload_error is None


def test_failed_first_load_recovers_once_the_object_is_uploaded(s3: Any) -> None:
    store = DataStore()
    load_into(store, load)
    assert store.snapshot().status is Status.FAILED
    stop = threading.Event()
    watch_for_changes(
        store, current_etag=lambda: object_etag(BUCKET, KEY), load=load, interval_seconds=INTERVAL_SECONDS, stop=stop
    )
    try:
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=csv_bytes())

        state = eventually(store, lambda state: state.status is Status.READY)
    finally:
        stop.set()

    assert state.countries == ("Canada", "Chile")


def test_unchanged_object_is_not_loaded_again(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=csv_bytes())
    store = DataStore()
    load_into(store, load)
    loads: list[None] = []
    checks = threading.Semaphore(0)

    def counting_etag() -> str:
        checks.release()
        return object_etag(BUCKET, KEY)

    stop = threading.Event()
    watch_for_changes(
        store,
        current_etag=counting_etag,
        load=lambda: loads.append(None) or load(),  # type: ignore[func-returns-value]
        interval_seconds=INTERVAL_SECONDS,
        stop=stop,
    )
    try:
        for _ in range(3):
            assert checks.acquire(timeout=WAIT_SECONDS)
    finally:
        stop.set()

    assert loads == []


def test_zero_interval_disables_reloading() -> None:
    thread = watch_for_changes(DataStore(), current_etag=lambda: "", load=load, interval_seconds=0)

    assert thread is None
