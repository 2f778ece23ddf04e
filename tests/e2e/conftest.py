"""End-to-end fixtures: a local S3 holding the population example's data, that example served by the runtime's
gunicorn against it, and a headless Chromium that records the page's console."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.webdriver.remote.webdriver import WebDriver

from tests.chromium import chromium
from zerodash.images import free_port
from zerodash.local_s3 import LocalS3, directory_files, local_s3, stop_process
from zerodash.sources import REPO_ROOT

E2E_BUCKET = "zerodash-e2e-data"
POPULATION_DIR = REPO_ROOT / "examples" / "population"
# The app name the population example runs under in these tests; its data/ is uploaded under "<name>/".
POPULATION_APP = "dashboard"
APP_TITLE = "ZeroDash end-to-end"
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class LiveApp:
    base_url: str  # ends with "/"
    title: str


@pytest.fixture(scope="session")
def population_s3() -> Iterator[LocalS3]:
    """A moto S3 on loopback holding examples/population/data under DATA_PREFIX "dashboard/", as a deploy uploads it."""
    files = directory_files(POPULATION_DIR / "data", f"{POPULATION_APP}/")
    assert files, f"{POPULATION_DIR / 'data'} holds no data"
    with local_s3(E2E_BUCKET, files) as s3:
        yield s3


def population_env(s3: LocalS3) -> dict[str, str]:
    """The population example's container environment against the local S3."""
    return {
        **s3.env(data_prefix=f"{POPULATION_APP}/"),
        "APP_NAME": POPULATION_APP,
        "APP_TITLE": APP_TITLE,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }


@pytest.fixture(scope="module")
def live_app(population_s3: LocalS3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """examples/population served by the runtime's gunicorn (its container config) on a loopback port, healthy.

    As in the image: the app's folder is the working directory and PYTHONPATH holds the runtime package alone.
    """
    runtime_dir = tmp_path_factory.mktemp("runtime")
    (runtime_dir / "zerodash_runtime").symlink_to(REPO_ROOT / "zerodash_runtime", target_is_directory=True)
    port = free_port()
    gunicorn = Path(os.environ.get("VIRTUAL_ENV", REPO_ROOT / ".venv")) / "bin" / "gunicorn"
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")},
        **population_env(population_s3),
        "URL_PREFIX": "/",
        "PORT": str(port),
        "PYTHONPATH": str(runtime_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command = [str(gunicorn), "-c", str(runtime_dir / "zerodash_runtime" / "gunicorn_conf.py")]
    command += ["--bind", f"127.0.0.1:{port}", "zerodash_runtime.wsgi:application"]
    process = subprocess.Popen(command, cwd=POPULATION_DIR, env=env, start_new_session=True)
    try:
        wait_for_200(f"http://127.0.0.1:{port}/health", process)
        yield LiveApp(base_url=f"http://127.0.0.1:{port}/", title=APP_TITLE)
    finally:
        stop_process(process)


def wait_for_200(url: str, process: subprocess.Popen[Any], timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode} before {url} answered 200")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer 200 within {timeout_s} s")


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium, one for the session, keeping the console's messages (`severe_console_errors`)."""
    with chromium(console=True) as driver:
        yield driver
