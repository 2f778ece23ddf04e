"""Read the dashboard's table from S3 (CSV or Parquet) and check it has what the dashboard needs.

No Dash imports: this module is plain data access. Every failure becomes a `DataLoadError` whose message
says what failed and what to fix; it is shown on the page, on /health and in the log.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass

import botocore.session
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError
from botocore.response import StreamingBody

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("country", "year", "pop")
NUMERIC_COLUMNS = ("year", "pop")

# Standard retries ride out a slow network at task start; the timeouts keep a broken route from hanging forever.
S3_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


class DataLoadError(Exception):
    """The data could not be loaded; the message is meant for the person who deploys the app."""


@dataclass(frozen=True)
class Dataset:
    frame: pd.DataFrame
    etag: str | None  # of the S3 object read, so a reload can tell whether it changed


def s3_client() -> BaseClient:
    # botocore directly: boto3 would add its own and s3transfer's imports to every cold start for nothing.
    # Like boto3, it honours AWS_ENDPOINT_URL (moto) and the task role's credentials by itself.
    return botocore.session.get_session().create_client("s3", config=S3_CONFIG)


def load_dataset(
    bucket_name: str | None,
    data_key: str | None,
    *,
    s3: BaseClient | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read s3://bucket_name/data_key into a DataFrame with at least the columns country, year, pop.

    `columns` limits what is kept to those columns (the app keeps only what it draws); None keeps them all.
    """
    return fetch_dataset(bucket_name, data_key, s3=s3, columns=columns).frame


def fetch_dataset(
    bucket_name: str | None,
    data_key: str | None,
    *,
    s3: BaseClient | None = None,
    columns: Sequence[str] | None = None,
) -> Dataset:
    """`load_dataset`, with the ETag of the object that was read."""
    location = _location(bucket_name, data_key)
    assert bucket_name and data_key  # checked by _location
    logger.info("Loading %s", location)
    with _s3_errors_explained(bucket_name, location):
        response = (s3 or s3_client()).get_object(Bucket=bucket_name, Key=data_key)
        body = response["Body"]
        with closing(body):
            if data_key.endswith(".parquet"):
                frame = _read_parquet(body, location, columns)
            else:
                frame = _read_csv(body, location, columns)
    return Dataset(frame, response.get("ETag"))


def object_etag(bucket_name: str | None, data_key: str | None, *, s3: BaseClient | None = None) -> str:
    """The ETag of s3://bucket_name/data_key (a HEAD request: cheap enough to poll)."""
    location = _location(bucket_name, data_key)
    with _s3_errors_explained(bucket_name or "", location):
        return str((s3 or s3_client()).head_object(Bucket=bucket_name, Key=data_key)["ETag"])


def _location(bucket_name: str | None, data_key: str | None) -> str:
    if not bucket_name:
        raise DataLoadError("BUCKET_NAME is not set: set it to the name of the S3 bucket that holds the data")
    if not data_key:
        raise DataLoadError("DATA_KEY is not set: set it to the key of the CSV or Parquet file, e.g. gapminder.csv")
    location = f"s3://{bucket_name}/{data_key}"
    if not data_key.endswith((".csv", ".parquet")):
        raise DataLoadError(f"{location} is neither .csv nor .parquet: set DATA_KEY to a key ending in one of them")
    return location


@contextmanager
def _s3_errors_explained(bucket_name: str, location: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        raise DataLoadError(_describe_client_error(error, bucket_name, location)) from error
    except NoCredentialsError as error:
        raise DataLoadError(
            f"no AWS credentials to read {location}: run the task with a task role allowed to read the bucket"
        ) from error
    except EndpointConnectionError as error:
        raise DataLoadError(
            f"cannot reach S3 to read {location} ({error}): check the task's route to S3 "
            "(public IP, NAT gateway or S3 VPC endpoint)"
        ) from error
    except BotoCoreError as error:
        raise DataLoadError(
            f"reading {location} failed ({error}): check the task's network and AWS settings"
        ) from error


def validate_frame(frame: pd.DataFrame, location: str, all_columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Check the columns and types the dashboard relies on; `all_columns`: the file's, when only some were read."""
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns if all_columns is None else all_columns)) or "none"
        raise DataLoadError(
            f"{location} lacks the column(s) {', '.join(missing)}: the file needs the columns "
            f"{', '.join(REQUIRED_COLUMNS)} (found: {found})"
        )
    if frame.empty:
        raise DataLoadError(f"{location} has a header but no data rows: upload a file with at least one row")
    for column in NUMERIC_COLUMNS:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise DataLoadError(f"{location} has non-numeric values in column {column}: year and pop must be numbers")
    return frame


def _read_csv(body: StreamingBody, location: str, columns: Sequence[str] | None) -> pd.DataFrame:
    # The StreamingBody goes to pandas as a file: pandas pulls it in chunks, so the raw bytes and a decoded
    # copy are never in memory at once (reading, decoding and wrapping in StringIO took 2.9x the peak memory).
    # Country names repeat on every row: as a category each row holds a small code instead of its own string.
    # All columns are parsed (usecols would let rows with extra fields through) and the unwanted dropped after.
    try:
        frame = pd.read_csv(body, dtype={"country": "category"})
    except pd.errors.EmptyDataError as error:
        raise DataLoadError(
            f"{location} is empty: upload a CSV with a header row ({','.join(REQUIRED_COLUMNS)}) and data rows"
        ) from error
    except pd.errors.ParserError as error:
        reason = str(error).strip().splitlines()[-1]
        raise DataLoadError(f"{location} is not valid CSV ({reason}): fix the file and upload it again") from error
    except UnicodeDecodeError as error:
        raise DataLoadError(f"{location} is not UTF-8 text: save the CSV as UTF-8 and upload it again") from error
    header = list(frame.columns)
    if columns is not None:
        frame = frame[[name for name in header if name in columns]]
    return validate_frame(frame, location, header)


def _read_parquet(body: StreamingBody, location: str, columns: Sequence[str] | None) -> pd.DataFrame:
    # Parquet keeps its schema in a footer at the end of the file, so the reader needs to seek, which a
    # StreamingBody cannot. The file is read into memory: Parquet is compressed, so these bytes are small next
    # to the DataFrame, and this keeps one S3 client (same credentials, retries and AWS_ENDPOINT_URL handling)
    # instead of adding pyarrow's own S3 filesystem with its own configuration.
    raw = body.read()
    if not raw:
        raise DataLoadError(
            f"{location} is empty: upload a Parquet file with the columns {', '.join(REQUIRED_COLUMNS)}"
        )
    try:
        # Country names come out dictionary-encoded, i.e. as a category, never as one string per row.
        parquet = pq.ParquetFile(io.BytesIO(raw), read_dictionary=["country"])
        header = parquet.schema_arrow.names
        table = parquet.read(columns=None if columns is None else [name for name in header if name in columns])
    except (pa.ArrowInvalid, OSError) as error:
        raise DataLoadError(
            f"{location} is not a valid Parquet file ({error}): write it with pandas.DataFrame.to_parquet and "
            "upload it again"
        ) from error
    frame = table.to_pandas()
    return validate_frame(frame, location, header)


def _describe_client_error(error: ClientError, bucket_name: str, location: str) -> str:
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code == "NoSuchBucket":
        return f"bucket {bucket_name} does not exist: create it (deploy the data stack) or fix BUCKET_NAME"
    if code in ("NoSuchKey", "404"):
        return f"{location} not found: upload the file or fix DATA_KEY"
    if code in ("AccessDenied", "403") or status == 403:
        return (
            f"access to {location} denied: grant the task role s3:GetObject on it (and kms:Decrypt if the bucket "
            "uses a KMS key); S3 also answers this for a missing key when the role may not list the bucket, "
            "so check DATA_KEY too"
        )
    message = error.response.get("Error", {}).get("Message", str(error))
    return f"reading {location} failed with {code or status}: {message}"
