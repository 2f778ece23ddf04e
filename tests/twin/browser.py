"""People and other clients in the twin, replaying a trace through the load balancer.

A row with a session is a person whose browser runs JavaScript: the holding page's script is carried out
exactly as waker/page.py's script does it (read its CONFIG, POST the wake with the token, poll the status
every second, reload once a poll is answered by anything but the waker, wake again if the app is seen
asleep, stop on a failure), redirects 307 are followed as browsers follow them (up to 20), and cookies
are kept. A row without a session is a client that runs no JavaScript: one request, no redirects.

A person's later requests are delayed by however long they waited for the app (the session shifts).

Login (an app whose rule authenticates, tests/twin/elb.py). A person with an `account` is a user of the
IdP: sent to the IdP's authorization endpoint (the load balancer's 302), they sign in (SIGN_IN_SECONDS,
ASSUMPTION), the load balancer sets its session cookie, and the browser asks for the page again; from then on
the browser sends the cookie with every request until the session times out. A visitor without an account
(anonymous) has no session cookie: the 302 (or a 401) is where they stop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.twin.elb import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from tests.twin.world import World

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
WAKER_HEADER = "X-ZeroDash-Waker"
MAX_REDIRECTS = 20  # what browsers follow
GIVE_UP_SECONDS = 20 * 60  # a person leaves a holding page that never finishes
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

    def run(self) -> None:
        sim = self.world.sim
        shift = 0.0
        for row in self.rows:
            wait = row.at + shift - sim.time
            if wait > 0:
                sim.sleep(wait)
            started = sim.time
            if row.method == "GET" and "json" not in row.accept:
                self.page = row.path
                self.open_page(row)
            else:
                self.callback(row)
            shift += max(0.0, sim.time - started - 1.0)

    # Pages ---------------------------------------------------------------------------------------------

    def open_page(self, row: Row) -> None:
        sim, visits = self.world.sim, self.visits
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
        shown, last_wake = sim.time, sim.time
        accepted = self.post_wake(row, config)
        if accepted is None:
            return True  # 403: the page reloads for a fresh token
        while sim.time - shown < GIVE_UP_SECONDS:
            sim.sleep(config["pollMs"] / 1000)
            response = self.send(row, "GET", config["statusUrl"], "*/*")
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
                accepted = self.post_wake(row, config)
                if accepted is None:
                    return True
        self.visits.gave_up += 1
        return False

    def post_wake(self, row: Row, config: dict) -> bool | None:
        """The script's wake request: accepted (202), not (any other answer), or None for 403 (reload)."""
        response = self.send(row, "POST", config["wakeUrl"], "*/*", extra={"x-zerodash-token": config["token"]})
        if response.status == 403:
            return None
        return response.status == 202

    # Callbacks -----------------------------------------------------------------------------------------

    def callback(self, row: Row) -> None:
        sim, visits = self.world.sim, self.visits
        visits.human_requests += 1
        response = self.send(row, row.method, row.path, row.accept, follow=True)
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
        self.alb_error(row, response)

    def refused_login(self, response: HttpResponse) -> bool:
        """The load balancer's login stopped this visitor (no account, or a deny rule)."""
        if response.source == "alb" and response.status in (302, 401) and self.account is None:
            self.visits.login_refusals += 1
            return True
        return False

    def alb_error(self, row: Row, response: HttpResponse) -> None:
        self.visits.human_alb_errors += 1
        self.visits.human_errors.append((self.world.sim.time, row.path, response.status, response.body[:80]))

    # The wire --------------------------------------------------------------------------------------------

    def send(
        self, row: Row, method: str, path: str, accept: str, *, extra: dict | None = None, follow: bool = False
    ) -> HttpResponse:
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
            if self.signed_in(response):
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
