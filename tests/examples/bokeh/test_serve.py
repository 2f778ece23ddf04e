"""The Bokeh example as ZeroDash runs it: serve.py in its own process with PORT and URL_PREFIX set, reached over
HTTP for its health path, page and robots.txt, and over a WebSocket for a live Bokeh session."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from bokeh.util.token import generate_jwt_token, generate_session_id
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.examples.conftest import EXAMPLES
from zerodash.images import free_port
from zerodash.local_s3 import stop_process

DIRECTORY = EXAMPLES / "bokeh"
START_TIMEOUT_SECONDS = 15.0
WEBSOCKET_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Served:
    base_url: str  # http://127.0.0.1:PORT/ plus the prefix, ending in "/"
    port: int
    prefix: str


@pytest.fixture(scope="module", params=["/", "/sales/"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """serve.py listening on a loopback port under the given URL_PREFIX, stopped after the module's tests."""
    prefix = request.param
    port = free_port()
    env = {**os.environ, "PORT": str(port), "URL_PREFIX": prefix, "PYTHONDONTWRITEBYTECODE": "1"}
    log = tmp_path_factory.mktemp("bokeh") / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "serve.py"], cwd=DIRECTORY, env=env, stdout=output, stderr=output)
    base_url = f"http://127.0.0.1:{port}{prefix}"
    try:
        wait_for_health(process, base_url + "health", log)
        yield Served(base_url, port, prefix)
    finally:
        stop_process(process)


def wait_for_health(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve.py exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 within {START_TIMEOUT_SECONDS} s")


def test_health_answers_200_under_the_prefix(served: Served) -> None:
    response = requests.get(served.base_url + "health", timeout=5)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_page_is_the_bokeh_app(served: Served) -> None:
    response = requests.get(served.base_url, timeout=10)

    assert response.status_code == 200
    assert "<title>Sliders</title>" in response.text


def test_robots_txt_disallows_every_crawler(served: Served) -> None:
    response = requests.get(served.base_url + "robots.txt", timeout=5)

    assert (response.status_code, response.text) == (200, "User-agent: *\nDisallow: /\n")


def test_nothing_is_served_outside_the_prefix(served: Served) -> None:
    if served.prefix == "/":
        pytest.skip("at / every path is inside the prefix")

    assert requests.get(f"http://127.0.0.1:{served.port}/health", timeout=5).status_code == 404


async def first_message(url: str, origin: str) -> str:
    """Open a Bokeh session over the WebSocket, as the page's script does, and read the server's first message."""
    token = generate_jwt_token(generate_session_id())  # unsigned: the server does not sign sessions
    request = HTTPRequest(url, headers={"Origin": origin})
    connection = await asyncio.wait_for(
        websocket_connect(request, subprotocols=["bokeh", token]), WEBSOCKET_TIMEOUT_SECONDS
    )
    try:
        header = await asyncio.wait_for(connection.read_message(), WEBSOCKET_TIMEOUT_SECONDS)
    finally:
        connection.close()
    assert isinstance(header, str), "the WebSocket closed without a message"
    return header


def test_websocket_session_opens_from_any_origin(served: Served) -> None:
    ws_url = served.base_url.replace("http://", "ws://") + "ws"

    # The load balancer's DNS name is the page's origin in production: not known to the server in advance.
    header = asyncio.run(first_message(ws_url, "https://zerodash-alb-123.eu-west-1.elb.amazonaws.com"))

    assert json.loads(header)["msgtype"] == "ACK"
