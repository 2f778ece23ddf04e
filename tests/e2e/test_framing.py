"""Framing in a real browser: a page from another origin (another loopback port) puts a runtime-served Dash app in
an iframe. Headless Chromium blocks the frame unless FRAME_ANCESTORS names that origin (zerodash_runtime/headers.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.chromium import chromium, severe_console_errors
from tests.runtime import loopback
from tests.runtime.conftest import FIXTURES
from tests.runtime.live import Server, running, wait_until_ready

pytestmark = pytest.mark.browser

WAIT_S = 15
BLOCKED_PAGE = "chrome-error://chromewebdata/"  # what Chromium shows in a frame it refused


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium(console=True) as driver:
        yield driver


@pytest.fixture(scope="module")
def other_origin() -> Iterator[loopback.Page]:
    with loopback.page() as page:
        yield page


@pytest.fixture
def clicks_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """The clicks fixture app under /sales/, served by gunicorn with the runtime's config and `request.param`'s env."""
    env = {"APP_NAME": "clicks", "URL_PREFIX": "/sales/", **request.param}
    with running(FIXTURES / "clicks", env, tmp_path / "out.log") as server:
        wait_until_ready(server, "/sales/health")
        yield server


def frame_app(browser: WebDriver, page: loopback.Page, app_url: str) -> str:
    """Load `page` framing `app_url`; what the frame ended up showing: the app's text, or BLOCKED_PAGE."""
    page.html = f'<!doctype html><title>embedding page</title><iframe id="app" src="{app_url}"></iframe>'
    severe_console_errors(browser)  # forget earlier pages' messages
    browser.get(page.url)
    WebDriverWait(browser, WAIT_S).until(ec.frame_to_be_available_and_switch_to_it((By.ID, "app")))

    def settled(driver: WebDriver) -> str | bool:
        if driver.execute_script("return location.href") == BLOCKED_PAGE:
            return BLOCKED_PAGE
        shown = driver.find_elements(By.ID, "clicks")
        return shown[0].text if shown and shown[0].text else False  # the first callback has answered

    try:
        return WebDriverWait(browser, WAIT_S, poll_frequency=0.2).until(settled, "the frame neither loaded nor failed")
    finally:
        browser.switch_to.default_content()


@pytest.mark.parametrize(
    "clicks_app",
    [{}, {"FRAME_ANCESTORS": "https://intranet.example.com"}],
    ids=["default", "another-origin-allowed"],
    indirect=True,
)
def test_a_page_from_another_origin_cannot_frame_the_app_unless_allowed(
    browser: WebDriver, other_origin: loopback.Page, clicks_app: Server
) -> None:
    shown = frame_app(browser, other_origin, clicks_app.base_url + "/sales/")

    assert shown == BLOCKED_PAGE
    refusals = [message for message in severe_console_errors(browser) if "frame-ancestors" in message]
    assert len(refusals) == 1, refusals  # blocked by the policy (not by X-Frame-Options, absent with a list)


@pytest.fixture(scope="module")
def allowed_app(other_origin: loopback.Page, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"APP_NAME": "clicks", "URL_PREFIX": "/sales/", "FRAME_ANCESTORS": f"'self' {other_origin.url.rstrip('/')}"}
    with running(FIXTURES / "clicks", env, tmp_path_factory.mktemp("allowed") / "out.log") as server:
        wait_until_ready(server, "/sales/health")
        yield server


def test_the_origin_frame_ancestors_names_frames_the_app_and_its_callbacks_work(
    browser: WebDriver, other_origin: loopback.Page, allowed_app: Server
) -> None:
    shown = frame_app(browser, other_origin, allowed_app.base_url + "/sales/")

    assert shown == "clicks: 0"  # the page rendered in the frame and its first callback came back
    WebDriverWait(browser, WAIT_S).until(ec.frame_to_be_available_and_switch_to_it((By.ID, "app")))
    try:
        browser.find_element(By.ID, "button").click()
        WebDriverWait(browser, WAIT_S).until(ec.text_to_be_present_in_element((By.ID, "clicks"), "clicks: 1"))
    finally:
        browser.switch_to.default_content()
    assert severe_console_errors(browser) == []


@pytest.mark.parametrize("path", ["/sales/", "/sales/_dash-layout", "/sales/health", "/robots.txt", "/nowhere"])
def test_the_served_app_sends_the_security_headers(other_origin: loopback.Page, allowed_app: Server, path: str) -> None:
    headers = requests.get(allowed_app.base_url + path, timeout=5).headers

    assert headers["Content-Security-Policy"] == f"frame-ancestors 'self' {other_origin.url.rstrip('/')}"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "X-Frame-Options" not in headers  # it cannot name another origin


@pytest.fixture(scope="module")
def framed_page() -> Iterator[loopback.Page]:
    with loopback.page() as page:
        page.html = '<!doctype html><title>framed</title><p id="clicks">framed page</p>'
        yield page


@pytest.mark.parametrize(
    ("frame_ancestors", "expected"),
    [(None, BLOCKED_PAGE), ("other-origin", "framed page")],
    ids=["x-frame-options-alone", "with-frame-ancestors"],
)
def test_the_load_balancers_x_frame_options_deny_yields_to_an_apps_frame_ancestors(
    browser: WebDriver,
    other_origin: loopback.Page,
    framed_page: loopback.Page,
    frame_ancestors: str | None,
    expected: str,
) -> None:
    # given the response carries X-Frame-Options: DENY, as every ALB listener adds (infra/constructs/platform.py):
    # an app that brings its own server is not framed, and an app served by the runtime, whose frame-ancestors
    # names the embedding origin, still is (CSP Level 3: frame-ancestors obsoletes X-Frame-Options)
    framed_page.headers = {"X-Frame-Options": "DENY"}
    if frame_ancestors is not None:
        framed_page.headers["Content-Security-Policy"] = f"frame-ancestors {other_origin.url.rstrip('/')}"

    assert frame_app(browser, other_origin, framed_page.url) == expected
