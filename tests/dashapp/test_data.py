"""Loading the table from S3: CSV and Parquet, the columns the dashboard needs, and a clear error per failure."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from dashapp.data import DataLoadError, fetch_dataset, load_dataset, object_etag
from tests.dashapp.helpers import BUCKET, SAMPLE_FRAME, csv_bytes


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def load_error(bucket: str | None, key: str | None, **kwargs: Any) -> str:
    with pytest.raises(DataLoadError) as caught:
        load_dataset(bucket, key, **kwargs)
    return str(caught.value)


def assert_same_data(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False, check_categorical=False)


def test_csv_object_loads_into_a_frame_with_all_its_columns(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="data/gapminder.csv", Body=csv_bytes())

    frame = load_dataset(BUCKET, "data/gapminder.csv")

    assert_same_data(frame, SAMPLE_FRAME)


def test_parquet_object_loads_into_a_frame(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.parquet", Body=parquet_bytes(SAMPLE_FRAME))

    frame = load_dataset(BUCKET, "gapminder.parquet")

    assert_same_data(frame, SAMPLE_FRAME)


@pytest.mark.parametrize(("key", "body"), [("g.csv", csv_bytes()), ("g.parquet", parquet_bytes(SAMPLE_FRAME))])
def test_country_names_are_held_as_a_category(s3: Any, key: str, body: bytes) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    frame = load_dataset(BUCKET, key)

    assert isinstance(frame["country"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize(("key", "body"), [("g.csv", csv_bytes()), ("g.parquet", parquet_bytes(SAMPLE_FRAME))])
def test_only_the_asked_columns_are_kept(s3: Any, key: str, body: bytes) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    frame = load_dataset(BUCKET, key, columns=("country", "year", "pop"))

    assert_same_data(frame, SAMPLE_FRAME[["country", "year", "pop"]])


NO_YEAR = SAMPLE_FRAME.drop(columns=["year"])


@pytest.mark.parametrize(("key", "body"), [("g.csv", csv_bytes(NO_YEAR)), ("g.parquet", parquet_bytes(NO_YEAR))])
def test_missing_column_names_all_the_files_columns_when_only_some_are_asked(s3: Any, key: str, body: bytes) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    message = load_error(BUCKET, key, columns=("country", "year", "pop"))

    assert message.endswith(
        "lacks the column(s) year: the file needs the columns country, year, pop (found: country, continent, pop)"
    )


def test_fetch_reports_the_etag_of_the_object_read(s3: Any) -> None:
    etag = s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=csv_bytes())["ETag"]

    assert fetch_dataset(BUCKET, "gapminder.csv").etag == etag


def test_object_etag_is_the_current_etag(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=csv_bytes())
    etag = s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=csv_bytes(SAMPLE_FRAME.head(2)))["ETag"]

    assert object_etag(BUCKET, "gapminder.csv") == etag


def test_object_etag_of_a_missing_object_says_what_to_fix(s3: Any) -> None:
    with pytest.raises(DataLoadError, match="not found: upload the file or fix DATA_KEY"):
        object_etag(BUCKET, "absent.csv")


def test_csv_body_is_handed_to_pandas_as_the_streaming_body(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=csv_bytes())
    received: list[object] = []
    real_read_csv = pd.read_csv

    def recording_read_csv(source: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
        received.append(source)
        return real_read_csv(source, *args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", recording_read_csv)

    load_dataset(BUCKET, "gapminder.csv")

    assert len(received) == 1
    assert isinstance(received[0], StreamingBody)


def test_csv_body_is_read_in_bounded_chunks_never_whole(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=csv_bytes())
    read_sizes: list[int | None] = []
    real_read = StreamingBody.read

    def recording_read(self: StreamingBody, amt: int | None = None) -> bytes:
        read_sizes.append(amt)
        return real_read(self, amt)

    monkeypatch.setattr(StreamingBody, "read", recording_read)

    load_dataset(BUCKET, "gapminder.csv")

    assert read_sizes, "the body was never read"
    assert None not in read_sizes


def test_missing_bucket_name_says_to_set_bucket_name() -> None:
    assert load_error(None, "gapminder.csv").startswith("BUCKET_NAME is not set")


def test_missing_data_key_says_to_set_data_key() -> None:
    assert load_error(BUCKET, None).startswith("DATA_KEY is not set")


def test_key_of_unknown_format_says_which_endings_are_supported() -> None:
    message = load_error(BUCKET, "gapminder.xlsx")

    assert "s3://zerodash-test-data/gapminder.xlsx" in message
    assert ".csv nor .parquet" in message


def test_missing_bucket_says_to_create_it_or_fix_bucket_name(s3: Any) -> None:
    message = load_error("no-such-bucket", "gapminder.csv")

    assert message == "bucket no-such-bucket does not exist: create it (deploy the data stack) or fix BUCKET_NAME"


def test_missing_object_says_to_upload_it_or_fix_data_key(s3: Any) -> None:
    message = load_error(BUCKET, "gapminder.csv")

    assert message == f"s3://{BUCKET}/gapminder.csv not found: upload the file or fix DATA_KEY"


def test_access_denied_says_to_grant_the_task_role_read_access() -> None:
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)

        message = load_error(BUCKET, "gapminder.csv", s3=client)

    assert message.startswith(f"access to s3://{BUCKET}/gapminder.csv denied: grant the task role s3:GetObject")


def test_other_s3_error_names_its_code() -> None:
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_object", service_error_code="SlowDown", service_message="Reduce your rate")

        message = load_error(BUCKET, "gapminder.csv", s3=client)

    assert message == f"reading s3://{BUCKET}/gapminder.csv failed with SlowDown: Reduce your rate"


def test_empty_csv_says_to_upload_a_file_with_header_and_rows(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=b"")

    message = load_error(BUCKET, "gapminder.csv")

    assert message.startswith(f"s3://{BUCKET}/gapminder.csv is empty: upload a CSV with a header row")


def test_csv_with_only_a_header_says_it_has_no_rows(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=b"country,year,pop\n")

    message = load_error(BUCKET, "gapminder.csv")

    assert "has a header but no data rows" in message


def test_malformed_csv_names_the_parser_problem(s3: Any) -> None:
    body = b"country,year,pop\nCanada,1952,14785584\nCanada,1957,16985000,extra,fields\n"
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=body)

    message = load_error(BUCKET, "gapminder.csv")

    assert message.startswith(f"s3://{BUCKET}/gapminder.csv is not valid CSV (")
    assert "line 3" in message
    assert message.endswith(": fix the file and upload it again")


def test_csv_that_is_not_utf8_says_to_save_it_as_utf8(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body="country,year,pop\nCôte d'Ivoire,1952,1\n".encode("cp1252"))

    message = load_error(BUCKET, "gapminder.csv")

    assert message == f"s3://{BUCKET}/gapminder.csv is not UTF-8 text: save the CSV as UTF-8 and upload it again"


def test_missing_columns_are_named_with_the_columns_found(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=b"country,year,population\nCanada,1952,1\n")

    message = load_error(BUCKET, "gapminder.csv")

    assert message == (
        f"s3://{BUCKET}/gapminder.csv lacks the column(s) pop: the file needs the columns country, year, pop "
        "(found: country, year, population)"
    )


def test_non_numeric_population_is_reported(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=b"country,year,pop\nCanada,1952,many\n")

    message = load_error(BUCKET, "gapminder.csv")

    assert "non-numeric values in column pop" in message


def test_invalid_parquet_says_how_to_write_a_valid_one(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.parquet", Body=csv_bytes())

    message = load_error(BUCKET, "gapminder.parquet")

    assert message.startswith(f"s3://{BUCKET}/gapminder.parquet is not a valid Parquet file (")


def test_parquet_without_required_columns_is_reported(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.parquet", Body=parquet_bytes(SAMPLE_FRAME.drop(columns=["year"])))

    message = load_error(BUCKET, "gapminder.parquet")

    assert "lacks the column(s) year" in message
