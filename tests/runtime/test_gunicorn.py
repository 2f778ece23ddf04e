"""The runtime as the container runs it: gunicorn with zerodash_runtime's config, on a loopback port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.runtime.conftest import FIXTURES, write_app
from tests.runtime.live import REPO_ROOT, Server, get, running, wait_until_ready
from zerodash.images import free_port

BUCKET = "zerodash-runtime-live"
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def local_s3() -> Iterator[str]:
    """A moto S3 server on loopback holding sales/numbers.csv; yields its endpoint URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_credentials())
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="sales/numbers.csv", Body=b"n\n1\n2\n39\n")
        yield endpoint
    finally:
        server.stop()


def _credentials() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def served(local_s3: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        **AWS,
        "AWS_ENDPOINT_URL": local_s3,
        "APP_NAME": "sales",
        "URL_PREFIX": "/sales/",
        "BUCKET_NAME": BUCKET,
        "DATA_PREFIX": "sales/",
        "LOG_LEVEL": "INFO",
        "DASH_DEBUG": "true",
        "FLASK_DEBUG": "1",
    }
    with running(FIXTURES / "with_data", env, tmp_path_factory.mktemp("gunicorn") / "out.log") as server:
        wait_until_ready(server, "/sales/health")
        yield server


def test_health_is_ok_with_the_dataset_loaded_before_serving(served: Server) -> None:
    status, body = get(served.base_url + "/sales/health")

    assert status == 200
    assert json.loads(body)["datasets"]["numbers.csv"]["rows"] == 3


def test_the_page_is_served_under_the_prefix_and_nothing_outside_it(served: Server) -> None:
    assert get(served.base_url + "/sales/")[0] == 200
    assert get(served.base_url + "/")[0] == 404


def test_a_callback_reads_the_dataset_in_the_worker(served: Server) -> None:
    request = {
        "output": "total.children",
        "outputs": {"id": "total", "property": "children"},
        "inputs": [{"id": "ask", "property": "value", "value": "x"}],
        "changedPropIds": ["ask.value"],
    }
    status, body = _post_json(served.base_url + "/sales/_dash-update-component", request)

    assert status == 200
    assert json.loads(body)["response"]["total"]["children"] == "42"


def test_every_log_line_is_json_including_the_access_log(served: Server) -> None:
    get(served.base_url + "/sales/robots.txt")

    lines = served.log_lines()  # json.loads on every line: raises on any plain-text line

    assert {line["app"] for line in lines} == {"sales"}
    assert any(line["logger"] == "gunicorn.access" and line.get("path") == "/sales/robots.txt" for line in lines)


def test_an_app_that_does_not_import_exits_2_and_logs_why(tmp_path: Path) -> None:
    app_dir = write_app(tmp_path / "broken", "import os\n\nsecret = os.environ['API_TOKEN']\n")

    with running(app_dir, {"APP_NAME": "broken"}, tmp_path / "out.log") as server:
        server.process.wait(timeout=30)

    assert server.process.returncode == 2
    last = server.log_lines()[-1]
    assert (last["level"], last["app"]) == ("CRITICAL", "broken")
    assert last["message"] == (
        f"app 'broken': importing {app_dir / 'app.py'} failed: {app_dir / 'app.py'}:3: KeyError: 'API_TOKEN'"
    )


def test_a_bad_frame_ancestors_exits_2_with_one_json_line_naming_it(tmp_path: Path) -> None:
    env = {"APP_NAME": "framed", "FRAME_ANCESTORS": "intranet.example.com"}

    with running(FIXTURES / "ticker", env, tmp_path / "out.log") as server:
        server.process.wait(timeout=30)

    assert server.process.returncode == 2
    lines = server.log_lines()
    assert len(lines) == 1
    assert (lines[0]["level"], lines[0]["app"]) == ("CRITICAL", "framed")
    assert lines[0]["message"].startswith("FRAME_ANCESTORS: 'intranet.example.com' is not a source")


def _post_json(url: str, payload: dict[str, object]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


def test_check_prints_what_it_found_and_exits_0() -> None:
    result = _check(FIXTURES / "ticker", APP_NAME="ticker")

    assert result.returncode == 0
    assert result.stdout.startswith("app 'ticker': Dash app `app` in ")


def test_check_exits_2_with_the_one_line_message(tmp_path: Path) -> None:
    write_app(tmp_path, "value = 1\n")

    result = _check(tmp_path, APP_NAME="empty")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("app 'empty': ")


def test_check_exits_2_naming_a_bad_frame_ancestors() -> None:
    result = _check(FIXTURES / "ticker", APP_NAME="ticker", FRAME_ANCESTORS="'self',https://a.example.com")

    assert result.returncode == 2
    assert result.stderr.startswith("FRAME_ANCESTORS: ")
    assert result.stderr.count("\n") == 1


def _check(app_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "zerodash_runtime.check"],
        cwd=app_dir,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
