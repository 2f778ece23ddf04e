"""The data state shared by page, callbacks and /health, and the background thread that fills it."""

from __future__ import annotations

import logging
import threading

import pandas as pd
import pytest

from dashapp.data import DataLoadError, Dataset
from dashapp.store import DataStore, Status, load_in_background
from tests.dashapp.helpers import LOAD_TIMEOUT_SECONDS, SAMPLE_FRAME


def test_new_store_is_loading_and_not_done() -> None:
    store = DataStore()

    assert store.snapshot().status is Status.LOADING
    assert store.wait(0) is False


def test_successful_load_makes_the_store_ready_with_sorted_countries() -> None:
    store = DataStore()

    load_in_background(store, lambda: Dataset(SAMPLE_FRAME, '"v1"'))

    assert store.wait(LOAD_TIMEOUT_SECONDS)
    state = store.snapshot()
    assert (state.status, state.countries, state.etag) == (Status.READY, ("Canada", "Chile"), '"v1"')


def test_data_load_error_marks_the_store_failed_with_its_message(caplog: pytest.LogCaptureFixture) -> None:
    store = DataStore()

    def fail() -> pd.DataFrame:
        raise DataLoadError("s3://b/k not found: upload the file or fix DATA_KEY")

    with caplog.at_level(logging.ERROR, logger="dashapp.store"):
        load_in_background(store, fail).join(LOAD_TIMEOUT_SECONDS)

    assert store.snapshot().status is Status.FAILED
    assert store.snapshot().error == "s3://b/k not found: upload the file or fix DATA_KEY"
    assert "Data not loaded: s3://b/k not found: upload the file or fix DATA_KEY" in caplog.text


def test_unexpected_exception_marks_the_store_failed_instead_of_escaping() -> None:
    store = DataStore()
    escaped: list[BaseException] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: escaped.append(args.exc_value)

    def crash() -> pd.DataFrame:
        raise MemoryError("out of memory")

    try:
        load_in_background(store, crash).join(LOAD_TIMEOUT_SECONDS)
    finally:
        threading.excepthook = previous_hook

    assert escaped == []
    assert store.snapshot().status is Status.FAILED
    assert store.snapshot().error == "unexpected error while loading the data (MemoryError: out of memory)"


def test_loading_thread_does_not_keep_the_process_alive() -> None:
    thread = load_in_background(DataStore(), lambda: Dataset(SAMPLE_FRAME, None))

    assert thread.daemon


def ready_store() -> DataStore:
    store = DataStore()
    store.set_ready(SAMPLE_FRAME, '"v1"')
    return store


def test_failure_after_a_successful_load_keeps_the_data_and_reports_the_reload_error() -> None:
    store = ready_store()
    data = store.snapshot().data

    store.set_failed("s3://b/k is not valid CSV")

    state = store.snapshot()
    assert (state.status, state.data, state.reload_error) == (Status.READY, data, "s3://b/k is not valid CSV")


def test_successful_reload_swaps_the_data_and_clears_the_reload_error() -> None:
    store = ready_store()
    store.set_failed("s3://b/k is not valid CSV")

    store.set_ready(SAMPLE_FRAME.head(2), '"v2"')

    state = store.snapshot()
    assert (state.data.rows if state.data else None, state.etag, state.reload_error) == (2, '"v2"', None)


def test_clear_reload_error_forgets_only_the_named_error() -> None:
    store = ready_store()
    store.set_failed("newer error")

    store.clear_reload_error("older error")

    assert store.snapshot().reload_error == "newer error"
