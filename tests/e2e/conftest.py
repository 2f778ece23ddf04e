"""End-to-end fixtures: a local S3 holding the sample data and the app served by gunicorn against it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.dev import free_port, start_gunicorn, stop_gunicorn, wait_for_health
from scripts.local_s3 import LocalS3, local_s3

E2E_BUCKET = "zerodash-e2e-data"
DATA_KEY = "gapminder.csv"
APP_TITLE = "ZeroDash end-to-end"


@dataclass(frozen=True)
class LiveApp:
    base_url: str  # ends with "/"
    title: str


@pytest.fixture(scope="session")
def sample_s3(sample_data: Path) -> Iterator[LocalS3]:
    """A moto S3 on loopback with the sample CSV at s3://E2E_BUCKET/DATA_KEY."""
    with local_s3(E2E_BUCKET, {DATA_KEY: sample_data}) as s3:
        yield s3


@pytest.fixture(scope="module")
def live_app(sample_s3: LocalS3) -> Iterator[LiveApp]:
    """gunicorn with the container's config on a free loopback port, healthy before the tests start.

    One worker: /health and the page then come from the same process, so "healthy" means the page has data.
    """
    port = free_port()
    env = {
        **sample_s3.env(),
        "APP_TITLE": APP_TITLE,
        "URL_PREFIX": "/",
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    process = start_gunicorn(port, env)
    try:
        wait_for_health(f"http://127.0.0.1:{port}/health", process)
        yield LiveApp(base_url=f"http://127.0.0.1:{port}/", title=APP_TITLE)
    finally:
        stop_gunicorn(process)
