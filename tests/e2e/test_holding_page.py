"""The holding page's script in a real browser: headless Chromium against the real waker code.

A small HTTP server on loopback stands in for the load balancer: while the app's rule points at the waker it
turns each request into an ALB Lambda event and answers with `waker.handler.handle`; once the rule points at
the service it answers as the app. AWS behind the waker is a scripted stand-in (the loop itself is tested on
the twin): asleep until the page's script asks for the wake, then a target turns healthy a few seconds later.

Behind the load balancer's login (tests/runtime/loopback.py's stand-in for authenticate-oidc and its IdP), a
session that ends while the page waits makes every poll fail (fetch follows the 302 to the IdP's origin, which
sends no CORS headers: a TypeError); the page's login check reloads it through the login, once per 30 s at most.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from common.facts import Facts, ServiceView
from common.lifecycle import Decision, PointRule, SetDesired, Stamp
from common.marks import WAKE_FAILED, Marks, WakeFailure, read_marks, wake_failure_value
from common.route import Route
from tests.chromium import chromium
from tests.lambdas.builders import APP
from tests.runtime import loopback
from waker import page
from waker.handler import handle
from waker.page import Step
from waker.runtime import Runtime

pytestmark = pytest.mark.browser

APP_PAGE = "<!doctype html><html><body><h1 id='app'>The app itself</h1></body></html>"
HEALTHY_AFTER_SECONDS = 3.0


@dataclass
class ScriptedAws:
    """One app's AWS state, changed only by what the waker writes; a target is healthy a while after a wake."""

    desired: int = 0
    route: Route = Route.WAKER
    tags: dict[str, str] = field(default_factory=dict)
    woken_at: float | None = None
    wake_requests: int = 0
    healthy_after: float = HEALTHY_AFTER_SECONDS

    def facts(self) -> Facts:
        healthy = self.woken_at is not None and time.time() - self.woken_at >= self.healthy_after
        marks = read_marks([{"key": key, "value": value} for key, value in self.tags.items()])
        service = ServiceView(
            desired_count=self.desired, service_arn="arn:service", task_definition="app:1", marks=marks
        )
        return Facts(service=service, route=self.route, healthy_targets=int(healthy))

    def apply(self, decision: Decision) -> None:
        for step in decision.steps:
            if isinstance(step, SetDesired):
                if self.desired == 0 and step.count > 0:
                    self.woken_at, self.wake_requests = time.time(), self.wake_requests + 1
                self.desired = step.count
            elif isinstance(step, PointRule):
                self.route = step.route
            elif isinstance(step, Stamp):
                self.tags.update(dict(step.tags))


class ScriptedRuntime(Runtime):
    aws: ScriptedAws

    def facts(self, *, fresh: bool = False) -> Facts:
        return self.aws.facts()

    def step(self) -> Step:
        return Step.PULLING

    def change(self, facts: Facts, decision: Decision) -> None:
        self.aws.apply(decision)


def make_runtime(aws: ScriptedAws) -> ScriptedRuntime:
    runtime = ScriptedRuntime(
        clients=None,  # type: ignore[arg-type] - the scripted AWS answers instead
        app=replace(APP, title="Sales <dashboard>"),
        token_key=b"browser-test-key",
        now=lambda: datetime.now(UTC),
        sleep=time.sleep,
    )
    runtime.aws = aws
    return runtime


class LoadBalancer(BaseHTTPRequestHandler):
    """Routes like the ALB rule: to the waker (as an ALB Lambda event) or to the app."""

    runtime: ScriptedRuntime

    def do_GET(self) -> None:
        self.route()

    def do_POST(self) -> None:
        self.route()

    def route(self) -> None:
        if self.runtime.aws.route is Route.SERVICE:
            self.send("200 OK", {"Content-Type": "text/html"}, APP_PAGE)
            return
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        event = {
            "httpMethod": self.command,
            "path": url.path,
            "queryStringParameters": dict(parse_qsl(url.query)),
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": self.rfile.read(length).decode() if length else "",
            "isBase64Encoded": False,
        }
        answer = handle(self.runtime, event)
        self.send(answer["statusDescription"], answer["headers"], answer["body"])

    def send(self, status: str, headers: dict[str, str], body: str) -> None:
        data = body.encode()
        self.send_response(int(status.split()[0]))
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def load_balancer() -> Iterator[tuple[str, ScriptedAws]]:
    aws = ScriptedAws()
    handler = type("Handler", (LoadBalancer,), {"runtime": make_runtime(aws)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", aws
    finally:
        server.shutdown()


def test_a_person_on_the_holding_page_lands_on_the_app_once_it_is_up(load_balancer):
    url, aws = load_balancer
    with chromium() as driver:
        driver.get(url + "/sales/")
        assert "Sales <dashboard> is starting" in driver.find_element(By.TAG_NAME, "h1").text

        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "app"), "the page never reached the app")

    assert aws.wake_requests == 1
    assert aws.route is Route.SERVICE


def test_a_browser_without_javascript_never_starts_the_app(load_balancer):
    url, aws = load_balancer
    with chromium(javascript=False) as driver:
        driver.get(url + "/sales/")
        time.sleep(3)
        body = driver.find_element(By.TAG_NAME, "body").text

    assert "needs JavaScript" in body
    assert (aws.desired, aws.wake_requests) == (0, 0)


def test_after_a_failed_wake_the_page_says_why_and_starts_nothing(load_balancer):
    url, aws = load_balancer
    failure = WakeFailure(at=datetime.now(UTC) - timedelta(minutes=1), task_definition="app:1", reason="")
    aws.tags[WAKE_FAILED] = wake_failure_value(replace(failure, reason="CannotPullContainerError: no such tag"))
    with chromium() as driver:
        driver.get(url + "/sales/")
        text = driver.find_element(By.TAG_NAME, "body").text
        time.sleep(2)

    assert "could not start" in text and "CannotPullContainerError" in text
    assert aws.wake_requests == 0


def test_the_holding_page_carries_a_token_the_waker_accepts_only_from_the_same_browser():
    aws = ScriptedAws()
    runtime = make_runtime(aws)
    page = handle(runtime, {"httpMethod": "GET", "path": "/sales/", "headers": {"user-agent": "Mozilla/5.0 A"}})
    token = json.loads(page["body"].split("var c = ")[1].split(", lastWake")[0])["token"]

    def wake(agent: str) -> int:
        event = {
            "httpMethod": "POST",
            "path": "/sales/_zerodash/wake",
            "headers": {"user-agent": agent, "x-zerodash-token": token},
        }
        return handle(runtime, event)["statusCode"]

    assert wake("Mozilla/5.0 B") == 403
    assert wake("Mozilla/5.0 A") == 202
    assert aws.desired == 1


def test_marks_of_the_scripted_aws_read_back():  # the stand-in above is only as good as its reading of marks
    aws = ScriptedAws(tags={"zerodash:awake-since": "2024-05-15T03:00:00+00:00"})

    assert aws.facts().marks == Marks(awake_since=datetime(2024, 5, 15, 3, 0, tzinfo=UTC))


# Behind the load balancer's login ----------------------------------------------------------------------------------

WAIT_S = 20
MARK = "window.zerodashTestMark"  # set on the holding page; a reload forgets it


@pytest.fixture
def behind_login(load_balancer) -> Iterator[tuple[loopback.Login, ScriptedAws]]:
    url, aws = load_balancer
    aws.healthy_after = 6.0  # long enough for the session to end while the page waits
    with loopback.alb_login(url) as login:
        yield login, aws


def open_holding_page(driver, login: loopback.Login) -> None:
    driver.get(login.alb_url + "/sales/")
    assert "is starting" in driver.find_element(By.TAG_NAME, "h1").text
    assert login.logins == 1
    driver.execute_script(f"{MARK} = true;")


def marked(driver) -> bool:
    return bool(driver.execute_script(f"return {MARK} === true;"))


def refused_polls(login: loopback.Login) -> int:
    return sum(1 for method, path in login.refused if path.endswith("/_zerodash/status"))


def test_a_session_that_ends_while_the_page_waits_is_renewed_through_the_login(behind_login):
    login, aws = behind_login
    with chromium() as driver:
        open_holding_page(driver, login)
        login.expire_sessions()

        WebDriverWait(driver, WAIT_S).until(lambda d: d.find_elements(By.ID, "app"), "the page never reached the app")

    assert login.logins == 2  # reloaded through the login once
    assert refused_polls(login) >= 1 and ("GET", "/sales/") in login.refused  # a failed poll, then the probe
    assert aws.route is Route.SERVICE


def test_the_holding_page_without_its_login_check_polls_a_dead_session_forever(behind_login, monkeypatch):
    """The control: the script before its login check (it ignores every failed poll) never leaves the page."""
    check = 'r.type !== "opaqueredirect" && r.status !== 401'
    assert check in page._SCRIPT
    monkeypatch.setattr(page, "_SCRIPT", page._SCRIPT.replace(check, "true"))
    login, aws = behind_login
    with chromium() as driver:
        open_holding_page(driver, login)
        login.expire_sessions()
        deadline = time.monotonic() + aws.healthy_after + 3
        while time.monotonic() < deadline:
            time.sleep(0.5)

        assert marked(driver) and not driver.find_elements(By.ID, "app")  # still waiting, though the app is up
        assert "is starting" in driver.find_element(By.TAG_NAME, "h1").text

    assert login.logins == 1
    assert refused_polls(login) >= 5  # every second, each one a TypeError at the IdP's origin


def test_a_login_that_does_not_stick_reloads_the_holding_page_only_once_in_30_seconds(behind_login):
    login, aws = behind_login
    aws.healthy_after = 60.0  # the app stays down for the whole test
    with chromium() as driver:
        open_holding_page(driver, login)
        login.expire_sessions()
        WebDriverWait(driver, WAIT_S).until(lambda d: not marked(d), "the page did not reload")
        WebDriverWait(driver, WAIT_S).until(lambda d: d.find_elements(By.ID, "steps"))
        driver.execute_script(f"{MARK} = true;")
        polls = refused_polls(login)

        login.expire_sessions()  # the new session is no good either
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            time.sleep(0.5)

        assert marked(driver)  # no second reload
    assert login.logins == 2
    assert refused_polls(login) > polls + 2  # it goes on polling
