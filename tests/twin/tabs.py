"""Open tabs in the twin: a person opens an app, works in it, then leaves the tab open.

What counts as activity. The scaler reads one number per app: the load balancer's RequestCount of the
app's service target group, per minute. RequestCount "is only incremented for requests where the load
balancer node was able to choose a target" (ALB CloudWatch metrics); the twin counts every HTTP request
routed to a target (tests/twin/elb.py). So an open tab keeps its app awake exactly as long as it sends
HTTP requests through the load balancer, and nothing else it does (timers, sockets held open, a person
reading the page) is seen.

Three kinds of tab:

DashTab, attention rule on (the runtime's script, zerodash_runtime): a dcc.Interval fires every
`poll_seconds`; while somebody looks at the page (visible, and an input within ATTENTION_SECONDS) each
tick is a `_dash-update-component` POST through the load balancer; otherwise the script answers the tick
in the page with a local 204 and nothing goes on the wire. An input (pointer, key, touch, scroll) is
modelled as a click that fires a callback at once, and makes the page attended again.

DashTab, attention rule off (`attention=None`): what a plain Dash app does, every tick goes out, forever.
Hidden tabs are throttled by the browser, not stopped: in Chrome "a timer task ... can run ... on a
1-minute aligned wake up" once "a Window whose top Window has been hidden for 5 minutes" runs a chained
timer (chromestatus "Intensive throttling of Javascript timer wake ups", shipped in Chrome 88; the Chrome
blog post "Heavy throttling of chained JS timers beginning in Chrome 88": setInterval's iterations are a
chain). Before 5 minutes hidden the 1-second alignment changes nothing for intervals of seconds. So a
hidden plain tab still polls about once a minute, enough to keep any idle window of minutes from running.

BokehTab: a Bokeh server page. The page and its scripts are HTTP requests; then the page opens one
WebSocket: "You can upgrade an existing HTTP/1.1 connection into a WebSocket (ws or wss) connection ...
When you upgrade, the TCP connection used for requests (to the load balancer as well as to the target)
becomes a persistent WebSocket connection between the client and the target through the load balancer"
(ALB listeners, WebSockets). The upgrade is one request, counted once when the socket opens; the ALB
metrics documentation says nothing about WebSocket frames, and none of its metrics counts them as
requests (ASSUMPTION: frames and pings are not requests, as the Bokeh example's serve.py also states).
Bokeh's server pings every 37 s (bokeh.server.tornado DEFAULT_KEEP_ALIVE_MS), inside the ALB's 60 s
idle timeout, so the socket stays open until its task stops: it closes at the task's stop (after the
target's deregistration delay). Then BokehJS 3.9 (examples/bokeh pins bokeh==3.9.2; bokehjs
ClientConnection) tries to reconnect: MAX_RECONNECTION_ATTEMPTS = 5, delays 0, 2, 4, 8, 16 s
(RECONNECT_BASE_DELAY 1000 ms * 2**retry, the first at once), each attempt a new upgrade request; after
the fifth failure it gives up and shows the "connection lost" notification. A person's interactions go
over the socket: nothing the load balancer counts. So the Bokeh example's page sends a presence request
itself (examples/bokeh/sliders.py PRESENCE_JS): a GET of <prefix>health every PRESENCE_EVERY_SECONDS while
the page is attended (the attention rule above), which the tab here sends too (`presence=False`: a Bokeh
page without it).

The WebSocket handshake is sent as Chrome sends it: GET with `Upgrade: websocket`, `Sec-Fetch-Mode:
websocket`, no Accept header, the cookies (AWSALB); it follows no redirect (a 3xx fails the handshake).
Any answer from the app is taken as 101 Switching Protocols; any other answer fails it.

Login (an app whose rule authenticates, tests/twin/elb.py). A tab belongs to a person with an `account`
(signed in at the IdP when the page loads, as browser.Person signs in) or to an anonymous visitor (None). An
anonymous tab's page load stops at the login (the IdP's page): it holds no Dash page, so it has no interval and
sends no callback; each input there is the visitor loading the app's URL again, stopped again. A signed-in tab's
session ends after SessionTimeout while the page stays open; from then on the load balancer answers every
callback POST with a 302 to the IdP, which fetch follows to the IdP's origin; that answer carries no CORS
headers, so the fetch rejects with a TypeError (browser.fetch_rejected; logged as status 0 from "idp"). Dash
shows no error for a failed callback in production and the page simply stops updating (ASSUMPTION: the person
does not reload it by hand; tests/e2e/test_login_expiry.py shows the failure in Chromium). With the runtime's
login.js (`login_script`; LOGIN_REQUIRED=1, which infra sets on every app with `auth`, so by default the twin
gives it to tabs of apps that authenticate), carried out as zerodash_runtime/static/login.js does it: on a
TypeError or a 401 from a same-origin fetch, unless a check is under way, GET the page's URL with `redirect:
"manual"` (logged as "probe"); an opaque redirect (any 3xx) or a 401 there reloads the page, at most once per
LOGIN_JS_RELOAD_GAP_SECONDS (read from login.js) per tab, remembered across reloads (browser.Person.login_reload_at,
the sessionStorage key the holding page shares). The reload is a navigation: the load balancer's 302, the person
signs in at the IdP, and the page lands on the app, or on the waker's holding page if the app sleeps, which
wakes it and reloads onto it. Inputs made while a page is loading do nothing (the person waits for it).

After the app fell asleep, a person who comes back to a Dash tab clicks: the callback reaches the waker
(a CALLBACK, waker/classify.py), which resends it (307, followed by fetch with method and body kept) while
the tasks still run, or answers a JSON 503 with Retry-After once they stopped. Dash keeps the page as it
was; the person then reloads the page (ASSUMPTION, as browser.Person does, after Timings.person_retry),
which shows the holding page, whose script wakes the app; polling starts again with the new page.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.twin.browser import (
    BROWSER,
    HTML,
    LOGIN_JS_RELOAD_GAP_SECONDS,
    MAX_REDIRECTS,
    Person,
    Row,
    Visits,
    fetch_rejected,
    login_gone,
)
from tests.twin.ecs import FOREVER, Task
from tests.twin.elb import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from tests.twin.world import World

from zerodash_runtime.settings import DEFAULT_ATTENTION_SECONDS as ATTENTION_SECONDS

JSON = "application/json"
CALLBACK_PATH = "_dash-update-component"
# Chrome's intensive wake-up throttling (see the module docstring).
HIDDEN_BEFORE_INTENSIVE_THROTTLING = 5 * 60.0
INTENSIVE_WAKE_UP_SECONDS = 60.0
# BokehJS 3.9 ClientConnection: attempts and back-off (see the module docstring).
BOKEH_RECONNECT_DELAYS = (0.0, 2.0, 4.0, 8.0, 16.0)
BOKEH_SOCKET_CHECK_SECONDS = 5.0  # how often the twin looks whether the socket's task has stopped
BOKEH_ASSETS = ("static/js/bokeh.min.js", "static/js/bokeh-widgets.min.js", "static/js/bokeh-tables.min.js")
PRESENCE_EVERY_SECONDS = 60.0  # examples/bokeh/sliders.py


@dataclass(frozen=True)
class Exchange:
    """One thing the tab sent and what came back (`local`: answered in the page, nothing on the wire)."""

    at: float
    kind: str  # "page", "input", "poll", "local", "probe", "asset", "presence", "ws-open", "ws-retry", "ws-closed"
    status: int  # 0: fetch rejected (a TypeError)
    source: str  # "app", "waker", "alb", "page", or "idp" (a fetch sent to the IdP's origin: rejected)


@dataclass
class TabLog:
    exchanges: list[Exchange] = field(default_factory=list)

    def of(self, *kinds: str) -> list[Exchange]:
        return [item for item in self.exchanges if item.kind in kinds]

    def answered_by_app(self) -> list[Exchange]:
        return [item for item in self.exchanges if item.source == "app"]

    @property
    def last_app_request(self) -> float | None:
        """When the app last answered this tab (what RequestCount saw last)."""
        answered = self.answered_by_app()
        return answered[-1].at if answered else None


class DashTab:
    """A Dash page with a dcc.Interval, open from `opened_at` until `closed_at` (seconds since the epoch).

    `inputs`: when the person touches the page (each fires a callback); `hidden`: (from, to) spells when the
    tab is in the background. `attention=None` is a plain Dash app (no attention script). `account`: the IdP
    user the person signs in as (None: anonymous); `login_script`: the page carries the runtime's login.js (by
    default when the app authenticates, as infra sets LOGIN_REQUIRED); `client`: the actors' client tag.
    """

    def __init__(
        self,
        world: World,
        *,
        session: str = "tab",
        path: str = "/",
        opened_at: float,
        poll_seconds: float = 30.0,
        attention: float | None = ATTENTION_SECONDS,
        inputs: Sequence[float] = (),
        hidden: Sequence[tuple[float, float]] = (),
        closed_at: float = FOREVER,
        account: str | None = None,
        login_script: bool | None = None,
        client: str = "human",
    ) -> None:
        self.world, self.path = world, path
        self.opened_at, self.closed_at = opened_at, closed_at
        self.poll_seconds, self.attention = poll_seconds, attention
        self.hidden = list(hidden)
        self.visits = Visits()
        self.person = Person(world, self.visits, session, (), idle_minutes=15, account=account)
        self.login_script = authenticates(world, path) if login_script is None else login_script
        self.client = client
        self.log = TabLog()
        self.last_input = opened_at
        self.page_loads = 0
        self.on_dash_page = False  # the Dash page is loaded (not the IdP's page, not loading)
        self.loading = False
        self._probing = False  # login.js's `probing`
        self._page = 0  # the page's generation: a reload starts a new interval timer
        world.sim.spawn(f"tab {session}", self._open, delay=opened_at - world.sim.time, client=client)
        for moment in inputs:
            self.input_at(moment)

    @property
    def login_reloads(self) -> list[float]:
        """When login.js (or the holding page's login check) reloaded the page into the login."""
        return self.visits.login_reloads

    # What the person does ---------------------------------------------------------------------------

    def input_at(self, moment: float) -> None:
        """The person clicks in the page at `moment` (the tab comes to the front if it was hidden)."""
        self.world.sim.spawn("input", self._input, delay=moment - self.world.sim.time, client=self.client)

    def hide(self, start: float, end: float = FOREVER) -> None:
        self.hidden.append((start, end))

    # The page ------------------------------------------------------------------------------------------

    def visible(self, moment: float) -> bool:
        return not any(start <= moment < end for start, end in self.hidden)

    def hidden_since(self, moment: float) -> float | None:
        return next((start for start, end in self.hidden if start <= moment < end), None)

    def attended(self, moment: float) -> bool:
        """The attention script's rule: visible, and an input within `attention` seconds."""
        if self.attention is None:
            return True
        return self.visible(moment) and moment - self.last_input < self.attention

    def _open(self) -> None:
        page = self._load_page()
        if self.on_dash_page:
            self._poll(page)

    def _load_page(self) -> int:
        """Load (or reload) the page; the previous page's interval timer ends at once. The new page's number."""
        sim, visits = self.world.sim, self.visits
        self._page += 1
        page = self._page
        self.on_dash_page, self.loading = False, True
        row = Row(sim.time, self.person.session, "GET", self.path, BROWSER, HTML)
        answered, refused = len(visits.answered_at), visits.login_refusals
        self.person.open_page(row)  # the login, and the holding page and its script if the app sleeps
        if visits.login_refusals > refused:  # the IdP's page: no Dash page in this tab
            self.log.exchanges.append(Exchange(sim.time, "page", self.person.last_refusal or 302, "alb"))
        else:
            source = "app" if len(visits.answered_at) > answered else "waker"
            self.log.exchanges.append(Exchange(sim.time, "page", 200 if source == "app" else 503, source))
            self.on_dash_page = True
        self.loading = False
        self.page_loads += 1
        self.last_input = sim.time  # the page was just (re)loaded by the person
        return page

    def _reload(self) -> None:
        """location.reload() (or the person's), from any actor: a new page, and its interval timer."""
        page = self._load_page()
        if self.on_dash_page:
            self.world.sim.spawn("interval", lambda: self._poll(page), client=self.client)

    def _poll(self, page: int) -> None:
        """The interval timer of one page load; a reload starts a new one and this one ends."""
        sim = self.world.sim
        next_tick = sim.time + self.poll_seconds
        while page == self._page:
            next_tick = self._throttled(next_tick)
            if next_tick >= self.closed_at:
                return
            sim.sleep(next_tick - sim.time)
            if page != self._page:
                return
            if self.attended(sim.time):
                self._callback("poll")
            else:
                self.log.exchanges.append(Exchange(sim.time, "local", 204, "page"))
            next_tick = max(next_tick + self.poll_seconds, sim.time)

    def _throttled(self, moment: float) -> float:
        """When a timer due at `moment` runs: on a 1-minute aligned wake-up once hidden for 5 minutes."""
        since = self.hidden_since(moment)
        if since is None or moment - since < HIDDEN_BEFORE_INTENSIVE_THROTTLING:
            return moment
        return math.ceil(moment / INTENSIVE_WAKE_UP_SECONDS) * INTENSIVE_WAKE_UP_SECONDS

    def _input(self) -> None:
        sim = self.world.sim
        if sim.time >= self.closed_at or self.loading:
            return
        if not self.on_dash_page:  # on the IdP's page: the visitor opens the app's URL again
            self._reload()
            return
        self.hidden = [
            (start, min(end, sim.time)) if start <= sim.time < end else (start, end) for start, end in self.hidden
        ]
        self.last_input = sim.time
        self._callback("input")

    def _callback(self, kind: str) -> None:
        sim = self.world.sim
        response = self._fetch(kind)
        if fetch_rejected(response) or response.status == 401:
            # The callback failed and the page shows nothing; only login.js acts on it.
            if self.login_script:
                self._check_login()
            return
        if response.source != "app" and kind == "input":
            # Nothing updates; the person reloads the page (the waker's 503 says so), which wakes the app.
            sim.sleep(sim.uniform(*self.world.timings.person_retry))
            if not self.loading:
                self._reload()

    def _check_login(self) -> None:
        """login.js checkLogin: the page's URL without following redirects; reload if the login is gone."""
        if self._probing:
            return
        self._probing = True
        row = Row(self.world.sim.time, self.person.session, "GET", self.path, BROWSER, "*/*")
        probe = self.person.send(row, "GET", self.path, "*/*", fetch=True)
        self.log.exchanges.append(Exchange(self.world.sim.time, "probe", probe.status, probe.source))
        self._probing = False
        if login_gone(probe) and not self.loading and self.person.may_reload_into_login(LOGIN_JS_RELOAD_GAP_SECONDS):
            self._reload()

    def _fetch(self, kind: str) -> HttpResponse:
        """Dash's callback POST; fetch follows a 307 with method and body kept, and the login's 302 to the IdP,
        where it is rejected (a TypeError: the IdP sends no CORS headers). Every hop is logged."""
        sim, person = self.world.sim, self.person
        path = self.path + CALLBACK_PATH
        headers = {"user-agent": BROWSER, "accept": JSON, "content-type": JSON}
        response = HttpResponse(status=0)
        for _ in range(MAX_REDIRECTS + 1):
            request = HttpRequest("POST", path, self.world.host, dict(headers), cookies=dict(person.cookies))
            response = self.world.request(request)
            person.cookies.update(response.set_cookies)
            self.log.exchanges.append(Exchange(sim.time, kind, response.status, response.source))
            if fetch_rejected(response):
                self.log.exchanges.append(Exchange(sim.time, kind, 0, "idp" if response.status else "page"))
                break
            if response.status != 307:
                break
            path = response.headers["Location"]
        return response


def authenticates(world: World, path: str) -> bool:
    """Whether the app serving `path` has a login (infra then sets LOGIN_REQUIRED=1: the page has login.js)."""
    return any(app.setup.auth is not None and fnmatch.fnmatchcase(path, app.setup.path) for app in world.apps.values())


class BokehTab:
    """A Bokeh server page: HTTP for the page and its scripts, then one WebSocket until the task stops."""

    def __init__(
        self,
        world: World,
        *,
        session: str = "bokeh",
        path: str = "/",
        opened_at: float,
        inputs: Sequence[float] = (),
        presence: bool = True,
        account: str | None = None,
    ) -> None:
        """`inputs`: when the person moves a slider (over the socket); `presence`: the page's presence request;
        `account`: the IdP user the person signs in as when the page loads (None: anonymous). The page has no
        login check: once the session ends its presence requests are rejected (the login's 302) and a lost
        socket cannot reconnect (the handshake meets the 302)."""
        self.world, self.path = world, path
        self.inputs = sorted(inputs)
        self.last_input = opened_at
        self.visits = Visits()
        self.person = Person(world, self.visits, session, (), idle_minutes=15, account=account)
        self.log = TabLog()
        self.task: Task | None = None  # the task the socket is connected to
        self.socket_closed_at: float | None = None
        self.gave_up_at: float | None = None  # Bokeh's "connection lost", no more attempts
        world.sim.spawn(f"bokeh {session}", self._run, delay=opened_at - world.sim.time, client="human")
        if presence:
            world.sim.spawn(f"presence {session}", self._presence, delay=opened_at - world.sim.time, client="human")

    def _presence(self) -> None:
        """The page's presence timer: a GET of <prefix>health each minute while the page is attended."""
        sim = self.world.sim
        while True:  # the page's timer runs as long as the page is open, socket or not
            sim.sleep(PRESENCE_EVERY_SECONDS)
            self.last_input = max([self.last_input, *(t for t in self.inputs if t <= sim.time)])
            if sim.time - self.last_input < ATTENTION_SECONDS:
                row = Row(sim.time, self.person.session, "GET", self.path + "health", BROWSER, "*/*")
                response = self.person.send(row, "GET", row.path, "*/*", fetch=True)
                self.log.exchanges.append(Exchange(sim.time, "presence", response.status, response.source))

    def _run(self) -> None:
        sim = self.world.sim
        self.person.open_page(Row(sim.time, self.person.session, "GET", self.path, BROWSER, HTML))
        self.log.exchanges.append(Exchange(sim.time, "page", 200, "app" if self.visits.answered_at else "waker"))
        for asset in BOKEH_ASSETS:
            row = Row(sim.time, self.person.session, "GET", self.path + asset, BROWSER, "*/*")
            response = self.person.send(row, "GET", row.path, "*/*", fetch=True)
            self.log.exchanges.append(Exchange(sim.time, "asset", response.status, response.source))
        if not self._connect("ws-open"):
            return
        while True:
            self._hold()
            for delay in BOKEH_RECONNECT_DELAYS:
                sim.sleep(delay)
                if self._connect("ws-retry"):
                    break
            else:
                self.gave_up_at = sim.time
                return

    def _connect(self, kind: str) -> bool:
        response = self._upgrade()
        sim = self.world.sim
        self.log.exchanges.append(
            Exchange(sim.time, kind, 101 if response.source == "app" else response.status, response.source)
        )
        if response.source != "app":
            return False
        ip = response.set_cookies.get("AWSALB")
        service_tasks = [app.service.tasks for app in self.world.apps.values()]
        self.task = next(
            task for tasks in service_tasks for task in tasks if task.target is not None and task.target.ip == ip
        )
        return True

    def _hold(self) -> None:
        """The socket stays open (Bokeh's pings keep it inside the ALB idle timeout) until its task stops."""
        sim = self.world.sim
        assert self.task is not None
        while sim.time < self.task.stop_at:
            if self.task.stop_at < FOREVER:
                sim.sleep(self.task.stop_at - sim.time)
            else:
                sim.sleep(BOKEH_SOCKET_CHECK_SECONDS)
        self.socket_closed_at = sim.time
        self.log.exchanges.append(Exchange(sim.time, "ws-closed", 1006, "alb"))

    def _upgrade(self) -> HttpResponse:
        person = self.person
        request = HttpRequest(
            method="GET",
            path=self.path + "ws",
            host=self.world.host,
            headers={
                "user-agent": BROWSER,
                "upgrade": "websocket",
                "connection": "Upgrade",
                "sec-fetch-mode": "websocket",
                "sec-websocket-version": "13",
            },
            cookies=dict(person.cookies),
        )
        response = self.world.request(request)
        person.cookies.update(response.set_cookies)
        return response
