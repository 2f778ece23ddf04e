"""The data library: datasets read from the app's bucket with boto3 (moto here), reloaded when they change."""

from __future__ import annotations

import gzip
import io
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from zerodash_runtime.data import DataNotReady, Dataset, Status, datasets, load_all, readers, start_reloaders

BUCKET = "zerodash-test-data"
CSV = "country,year,pop\nFrance,2000,60\nFrance,2001,61\n"


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An S3 bucket with the app's data under "sales/", and the environment the runtime gives the app."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BUCKET_NAME": BUCKET,
        "DATA_PREFIX": "sales/",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


def put(s3: Any, key: str, body: bytes | str) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"sales/{key}", Body=body.encode() if isinstance(body, str) else body)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def test_a_csv_dataset_loads_from_the_apps_prefix(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    dataset = Dataset("gapminder.csv")

    state = dataset.load()

    assert (state.status, state.rows, state.error) == (Status.READY, 2, None)
    assert state.etag and state.loaded_at
    assert list(dataset.frame()["pop"]) == [60, 61]


def test_only_the_requested_columns_are_kept(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)

    dataset = Dataset("gapminder.csv", columns=["pop", "country"])
    dataset.load()

    assert list(dataset.frame().columns) == ["pop", "country"]


def test_a_parquet_dataset_loads_by_its_extension(bucket: Any) -> None:
    put(bucket, "table.parquet", parquet_bytes(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})))
    dataset = Dataset("table.parquet", columns=["b"])

    dataset.load()

    assert dataset.frame().to_dict("list") == {"b": ["x", "y", "z"]}


def test_a_missing_column_fails_with_what_was_found(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    dataset = Dataset("gapminder.csv", columns=["gdp"])

    state = dataset.load()

    assert state.status is Status.FAILED
    assert state.error == (
        f"s3://{BUCKET}/sales/gapminder.csv lacks the column(s) gdp (found: country, year, pop): "
        "fix the file or the Dataset's columns"
    )


def test_a_missing_object_fails_and_frame_says_why(bucket: Any) -> None:
    dataset = Dataset("absent.csv")
    dataset.load()

    with pytest.raises(DataNotReady, match=r"absent\.csv could not be loaded: .*not found"):
        dataset.frame()


# A row with more fields than the header fails the load, with or without a choice of columns (pandas skips its
# field-count check when told which columns to keep, so the reader does not tell it).
TOO_MANY_FIELDS = "country,year,pop\nFrance,2000,60\nFrance,2001,61,62\nFrance,2002,63\n"


@pytest.mark.parametrize("columns", [None, ["country", "pop"]])
@pytest.mark.parametrize("key", ["gapminder.csv", "gapminder.csv.gz"])
def test_a_row_with_too_many_fields_fails_with_its_line(bucket: Any, key: str, columns: list[str] | None) -> None:
    body = TOO_MANY_FIELDS.encode()
    put(bucket, key, gzip.compress(body) if key.endswith(".gz") else body)
    dataset = Dataset(key, columns=columns)

    state = dataset.load()

    assert state.status is Status.FAILED
    assert state.error == (
        f"s3://{BUCKET}/sales/{key} is not valid CSV (line 3: expected 3 fields, saw 4): "
        "fix the file and upload it again"
    )


def test_a_row_with_too_many_fields_past_the_first_chunk_fails_too(
    bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "CSV_CHUNK_ROWS", 2)
    put(bucket, "gapminder.csv", "country,year,pop\n" + "France,2000,60\n" * 5 + "France,2001,61,62,63\n")

    state = Dataset("gapminder.csv", columns=["pop"]).load()

    assert state.error and "(line 7: expected 3 fields, saw 5)" in state.error


def test_a_first_data_row_with_too_many_fields_fails_too(bucket: Any) -> None:
    # pandas would take the extra leading field as an index and shift every column by one
    put(bucket, "gapminder.csv", "country,year,pop\nFrance,2000,60,1\nFrance,2001,61\n")

    state = Dataset("gapminder.csv", columns=["country", "pop"]).load()

    assert state.error == (
        f"s3://{BUCKET}/sales/gapminder.csv is not valid CSV (first data row: expected 3 fields, saw 4): "
        "fix the file and upload it again"
    )


def test_a_csv_read_in_several_chunks_is_whole_and_keeps_its_types(
    bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "CSV_CHUNK_ROWS", 2)
    put(
        bucket,
        "gapminder.csv",
        "country,continent,year,pop\n" + "".join(f"C{n},Europe,{2000 + n},{n}\n" for n in range(5)),
    )
    dataset = Dataset("gapminder.csv", columns=["country", "pop"])

    assert dataset.load().rows == 5
    frame = dataset.frame()
    assert frame.to_dict("list") == {"country": [f"C{n}" for n in range(5)], "pop": list(range(5))}
    assert (list(frame.index), frame["pop"].dtype.kind) == (list(range(5)), "i")


def test_a_header_without_rows_loads_as_an_empty_frame(bucket: Any) -> None:
    put(bucket, "gapminder.csv", "country,year,pop\n")
    dataset = Dataset("gapminder.csv", columns=["pop"])

    assert (dataset.load().rows, list(dataset.frame().columns)) == (0, ["pop"])


def test_frame_before_any_load_loads_it_on_first_use(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)

    assert len(Dataset("gapminder.csv").frame()) == 2


def test_a_key_that_is_neither_csv_nor_parquet_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match=r"must end with one of \.csv, \.csv\.gz, \.parquet"):
        Dataset("data.xlsx")


def test_datasets_register_themselves_and_load_all_loads_them(bucket: Any) -> None:
    put(bucket, "a.csv", CSV)
    put(bucket, "b.csv", CSV)
    first, second = Dataset("a.csv"), Dataset("b.csv")

    load_all()

    assert datasets() == (first, second)
    assert (first.state.status, second.state.status) == (Status.READY, Status.READY)


def test_a_changed_object_is_reloaded(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    dataset = Dataset("gapminder.csv")
    dataset.load()
    put(bucket, "gapminder.csv", CSV + "France,2002,62\n")

    state = dataset.reload_if_changed()

    assert state.rows == 3
    assert state.etag == bucket.head_object(Bucket=BUCKET, Key="sales/gapminder.csv")["ETag"]


def test_an_unchanged_object_is_not_read_again(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    dataset = Dataset("gapminder.csv")
    loaded_at = dataset.load().loaded_at

    assert dataset.reload_if_changed().loaded_at == loaded_at


def test_a_failed_reload_keeps_serving_the_previous_version_and_says_why(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    dataset = Dataset("gapminder.csv", columns=["country", "pop"])
    dataset.load()
    put(bucket, "gapminder.csv", "country,year\nSpain,2000\n")  # lost its pop column

    state = dataset.reload_if_changed()

    assert (state.status, state.rows) == (Status.READY, 2)
    assert state.error and "lacks the column(s) pop" in state.error
    assert list(dataset.frame()["pop"]) == [60, 61]


def test_a_fixed_upload_after_a_failed_first_load_recovers(bucket: Any) -> None:
    put(bucket, "gapminder.csv", "")
    dataset = Dataset("gapminder.csv")
    assert dataset.load().status is Status.FAILED
    put(bucket, "gapminder.csv", CSV)

    state = dataset.reload_if_changed()

    assert (state.status, state.error) == (Status.READY, None)


def test_without_a_bucket_the_reason_names_bucket_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUCKET_NAME", raising=False)

    state = Dataset("gapminder.csv").load()

    assert state.error == "BUCKET_NAME is not set, so gapminder.csv cannot be read: set it to the app's data bucket"


# --- prepare: what the app builds from each version, at load time --------------------------------------------


class Recorder:
    """A prepare function that counts its calls and returns (frame, total pop), or raises `failure` when set."""

    def __init__(self) -> None:
        self.calls = 0
        self.failure: Exception | None = None

    def __call__(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return frame, int(frame["pop"].sum())


def test_prepare_runs_once_at_load_and_prepared_returns_its_result(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    prepare = Recorder()
    dataset = Dataset("gapminder.csv", prepare=prepare)

    state = dataset.load()
    assert prepare.calls == 1  # at load, not on first use

    frame, total = dataset.prepared()
    assert (state.status, total) == (Status.READY, 121)
    assert frame is dataset.frame()
    dataset.prepared()
    assert prepare.calls == 1


def test_load_all_runs_prepare_before_returning(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    prepare = Recorder()
    Dataset("gapminder.csv", prepare=prepare)

    load_all()

    assert prepare.calls == 1


def test_prepare_that_raises_on_the_first_load_fails_it_with_the_key_and_message(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    prepare = Recorder()
    prepare.failure = ValueError("pop must be positive")
    dataset = Dataset("gapminder.csv", prepare=prepare)

    state = dataset.load()

    assert (state.status, state.error, state.rows) == (Status.FAILED, "gapminder.csv: pop must be positive", None)
    with pytest.raises(DataNotReady, match=r"gapminder\.csv could not be loaded: gapminder\.csv: pop must be positive"):
        dataset.prepared()
    with pytest.raises(DataNotReady, match="pop must be positive"):
        dataset.frame()


def test_prepare_that_raises_without_a_message_is_named_by_its_type(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    prepare = Recorder()
    prepare.failure = KeyError()

    assert Dataset("gapminder.csv", prepare=prepare).load().error == "gapminder.csv: KeyError"


def test_a_reload_swaps_the_frame_and_the_prepared_value_together(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    dataset = Dataset("gapminder.csv", prepare=Recorder())
    dataset.load()
    put(bucket, "gapminder.csv", CSV + "France,2002,62\n")

    state = dataset.reload_if_changed()

    frame, total = dataset.prepared()
    assert (state.rows, total, len(frame)) == (3, 183, 3)
    assert frame is dataset.frame()


def test_prepare_that_raises_on_a_reload_keeps_the_previous_version_and_says_why(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    prepare = Recorder()
    dataset = Dataset("gapminder.csv", prepare=prepare)
    dataset.load()
    before = dataset.prepared()
    put(bucket, "gapminder.csv", CSV + "France,2002,-1\n")
    prepare.failure = ValueError("pop must be positive")

    state = dataset.reload_if_changed()

    assert (state.status, state.rows, state.error) == (Status.READY, 2, "gapminder.csv: pop must be positive")
    assert dataset.prepared() is before
    assert dataset.frame() is before[0]
    dataset.reload_if_changed()
    assert prepare.calls == 2  # the rejected version is not read again until the object changes


def test_a_version_prepare_accepts_after_a_failed_first_load_recovers(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)
    prepare = Recorder()
    prepare.failure = ValueError("pop must be positive")
    dataset = Dataset("gapminder.csv", prepare=prepare)
    dataset.load()
    prepare.failure = None
    put(bucket, "gapminder.csv", CSV + "France,2002,62\n")

    state = dataset.reload_if_changed()

    assert (state.status, state.error, dataset.prepared()[1]) == (Status.READY, None, 183)


def test_prepared_without_a_prepare_function_is_a_programming_error(bucket: Any) -> None:
    put(bucket, "gapminder.csv", CSV)

    with pytest.raises(TypeError, match="has no prepare function"):
        Dataset("gapminder.csv").prepared()


def test_prepare_must_be_callable() -> None:
    with pytest.raises(TypeError, match="prepare must be a function of the DataFrame"):
        Dataset("gapminder.csv", prepare="index")  # type: ignore[arg-type]


def test_a_new_worker_checks_for_a_newer_version_before_it_serves(bucket: Any) -> None:
    """gunicorn forks a replacement worker from the master's boot-time data: start_reloaders (its
    post_worker_init) reloads what changed since before returning, not one interval later."""
    put(bucket, "gapminder.csv", CSV)
    dataset = Dataset("gapminder.csv")
    dataset.load()  # the master, at boot
    put(bucket, "gapminder.csv", CSV + "France,2002,62\n")  # a reload the dead worker had done
    time.sleep(1.1)  # an interval (1 s here) later: the dead worker may have reloaded since
    stop = threading.Event()

    thread = start_reloaders(1, stop=stop)

    try:
        assert dataset.state.rows == 3
        assert thread is not None and thread.is_alive()
    finally:
        stop.set()


def test_a_worker_forked_at_boot_answers_at_once_without_checking_s3(bucket: Any, monkeypatch) -> None:
    """Data younger than an interval cannot be behind (no worker has checked yet): a wake's first answer does not
    wait for the worker's S3 client and a HEAD request."""
    put(bucket, "gapminder.csv", CSV)
    dataset = Dataset("gapminder.csv")
    dataset.load()  # the master, just now
    checks: list[str] = []
    monkeypatch.setattr(Dataset, "reload_if_changed", lambda self: checks.append(self.key) or self.state)
    stop = threading.Event()

    thread = start_reloaders(3600, stop=stop)

    try:
        assert checks == []
        assert thread is not None and thread.is_alive()
    finally:
        stop.set()


def test_a_reason_is_bounded_and_says_how_long_it_was(bucket: Any) -> None:
    put(bucket, "wide.csv", ",".join(f"column_{n}" for n in range(20_000)) + "\n" + "1," * 19_999 + "1\n")
    dataset = Dataset("wide.csv", columns=["country"])

    state = dataset.load()

    assert state.status is Status.FAILED
    assert len(state.error or "") <= 500
    assert "lacks the column(s) country" in (state.error or "")
    assert "characters in all)" in (state.error or "")


def test_a_line_longer_than_the_limit_is_refused_before_it_is_read_whole(
    bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_MAX_LINE_BYTES", "65536")
    put(bucket, "long.csv", "country,year,pop\n" + "x" * 1_000_000 + ",2000,1\n")

    state = Dataset("long.csv").load()

    assert state.status is Status.FAILED
    assert "has a line longer than 64.0 KiB" in (state.error or "")


def test_a_file_bigger_than_the_memory_budget_is_refused_before_reading(
    bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_MAX_BYTES", "1000")
    put(bucket, "big.csv", CSV * 100)

    state = Dataset("big.csv").load()

    assert state.status is Status.FAILED
    assert "too big for this task's memory" in (state.error or "")
    assert "DATA_MAX_BYTES" in (state.error or "")


def test_a_nested_parquet_column_is_named_with_its_type(bucket: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"country": [{"name": "Chile"}], "pop": [1]}), buffer)
    put(bucket, "nested.parquet", buffer.getvalue())

    state = Dataset("nested.parquet", columns=["country", "pop"]).load()

    assert "column country is a struct" in (state.error or "")


def test_warnings_from_the_data_and_from_prepare_are_kept_with_the_version(bucket: Any) -> None:
    class Prepared:
        warnings = ("2 rows repeat a key",)

    put(bucket, "odd.csv", "country,year,pop\nFrance,2000,inf\n")
    dataset = Dataset("odd.csv", prepare=lambda frame: Prepared())

    state = dataset.load()

    assert state.status is Status.READY
    assert state.warnings == ("column pop has 1 infinite value(s) (inf), which cannot be drawn", "2 rows repeat a key")
    put(bucket, "odd.csv", CSV)
    assert dataset.reload_if_changed().warnings == ("2 rows repeat a key",)
