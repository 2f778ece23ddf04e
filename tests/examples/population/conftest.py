"""Fixtures for the Dash app's tests: a mocked S3 bucket and apps whose data loading has finished."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from dash import Dash
from moto import mock_aws

from dashapp.app import create_app
from dashapp.settings import Settings
from dashapp.store import DataStore
from tests.dashapp.helpers import BUCKET, LOAD_TIMEOUT_SECONDS


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint override, so nothing reaches a real AWS account or a local server."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "BUCKET_NAME", "DATA_KEY", "URL_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def s3() -> Iterator[Any]:
    """An S3 client on moto with an empty bucket named BUCKET."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


AppFactory = Callable[..., tuple[Dash, DataStore]]


@pytest.fixture
def loaded_app() -> AppFactory:
    """Build an app with `create_app(settings, **kwargs)` and wait until its background load has finished."""

    def build(settings: Settings, **kwargs: Any) -> tuple[Dash, DataStore]:
        store = DataStore()
        app = create_app(settings, store=store, **kwargs)
        assert store.wait(LOAD_TIMEOUT_SECONDS), "data loading did not finish"
        return app, store

    return build
