"""A Dash tab whose login expired, in a real browser, behind a stand-in for the ALB's login (tests/runtime/loopback.py:
a proxy on loopback that wants a session cookie and sends browsers without one to a fake IdP on another port).

Once the session is gone the "ALB" answers Dash's callback POST with a 302 to the IdP; fetch follows it to the IdP's
origin, which sends no CORS headers, and the callback fails with a TypeError. Without the login script
(LOGIN_REQUIRED unset) the tab stays stuck; with it, the tab reloads through the login and works again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.chromium import chromium, severe_console_errors
from tests.runtime import loopback
from tests.runtime.conftest import FIXTURES
from tests.runtime.live import running, wait_until_ready

pytestmark = pytest.mark.browser

WAIT_S = 15
STUCK_S = 3  # how long a stuck tab is watched for a reload that must not come
MARK = "window.zerodashTestMark"  # set on the page; a reload forgets it


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """A fresh browser per test: no cookies or session storage carried from one test to the next."""
    with chromium(console=True) as driver:
        yield driver


@pytest.fixture
def behind_login(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[loopback.Login]:
    """The clicks app under /sales/ (gunicorn, the runtime's config, `request.param`'s env) behind the login."""
    env = {"APP_NAME": "clicks", "URL_PREFIX": "/sales/", **request.param}
    with running(FIXTURES / "clicks", env, tmp_path / "out.log") as server:
        wait_until_ready(server, "/sales/health")
        with loopback.alb_login(server.base_url) as login:
            yield login


def open_logged_in(browser: WebDriver, login: loopback.Login) -> None:
    """Open the app (through the login) and wait for its first callback; mark the page."""
    browser.get(login.alb_url + "/sales/")
    wait_for_clicks(browser, 0)
    assert login.logins == 1
    assert browser.current_url == login.alb_url + "/sales/"  # back where the visitor was going
    browser.execute_script(f"{MARK} = true;")
    severe_console_errors(browser)  # forget the page's messages so far


def wait_for_clicks(browser: WebDriver, clicks: int) -> None:
    WebDriverWait(browser, WAIT_S).until(ec.text_to_be_present_in_element((By.ID, "clicks"), f"clicks: {clicks}"))


def marked(browser: WebDriver) -> bool:
    return bool(browser.execute_script(f"return {MARK} === true;"))


def click(browser: WebDriver) -> None:
    WebDriverWait(browser, WAIT_S).until(ec.element_to_be_clickable((By.ID, "button"))).click()


def wait_for_refused_callbacks(login: loopback.Login, count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while login.callbacks(login.refused) < count:
        assert time.monotonic() < deadline, f"the 'ALB' refused {login.callbacks(login.refused)} callbacks"
        time.sleep(0.1)


@pytest.mark.parametrize("behind_login", [{}], indirect=True)
def test_without_the_login_script_an_expired_login_leaves_the_tab_stuck(
    browser: WebDriver, behind_login: loopback.Login
) -> None:
    open_logged_in(browser, behind_login)

    behind_login.expire_sessions()
    click(browser)
    wait_for_refused_callbacks(behind_login, 1)
    time.sleep(STUCK_S)

    assert marked(browser)  # no reload
    # fetch followed the 302 to the IdP, which sends no CORS headers: the callback failed there
    assert behind_login.authorizations == [None, behind_login.alb_url]  # the login's navigation, then the fetch
    errors = severe_console_errors(browser)
    assert any("blocked by CORS policy" in message for message in errors), errors
    assert any("Callback failed" in message for message in errors), errors
    assert browser.find_element(By.ID, "clicks").text == "clicks: 0"  # the click's callback never came back
    assert behind_login.logins == 1
    click(browser)  # and it stays stuck
    wait_for_refused_callbacks(behind_login, 2)
    assert browser.find_element(By.ID, "clicks").text == "clicks: 0"


@pytest.mark.parametrize("behind_login", [{"LOGIN_REQUIRED": "1"}], indirect=True)
def test_with_login_required_the_tab_reloads_through_the_login_and_works_again(
    browser: WebDriver, behind_login: loopback.Login
) -> None:
    open_logged_in(browser, behind_login)

    behind_login.expire_sessions()
    click(browser)

    WebDriverWait(browser, WAIT_S).until(lambda d: not marked(d), "the page did not reload")
    wait_for_clicks(browser, 0)  # the reloaded page's first callback came back
    assert behind_login.logins == 2  # through the login
    assert browser.current_url == behind_login.alb_url + "/sales/"
    assert behind_login.callbacks(behind_login.refused) == 1  # the one that failed; the probe is a GET of the page
    click(browser)
    wait_for_clicks(browser, 1)


@pytest.mark.parametrize("behind_login", [{"LOGIN_REQUIRED": "1"}], indirect=True)
def test_a_login_that_expires_again_at_once_reloads_only_once_in_30_seconds(
    browser: WebDriver, behind_login: loopback.Login
) -> None:
    open_logged_in(browser, behind_login)
    behind_login.expire_sessions()
    click(browser)
    WebDriverWait(browser, WAIT_S).until(lambda d: not marked(d), "the page did not reload")
    wait_for_clicks(browser, 0)
    browser.execute_script(f"{MARK} = true;")

    # the new session is no good either (a login that does not stick): the next failure must not reload again
    behind_login.expire_sessions()
    click(browser)
    wait_for_refused_callbacks(behind_login, 2)
    time.sleep(STUCK_S)

    assert marked(browser)
    assert behind_login.logins == 2
