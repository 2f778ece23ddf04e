"""Read objects from the app's bucket with boto3; every failure becomes a `DataLoadError` that says what to fix."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from zerodash_runtime.data.state import DataLoadError

_clients: dict[int, Any] = {}
_clients_lock = threading.Lock()


def client() -> Any:
    """This process's S3 client: made on first use (apps without data never import boto3), one per process
    because HTTP connections must not be shared across gunicorn's fork. Honours AWS_ENDPOINT_URL (moto)."""
    pid = os.getpid()
    with _clients_lock:
        if pid not in _clients:
            import boto3
            from botocore.config import Config

            # Standard retries ride out a slow network at task start; timeouts keep a broken route from hanging.
            config = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
            _clients.clear()  # the parent's client, inherited over fork
            _clients[pid] = boto3.session.Session().client("s3", config=config)
        return _clients[pid]


@contextmanager
def open_object(bucket: str | None, key: str) -> Iterator[tuple[Any, str | None, int | None]]:
    """The object's streaming body, its ETag and its size (ContentLength: known before the body is read); the body
    is closed on leaving."""
    location = _location(bucket, key)
    with explained(bucket or "", location):
        response = client().get_object(Bucket=bucket, Key=key)
        with closing(response["Body"]) as body:
            yield body, response.get("ETag"), response.get("ContentLength")


def object_etag(bucket: str | None, key: str) -> str:
    """The object's ETag (a HEAD request: cheap enough to poll)."""
    location = _location(bucket, key)
    with explained(bucket or "", location):
        return str(client().head_object(Bucket=bucket, Key=key)["ETag"])


def _location(bucket: str | None, key: str) -> str:
    if not bucket:
        raise DataLoadError(f"BUCKET_NAME is not set, so {key} cannot be read: set it to the app's data bucket")
    return f"s3://{bucket}/{key}"


@contextmanager
def explained(bucket: str, location: str) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

    try:
        yield
    except ClientError as error:
        raise DataLoadError(_describe_client_error(error, bucket, location)) from error
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


def _describe_client_error(error: Any, bucket: str, location: str) -> str:
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code == "NoSuchBucket":
        return f"bucket {bucket} does not exist: deploy the data stack or fix BUCKET_NAME"
    if code in ("NoSuchKey", "404"):
        return f"{location} not found: put the file in the app's data/ directory and deploy, or fix the key"
    if code in ("AccessDenied", "403") or status == 403:
        return (
            f"access to {location} denied: the task role may read only the app's own prefix (DATA_PREFIX) and the "
            "extra prefixes in its config; S3 also answers this for a missing key when the role may not list the "
            "bucket, so check the key too"
        )
    message = error.response.get("Error", {}).get("Message", str(error))
    return f"reading {location} failed with {code or status}: {message}"
