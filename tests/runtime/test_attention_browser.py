"""The attention rule in a real browser: a page polling with dcc.Interval stops sending callback requests once
nobody has touched it for ATTENTION_SECONDS, and starts again at the first input."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.chromium import chromium
from tests.runtime.conftest import FIXTURES
from tests.runtime.live import Server, running, wait_until_ready

pytestmark = pytest.mark.browser

IDLE_S = 2  # ATTENTION_SECONDS for the page; the Interval ticks every 0.5 s
WAIT_S = 15


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def ticker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"APP_NAME": "ticker", "URL_PREFIX": "/sales/", "ATTENTION_SECONDS": str(IDLE_S)}
    with running(FIXTURES / "ticker", env, tmp_path_factory.mktemp("ticker") / "out.log") as server:
        wait_until_ready(server, "/sales/health")
        yield server


def callbacks_seen(server: Server) -> int:
    """Callback requests the server answered, from its JSON access log."""
    return sum(
        1
        for line in server.log_lines()
        if line["logger"] == "gunicorn.access" and line.get("path", "").endswith("/_dash-update-component")
    )


def test_polling_stops_without_input_and_resumes_on_input(browser: WebDriver, ticker: Server) -> None:
    # given the page open and ticking
    browser.get(ticker.base_url + "/sales/")
    opened = time.monotonic()
    WebDriverWait(browser, WAIT_S).until(lambda d: int(d.find_element(By.ID, "count").text) >= 2)
    assert callbacks_seen(ticker) >= 2

    # when nobody touches it for longer than ATTENTION_SECONDS
    time.sleep(max(0.0, opened + IDLE_S + 1 - time.monotonic()))
    quiet_from = callbacks_seen(ticker)
    time.sleep(2)

    # then the server sees no more callback requests
    assert callbacks_seen(ticker) == quiet_from

    # when the visitor moves and clicks
    ActionChains(browser).move_to_element(browser.find_element(By.ID, "poke")).click().perform()

    # then the page polls again
    WebDriverWait(browser, 5, poll_frequency=0.2).until(lambda _: callbacks_seen(ticker) >= quiet_from + 2)
