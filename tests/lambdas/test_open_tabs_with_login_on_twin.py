"""Open tabs on an app behind the load balancer's login, on the AWS twin with the real scaler and waker (issue 10).

A signed-in person keeps a Dash tab open for a month and works in it on weekdays; the login's session (SessionTimeout)
is short, so it ends again and again while the tab is open, with the app awake, dozing or asleep. Once it has ended
the load balancer answers every callback POST with a 302 to the IdP; fetch follows it to the IdP's origin, which
sends no CORS headers, and the callback fails with a TypeError (tests/twin/tabs.py, tests/twin/browser.py). The
runtime's login.js (LOGIN_REQUIRED=1 with `auth`) then probes the page's URL without following redirects, sees the
redirect and reloads: the person signs in at the IdP and lands on the app, or on the waker's holding page if the app
sleeps, which wakes it. Without login.js the tab stays frozen. Visitors without an account leave tabs open too:
they never get further than the login, so they never reach the waker or the app, and never wake it.

The holding page's own script does the same when the session ends while it waits (waker/page.py).
"""

from __future__ import annotations

import itertools
import random
import statistics
from dataclasses import dataclass

import pytest

import waker.page
from common.lifecycle import State
from tests.twin.browser import BROWSER, HTML, SIGN_IN_SECONDS, Person, Row, Visits
from tests.twin.helpers import START, wakes
from tests.twin.lambdas import capture_logs
from tests.twin.observer import Observer
from tests.twin.tabs import LOGIN_JS_RELOAD_GAP_SECONDS, DashTab, Exchange
from tests.twin.world import AppSetup, World

T0 = START.timestamp()
DAY = 86400.0
DAYS = 30
SESSION_MINUTES = 90  # SessionTimeout 5400 s: it ends several times a working day
APP = AppSetup(auth="oidc", session_minutes=SESSION_MINUTES)
POLL_SECONDS = 30.0
WAKE_SECONDS = 120  # a generous bound on one wake from the holding page (the loop tests measure it)
# From a callback that failed because the session had ended to a callback the app answers again: the probe and the
# reload (well under a second), the sign-in at the IdP (SIGN_IN_SECONDS), a wake if the app sleeps (WAKE_SECONDS),
# and the new page's first interval tick (POLL_SECONDS; the reloaded page counts as attended).
RECOVERY_SECONDS = SIGN_IN_SECONDS[1] + WAKE_SECONDS + POLL_SECONDS + 5
ANONYMOUS_PER_DAY = 4


def run_until(world: World, moment: float) -> None:
    with capture_logs(world):
        world.sim.run_until(moment)
    assert world.sim.crashed == [], [actor.error for actor in world.sim.crashed]


@dataclass(frozen=True)
class Schedule:
    inputs: list[float]
    hidden: list[tuple[float, float]]


def working_month(days: int, rng: random.Random) -> Schedule:
    """Weekdays: one to three spells of work between 08:00 and 18:00, 10 to 150 minutes long, a click every one to
    four minutes; the tab is in the background from 19:00 to 08:00. Sessions of 90 minutes end inside long spells
    (the app awake) and between spells (the app asleep or dozing)."""
    inputs, hidden = [], []
    for day in range(days):
        midnight = T0 + day * DAY - START.hour * 3600
        hidden.append((midnight + 19 * 3600, midnight + DAY + 8 * 3600))
        if (START.weekday() + day) % 7 >= 5:
            continue
        starts = sorted(rng.uniform(8 * 3600, 17 * 3600) for _ in range(rng.randint(1, 3)))
        for start in starts:
            at, end = midnight + start, midnight + start + rng.uniform(10, 150) * 60
            while at < min(end, midnight + 18.5 * 3600):
                inputs.append(at)
                at += rng.uniform(60, 240)
    return Schedule(inputs=sorted(set(inputs)), hidden=hidden)


def anonymous_tabs(world: World, days: int, rng: random.Random) -> list[DashTab]:
    """Visitors without an account open the app's URL day and night (some while alice has it awake), leave the tab
    open, and try again twice (an input on the IdP's page loads the app's URL again)."""
    tabs = []
    for index in range(days * ANONYMOUS_PER_DAY):
        opened = T0 + rng.uniform(60, days * DAY - 3600)
        inputs = [opened + rng.uniform(30, 600), opened + rng.uniform(600, 1800)]
        tabs.append(
            DashTab(
                world, session=f"anon{index}", opened_at=opened, poll_seconds=POLL_SECONDS, inputs=inputs,
                client="anonymous",
            )
        )  # fmt: skip
    return tabs


def callbacks(tab: DashTab) -> list[Exchange]:
    return tab.log.of("poll", "input")


def rejected(tab: DashTab) -> list[Exchange]:
    """Callbacks whose fetch was rejected at the IdP's origin (a TypeError): the session had ended."""
    return [item for item in callbacks(tab) if item.source == "idp"]


def answered(tab: DashTab) -> list[Exchange]:
    return [item for item in callbacks(tab) if item.source == "app"]


@dataclass(frozen=True)
class Episode:
    """From the first callback a dead session failed to the next callback the app answered."""

    failed_at: float
    failures: int
    recovered_at: float | None
    reloaded_at: float | None
    landed_on: str | None  # "app", or "waker" (the holding page, then the app)

    @property
    def seconds(self) -> float:
        return float("inf") if self.recovered_at is None else self.recovered_at - self.failed_at


def episodes(tab: DashTab) -> list[Episode]:
    failures, works = rejected(tab), [item.at for item in answered(tab)]
    reloads = sorted(tab.login_reloads)
    pages = tab.log.of("page")
    found, index = [], 0
    while index < len(failures):
        first = failures[index].at
        recovered = next((at for at in works if at > first), None)
        count = sum(1 for item in failures[index:] if recovered is None or item.at < recovered)
        reload = next((at for at in reloads if at >= first), None)
        page = next((item for item in pages if reload is not None and item.at >= reload), None)
        found.append(Episode(first, count, recovered, reload, None if page is None else _landing(tab, reload, page)))
        index += count
    return found


def _landing(tab: DashTab, reload: float | None, page: Exchange) -> str:
    """Where the reload landed: at once on the app (the page answered within the sign-in), or via the holding page."""
    assert reload is not None
    return "app" if page.at - reload <= SIGN_IN_SECONDS[1] + 2 else "waker"


# (a) A month: every expiry is followed by a reload and working callbacks, strangers never get past the login -----


@pytest.mark.parametrize("seed", [1, 2])
def test_a_month_with_short_sessions_an_open_tab_always_comes_back_through_the_login(seed):
    rng = random.Random(seed)
    world = World(start=START, apps=(APP,), seed=seed)
    work = working_month(DAYS, rng)
    tab = DashTab(
        world, session="alice", opened_at=T0 + 60, poll_seconds=POLL_SECONDS, inputs=work.inputs,
        hidden=work.hidden, account="alice",
    )  # fmt: skip
    strangers = anonymous_tabs(world, DAYS, rng)
    observer = Observer(world, every=60).start()
    end = T0 + DAYS * DAY

    run_until(world, end)

    assert tab.login_script  # the app authenticates: infra sets LOGIN_REQUIRED, the page has login.js
    found = episodes(tab)
    # The session ended under the open tab many times, with the app awake and with it asleep.
    assert len(found) >= 15, len(found)
    assert {item.landed_on for item in found} == {"app", "waker"}
    # (1) Never frozen: each expiry is followed, within RECOVERY_SECONDS, by a callback the app answers; the reload
    # comes at the first failure (login.js's probe saw the redirect), and one reload per expiry is enough.
    for item in found:
        assert item.recovered_at is not None and item.seconds <= RECOVERY_SECONDS, item
        assert item.reloaded_at is not None and item.reloaded_at - item.failed_at < 1, item
    assert len(tab.login_reloads) == len(found)
    assert tab.visits.sign_ins == len(found) + 1  # the first page load, then once per expiry
    # Every input after the first page load was answered by the app, or was the click that found the session gone,
    # or fell while a page was loading; every failure at the IdP's origin is one of the episodes' failures.
    assert sum(item.failures for item in found) == len(rejected(tab))
    assert tab.visits.human_alb_errors == 0 and tab.visits.failure_pages == 0 and tab.visits.gave_up == 0
    # (2) Strangers: their tabs stopped at the login every time, never reached the waker or the app, woke nothing.
    for stranger in strangers:
        assert {(item.status, item.source) for item in stranger.log.exchanges} == {(302, "alb")}, stranger.log
        assert stranger.visits.login_refusals == stranger.page_loads == 3
    awake_spells = [spell for spell in observer.spells["dashboard"] if spell.state is not State.SLEEPING]
    while_awake = [
        stranger for stranger in strangers
        if any(spell.start <= stranger.opened_at < spell.end for spell in awake_spells)
    ]  # fmt: skip
    assert while_awake  # some came while alice had the app awake (or waking, or dozing)
    assert {user for *_, user in world.elb.delivered} == {"alice"}
    assert wakes(world) and all(client == "human" for _, client in wakes(world))
    # (3) The app still sleeps when nobody works: awake at most for the work, plus idle + doze and a wake each spell.
    assert observer.state("dashboard") is State.SLEEPING
    awake = world.ecs.task_seconds(end)
    assert awake < 0.25 * DAYS * DAY

    report(seed, tab, found, strangers, while_awake, world, awake)


def report(
    seed: int,
    tab: DashTab,
    found: list[Episode],
    strangers: list[DashTab],
    while_awake: list[DashTab],
    world: World,
    awake: float,
) -> None:
    """The figures of the run (printed with -s)."""
    seconds = [item.seconds for item in found]
    on_app = [item.seconds for item in found if item.landed_on == "app"]
    via_waker = [item.seconds for item in found if item.landed_on == "waker"]
    print(
        f"\nseed {seed}: {len(tab.log.of('input'))} inputs, {len(answered(tab))} callbacks answered by the app; "
        f"{len(found)} expiries under the open tab ({len(rejected(tab))} callbacks rejected at the IdP), "
        f"{len(tab.login_reloads)} reloads by login.js, {tab.visits.sign_ins} sign-ins; recovery median "
        f"{statistics.median(seconds):.0f} s, max {max(seconds):.0f} s (bound {RECOVERY_SECONDS:.0f} s); "
        f"{len(on_app)} landed on the app (max {max(on_app):.0f} s), {len(via_waker)} via the holding page "
        f"(max {max(via_waker):.0f} s); {len(wakes(world))} wakes; strangers: {len(strangers)} tabs, "
        f"{sum(item.visits.login_refusals for item in strangers)} page loads stopped at the login "
        f"({len(while_awake)} tabs opened while the app was up); "
        f"awake {awake / 3600:.1f} h of {DAYS * 24} h"
    )


# (b) The control: without login.js the same tab freezes at the first expiry ---------------------------------------


def test_without_login_js_the_tab_freezes_at_the_first_expiry_and_stays_frozen():
    rng = random.Random(1)
    days = 7
    world = World(start=START, apps=(APP,), seed=1)
    work = working_month(days, rng)
    tab = DashTab(
        world, session="alice", opened_at=T0 + 60, poll_seconds=POLL_SECONDS, inputs=work.inputs,
        hidden=work.hidden, account="alice", login_script=False,
    )  # fmt: skip
    observer = Observer(world, every=60).start()

    run_until(world, T0 + days * DAY)

    failures = rejected(tab)
    assert failures, "the session never ended under the tab"
    frozen_at = failures[0].at
    # Nothing answered by the app after it, whatever the person did; every later click failed at the IdP's origin.
    assert [item for item in answered(tab) if item.at > frozen_at] == []
    later_inputs = [at for at in work.inputs if at > frozen_at - 1]  # the first failure may be a click
    assert len(later_inputs) > 50
    assert all(item.source == "idp" for item in failures)
    assert len([item for item in tab.log.of("input") if item.at > frozen_at - 1 and item.source == "idp"]) == len(
        later_inputs
    )
    assert tab.log.of("probe") == [] and tab.login_reloads == [] and tab.page_loads == 1
    assert tab.visits.sign_ins == 1
    # The app, left without requests, slept and was never woken again: the person's work was lost for the week.
    assert [at for at, _ in wakes(world) if at > frozen_at] == []
    assert observer.state("dashboard") is State.SLEEPING
    print(
        f"\nwithout login.js: frozen {(T0 + days * DAY - frozen_at) / 3600:.0f} h from the first expiry, "
        f"{len(later_inputs)} clicks lost"
    )


def test_the_reload_into_the_login_comes_at_most_once_per_30_seconds():
    """A login that does not stick (every session ends at once): login.js reloads once, then not again for 30 s."""
    world = World(start=START, apps=(APP,), seed=3)
    opened = T0 + 60
    tab = DashTab(world, session="alice", opened_at=opened, poll_seconds=5.0, inputs=[opened + 600], account="alice")
    run_until(world, opened + 300)
    assert answered(tab)
    ended = []

    def end_every_session() -> None:
        world.elb.sessions.clear()
        ended.append(world.sim.time)
        if world.sim.time < opened + 900:
            world.sim.after(1.0, end_every_session)

    world.sim.after(0, end_every_session)
    run_until(world, opened + 900)

    reloads = tab.login_reloads
    gaps = [later - earlier for earlier, later in itertools.pairwise(reloads)]
    print(f"\nsessions ended every second: {len(reloads)} reloads, gaps {min(gaps):.0f}-{max(gaps):.0f} s")
    assert LOGIN_JS_RELOAD_GAP_SECONDS == 30
    assert len(reloads) >= 10 and min(gaps) >= LOGIN_JS_RELOAD_GAP_SECONDS


# (c) The holding page's script, when the session ends while it waits ---------------------------------------------

OLD_SCRIPT = waker.page._SCRIPT.replace(
    'r.type !== "opaqueredirect" && r.status !== 401', "true"
)  # the script before its login check: it never reloads after a rejected fetch


@pytest.mark.parametrize("checks_login", [True, False])
def test_a_session_that_ends_on_the_holding_page_is_renewed_and_the_page_reaches_the_app(checks_login, monkeypatch):
    if not checks_login:
        monkeypatch.setattr(waker.page, "_SCRIPT", OLD_SCRIPT)
        assert "opaqueredirect" not in waker.page._SCRIPT
    world = World(start=START, apps=(APP,), seed=2)
    opened = T0 + 60
    visits = Visits()
    person = Person(world, visits, "alice", [Row(opened, "alice", "GET", "/", BROWSER, HTML)], 15, account="alice")
    world.sim.spawn("alice", person.run, delay=opened - world.sim.time, client="human")
    # The session ends while the page waits for the wake (after the sign-in, before the app can be up).
    world.sim.at(opened + SIGN_IN_SECONDS[1] + 5, world.elb.sessions.clear)

    run_until(world, opened + 30 * 60)

    assert visits.holding_pages >= 1 and wakes(world)
    if checks_login:
        assert len(visits.login_reloads) == 1 and visits.sign_ins == 2
        assert len(visits.answered_at) == 1 and visits.answered_at[0] - opened < WAKE_SECONDS + SIGN_IN_SECONDS[1]
        assert visits.gave_up == 0
    else:
        # Every poll fails at the IdP's origin, the page never learns that the app is up: the person gives up.
        assert visits.login_reloads == [] and visits.sign_ins == 1
        assert visits.answered_at == [] and visits.gave_up == 1
