"""People and other clients in the twin, replaying a trace through the load balancer.

A row with a session is a person whose browser runs JavaScript: the holding page's script is carried out
exactly as waker/page.py's script does it (read its CONFIG, POST the wake with the token, poll the status
every second, reload once a poll is answered by anything but the waker, wake again if the app is seen
asleep, stop on a failure, and, if the page has it, the login check below), redirects 307 are followed as
browsers follow them (up to 20), and cookies are kept. A row without a session is a client that runs no
JavaScript: one request, no redirects.

A person's later requests are delayed by however long they waited for the app (the session shifts).

Login (an app whose rule authenticates, tests/twin/elb.py). A person with an `account` is a user of the
IdP: sent to the IdP's authorization endpoint (the load balancer's 302), they sign in (SIGN_IN_SECONDS,
ASSUMPTION), the load balancer sets its session cookie, and the browser asks for the page again; from then on
the browser sends the cookie with every request until the session times out. A visitor without an account
(anonymous) has no session cookie: the 302 (or a 401) is where they stop.

Only a navigation (a page load, a reload) signs in. A script's fetch that meets the load balancer's 302 follows
it to the IdP, another origin, whose answer carries no CORS headers: fetch rejects with a TypeError ("If
request's response tainting is "cors" and a CORS check for request and response returns failure, then return a
network error", Fetch standard, HTTP fetch; a network error rejects fetch()'s promise with a TypeError), and the
script learns nothing else (`fetch_rejected`). A page that checks the login (the runtime's login.js on a Dash
page, the holding page's script) then asks for its own URL with `redirect: "manual"`, which answers a redirect
as an "opaqueredirect" response ("manual: Retrieves an opaque-redirect filtered response when a request is met
with a redirect", Fetch standard, RequestRedirect), and reloads if that is a redirect or a 401, at most once per
30 s per tab (sessionStorage, shared by both scripts: `Person.may_reload_into_login`). A person whose Dash page
(a trace's callback row) meets an expired session is taken back through the login that way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.twin.elb import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from tests.twin.world import World

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
WAKER_HEADER = "X-ZeroDash-Waker"
MAX_REDIRECTS = 20  # what browsers follow
GIVE_UP_SECONDS = 20 * 60  # a person leaves a holding page that never finishes
# The runtime's login.js reloads into the login at most once per RELOAD_GAP_MS (read from the script it serves);
# the holding page's script by its CONFIG's reloadGapMs.
LOGIN_JS = Path(__file__).resolve().parents[2] / "zerodash_runtime" / "static" / "login.js"
LOGIN_JS_RELOAD_GAP_SECONDS = int(re.search(r"RELOAD_GAP_MS = (\d+);", LOGIN_JS.read_text()).group(1)) / 1000
_CONFIG = re.compile(r"var c = (\{.*?\}), lastWake")
SIGN_IN_SECONDS = (3.0, 10.0)  # ASSUMPTION: typing a password, or an IdP session that answers at once


@dataclass(frozen=True)
class Row:
    at: float  # seconds since the epoch
    session: str
    method: str
    path: str
    user_agent: str
    accept: str
    host: str = ""  # "" = the load balancer's name; "ip" = a bare address (scanners)


@dataclass
class Visits:
    """What people and other clients got, for the simulation's table and the properties."""

    human_requests: int = 0
    answered_at: list[float] = field(default_factory=list)  # when the app answered a person
    human_alb_errors: int = 0
    human_errors: list[tuple[float, str, int, str]] = field(default_factory=list)
    holding_pages: int = 0
    failure_pages: int = 0
    callbacks_unavailable: int = 0
    sessions_cut: int = 0
    cut_details: list[tuple[float, str]] = field(default_factory=list)
    wake_seconds: list[float] = field(default_factory=list)
    gave_up: int = 0
    other_requests: int = 0
    other_statuses: dict[int, int] = field(default_factory=dict)
    login_refusals: int = 0  # a person stopped by the login (no account): the load balancer's 302 or 401
    sign_ins: int = 0
    login_reloads: list[float] = field(default_factory=list)  # a page's script reloaded into the login


class Person:
    def __init__(
        self,
        world: World,
        visits: Visits,
        session: str,
        rows: Sequence[Row],
        idle_minutes: int,
        *,
        account: str | None = None,
    ) -> None:
        """`account`: the user name this person signs in with at the IdP; None: an anonymous visitor."""
        self.world, self.visits, self.session = world, visits, session
        self.account = account
        self.rows = rows
        self.cookies: dict[str, str] = {}
        self.idle_seconds = idle_minutes * 60
        self.last_answered: float | None = None  # when the app last answered this person
        self.page = "/"
        self.last_refusal: int | None = None  # the status of the last navigation the login stopped
        self.login_reload_at: float | None = None  # the tab's sessionStorage "zerodash:login-reload"

    def run(self) -> None:
        sim = self.world.sim
        shift = 0.0
        for row in self.rows:
            wait = row.at + shift - sim.time
            if wait > 0:
                sim.sleep(wait)
            started = sim.time
            if row.method == "GET" and "json" not in row.accept:
                self.open_page(row)
            else:
                self.callback(row)
            shift += max(0.0, sim.time - started - 1.0)

    # Pages ---------------------------------------------------------------------------------------------

    def open_page(self, row: Row) -> None:
        sim, visits = self.world.sim, self.visits
        self.page = row.path  # location.href from now on
        started, waited = sim.time, False  # waited: on a holding page, or after an error
        for _ in range(30):
            response = self.send(row, "GET", row.path, HTML)
            visits.human_requests += 1
            if response.source == "app":
                self.last_answered = sim.time
                visits.answered_at.append(sim.time)
                if waited:
                    visits.wake_seconds.append(sim.time - started)
                return
            if response.source == "waker" and response.status == 200 and 'http-equiv="refresh"' in response.body:
                sim.sleep(float(response.body.split('content="')[1].split('"')[0]))  # reloads by itself
                waited = True
                continue
            if response.source == "waker" and response.status == 200 and "<script>" in response.body:
                visits.holding_pages += 1
                waited = True
                if not self.run_holding_page(row, response.body):
                    return
                continue  # location.reload()
            if response.source == "waker" and response.status == 503:
                visits.failure_pages += 1
                return
            if self.refused_login(response):
                return
            self.alb_error(row, response)
            waited = True
            sim.sleep(sim.uniform(*self.world.timings.person_retry))

    def run_holding_page(self, row: Row, body: str) -> bool:
        """The page's script; True when it reloads the page, False when it stops (failure, gave up)."""
        sim = self.world.sim
        match = _CONFIG.search(body)
        assert match, "the holding page's script has no CONFIG"
        config = json.loads(match.group(1).replace("<\\/", "</"))
        checks_login = "opaqueredirect" in body  # the script's login check (waker/page.py)
        shown, last_wake = sim.time, sim.time
        accepted = self.post_wake(row, config, checks_login)
        if accepted is None:
            return True  # 403 (a fresh token), or into the login
        while sim.time - shown < GIVE_UP_SECONDS:
            sim.sleep(config["pollMs"] / 1000)
            response = self.send(row, "GET", config["statusUrl"], "*/*", fetch=True)
            if fetch_rejected(response):
                if checks_login and self.login_gone(row, config["reloadGapMs"] / 1000):
                    return True  # location.reload(): through the login
                continue  # the script's catch; it polls again
            if config["header"] not in response.headers:
                if 0 < response.status < 500:
                    return True
                continue
            try:
                status = json.loads(response.body)
            except json.JSONDecodeError:
                continue  # the script's r.json() fails, its catch ignores it, and it polls again
            if status.get("failed"):
                self.visits.failure_pages += 1
                return False
            again = status.get("state") == "SLEEPING" or not accepted  # the script reads it just as loosely
            if again and sim.time - last_wake > config["rewakeMs"] / 1000:
                last_wake = sim.time
                accepted = self.post_wake(row, config, checks_login)
                if accepted is None:
                    return True
        self.visits.gave_up += 1
        return False

    def post_wake(self, row: Row, config: dict, checks_login: bool = False) -> bool | None:
        """The script's wake request: accepted (202), not (any other answer), or None when the page reloads
        (403, or a rejected fetch whose login check finds the login gone)."""
        extra = {"x-zerodash-token": config["token"]}
        response = self.send(row, "POST", config["wakeUrl"], "*/*", extra=extra, fetch=True)
        if fetch_rejected(response):
            return None if checks_login and self.login_gone(row, config["reloadGapMs"] / 1000) else False
        if response.status == 403:
            return None
        return response.status == 202

    # The login check (login.js, and the holding page's script) ---------------------------------------------

    def login_gone(self, row: Row, gap: float) -> bool:
        """After a rejected fetch: GET the page's own URL with redirect "manual"; True when that is an opaque
        redirect or a 401 and the tab may reload (at most once per `gap` seconds)."""
        return login_gone(self.send(row, "GET", self.page, "*/*", fetch=True)) and self.may_reload_into_login(gap)

    def may_reload_into_login(self, gap: float) -> bool:
        """The scripts' sessionStorage rule: no reload within `gap` seconds of the last one (either script's)."""
        now = self.world.sim.time
        if self.login_reload_at is not None and 0 <= now - self.login_reload_at < gap:
            return False
        self.login_reload_at = now
        self.visits.login_reloads.append(now)
        return True

    # Callbacks -----------------------------------------------------------------------------------------

    def callback(self, row: Row) -> None:
        sim, visits = self.world.sim, self.visits
        visits.human_requests += 1
        response = self.send(row, row.method, row.path, row.accept, follow=True, fetch=True)
        if response.source == "app":
            self.last_answered = sim.time
            visits.answered_at.append(sim.time)
            return
        if response.source == "waker" and response.status == 503:
            visits.callbacks_unavailable += 1
            if self.last_answered is not None and sim.time - self.last_answered < self.idle_seconds:
                visits.sessions_cut += 1
                visits.cut_details.append((sim.time, self.session))
            # The tab shows stale data; the person reloads the page, which wakes the app.
            self.open_page(Row(sim.time, row.session, "GET", self.page, row.user_agent, "text/html", row.host))
            return
        if self.refused_login(response):
            return
        if self.account is not None and (fetch_rejected(response) or response.status == 401):
            # The Dash page's login.js (the runtime's, with LOGIN_REQUIRED): probe, then reload through the login.
            if self.login_gone(row, LOGIN_JS_RELOAD_GAP_SECONDS):
                self.open_page(Row(sim.time, row.session, "GET", self.page, row.user_agent, HTML, row.host))
            return
        self.alb_error(row, response)

    def refused_login(self, response: HttpResponse) -> bool:
        """The load balancer's login stopped this visitor (no account, or a deny rule)."""
        if response.source == "alb" and response.status in (302, 401) and self.account is None:
            self.visits.login_refusals += 1
            self.last_refusal = response.status
            return True
        return False

    def alb_error(self, row: Row, response: HttpResponse) -> None:
        self.visits.human_alb_errors += 1
        self.visits.human_errors.append((self.world.sim.time, row.path, response.status, response.body[:80]))

    # The wire --------------------------------------------------------------------------------------------

    def send(
        self,
        row: Row,
        method: str,
        path: str,
        accept: str,
        *,
        extra: dict | None = None,
        follow: bool = False,
        fetch: bool = False,
    ) -> HttpResponse:
        """One request and the redirects the browser follows: 307 with `follow`; the login's 302 unless `fetch`
        (a navigation: the person signs in at the IdP). A script's `fetch` gets the 302 back, for
        `fetch_rejected`."""
        headers = {"user-agent": row.user_agent or BROWSER, "accept": accept, **(extra or {})}
        if method == "POST":
            headers["content-type"] = "application/json"
        response = HttpResponse(status=0)
        for _ in range(MAX_REDIRECTS + 1):
            request = HttpRequest(
                method=method,
                path=path,
                host=self.world.host if row.host != "ip" else "198.51.100.7",
                headers=headers,
                cookies=dict(self.cookies),
            )
            response = self.world.request(request)
            self.cookies.update(response.set_cookies)
            if not fetch and self.signed_in(response):
                continue  # the load balancer sends the browser back to the same URL
            if not (follow and response.status == 307):
                return response
            path = response.headers["Location"]
        return response

    def signed_in(self, response: HttpResponse) -> bool:
        """Sent to the IdP: a person with an account signs in and gets the load balancer's session cookie."""
        if not (response.source == "alb" and response.status == 302 and self.account is not None):
            return False
        sim = self.world.sim
        sim.sleep(sim.uniform(*SIGN_IN_SECONDS))
        self.cookies.update(self.world.elb.sign_in(response.headers["Location"], self.account))
        self.visits.sign_ins += 1
        return True


def fetch_rejected(response: HttpResponse) -> bool:
    """A script's fetch that rejects with a TypeError: the load balancer's login sent it to the IdP (the 302;
    the IdP's origin answers without CORS headers), or no answer at all (status 0)."""
    return response.status == 0 or (response.source == "alb" and response.status == 302)


def login_gone(probe: HttpResponse) -> bool:
    """The login check's verdict on its probe (fetch of the page's URL, redirect "manual"): an opaque redirect
    (any 3xx) or a 401."""
    return 300 <= probe.status < 400 or probe.status == 401


def client(world: World, visits: Visits, row: Row) -> None:
    """One request from a client that runs no JavaScript and follows no redirect."""
    headers = {"user-agent": row.user_agent, "accept": row.accept}
    request = HttpRequest(
        method=row.method,
        path=row.path,
        host=world.host if row.host != "ip" else "198.51.100.7",
        headers=headers,
    )
    response = world.request(request)
    visits.other_requests += 1
    visits.other_statuses[response.status] = visits.other_statuses.get(response.status, 0) + 1


def replay(
    world: World, rows: Sequence[Row], *, idle_minutes: int = 15, accounts: Callable[[str], str | None] | None = None
) -> Visits:
    """Start an actor per session and per sessionless row at their times; run the simulation separately.

    `accounts`: the IdP user a session signs in as (None: anonymous); by default every session is anonymous.
    """
    visits = Visits()
    sessions: dict[str, list[Row]] = {}
    for row in rows:
        if row.session:
            sessions.setdefault(row.session, []).append(row)
        else:
            world.sim.spawn(
                "client", lambda row=row: client(world, visits, row), delay=row.at - world.sim.time, client="other"
            )
    for session, session_rows in sessions.items():
        account = accounts(session) if accounts is not None else None
        person = Person(world, visits, session, session_rows, idle_minutes, account=account)
        world.sim.spawn(f"person {session}", person.run, delay=session_rows[0].at - world.sim.time, client="human")
    return visits
