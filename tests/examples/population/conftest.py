"""Fixtures for the population example: a mocked S3 bucket holding its data, and the app served by the runtime."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.examples.conftest import Served, served_by_runtime
from tests.examples.population.helpers import BUCKET, DATA_PREFIX, DIRECTORY, csv_bytes

# Fake credentials and no endpoint or profile from the caller's shell: nothing reaches a real account.
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
UNSET = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "DATA_FILE", "APP_TITLE")


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An S3 client on moto with an empty bucket named BUCKET."""
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


Serve = Callable[..., AbstractContextManager[Served]]


@pytest.fixture
def serve(s3: Any) -> Serve:
    """`with serve(url_prefix="/", **env) as served:` the app as the runtime serves it, its data in the bucket."""

    @contextmanager
    def run(url_prefix: str = "/", **env: str) -> Iterator[Served]:
        settings = {
            "URL_PREFIX": url_prefix,
            "APP_NAME": "population",
            "APP_TITLE": "Test population",
            "BUCKET_NAME": BUCKET,
            "DATA_PREFIX": DATA_PREFIX,
            **env,
        }
        with served_by_runtime(DIRECTORY, settings) as served:
            yield served

    return run


@pytest.fixture
def dashboard(s3: Any, serve: Serve) -> Iterator[Served]:
    """The app at "/" with the sample table as its data."""
    s3.put_object(Bucket=BUCKET, Key=f"{DATA_PREFIX}gapminder.csv", Body=csv_bytes())
    with serve() as served:
        yield served
