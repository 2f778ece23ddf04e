"""Properties of the scale-to-zero loop on the AWS twin, over random traces, timings and faults (hypothesis).

Each example is a few hours of one app: people (who run JavaScript) opening the page and clicking with
gaps of seconds to half an hour, scanners (who do not) probing at random, the twin's timings drawn from a
random seed, and injected throttling, server errors and stalled calls. The real scaler and waker run
unchanged. HYPOTHESIS_PROFILE=long runs many more examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from common.lifecycle import DOZE_MINUTES, State
from tests.twin.api import Faults
from tests.twin.browser import BROWSER, HTML, Row, replay
from tests.twin.helpers import START
from tests.twin.lambdas import capture_logs
from tests.twin.observer import Observer
from tests.twin.world import AppSetup, World

settings.register_profile(
    "default", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
settings.register_profile("long", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

T0 = START.timestamp()
IDLE_MINUTES = 15
SCANNER_AGENTS = (BROWSER, "Mozilla/5.0 zgrab/0.x", "", "Mozilla/5.0 (compatible; CensysInspect/1.1)")

gaps = st.one_of(
    st.floats(2, 120),  # clicking around
    st.floats(10 * 60, 20 * 60),  # around the idle window
    st.floats(20 * 60, 45 * 60),  # a tab left open
)


@st.composite
def sessions(draw, name: str) -> list[Row]:
    at = T0 + draw(st.floats(0, 3 * 3600))
    rows = [Row(at, name, "GET", "/", BROWSER, HTML)]
    for _ in range(draw(st.integers(0, 12))):
        at += draw(gaps)
        if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
            rows.append(Row(at, name, "GET", "/", BROWSER, HTML))
        else:
            rows.append(Row(at, name, "POST", "/_dash-update-component", BROWSER, "application/json"))
    return rows


@st.composite
def scanners(draw) -> list[Row]:
    rows = []
    for _ in range(draw(st.integers(0, 30))):
        method = draw(st.sampled_from(["GET", "POST", "HEAD"]))
        path = draw(st.sampled_from(["/", "/.env", "/wp-login.php", "/_zerodash/wake", "/_dash-update-component"]))
        rows.append(
            Row(
                T0 + draw(st.floats(0, 4 * 3600)),
                "",
                method,
                path,
                draw(st.sampled_from(SCANNER_AGENTS)),
                draw(st.sampled_from(["*/*", HTML, "application/json"])),
                draw(st.sampled_from(["", "ip"])),
            )
        )
    return rows


faults = st.builds(
    Faults,
    throttle=st.sampled_from([0.0, 0.05, 0.2]),
    server_error=st.sampled_from([0.0, 0.02]),
    slow=st.sampled_from([0.0, 0.02]),
)


@st.composite
def worlds(draw):
    people = [row for index in range(draw(st.integers(1, 4))) for row in draw(sessions(f"p{index}"))]
    return draw(st.integers(0, 10**6)), people, draw(scanners()), draw(faults)


_RUNS: dict[str, tuple] = {}


def simulate(seed: int, people: list[Row], others: list[Row], injected: Faults):
    """One run per example: the properties below draw the same (derandomized) examples, so each runs once."""
    key = repr((seed, people, others, injected))
    if key not in _RUNS:
        _RUNS[key] = _simulate(seed, people, others, injected)
    return _RUNS[key]


def _simulate(seed: int, people: list[Row], others: list[Row], injected: Faults):
    world = World(start=START, apps=(AppSetup(idle_minutes=IDLE_MINUTES),), seed=seed, faults=injected)
    observer = Observer(world).start()
    end = max(row.at for row in people + others) + 2 * 3600
    with capture_logs(world):
        visits = replay(world, sorted(people + others, key=lambda row: row.at), idle_minutes=IDLE_MINUTES)
        world.sim.run_until(end)
    assert world.sim.crashed == [], [actor.error for actor in world.sim.crashed]
    return world, visits, observer


def same_examples(test):
    """The same examples for every property (one seed), so each simulation runs once."""
    return seed(20240304)(given(worlds())(test))


@same_examples
def test_every_human_request_is_answered_by_the_app_or_the_waker_never_an_alb_error(case):
    _, visits, _ = simulate(*case)

    assert visits.human_alb_errors == 0, visits.human_errors


@same_examples
def test_no_sleep_within_idle_minutes_of_a_request_the_app_answered(case):
    world, visits, _ = simulate(*case)

    for event in world.events:
        if event.kind == "desired" and event.details["after"] == 0:
            before = [moment for moment in visits.answered_at if moment <= event.time]
            assert not before or event.time - max(before) >= IDLE_MINUTES * 60


@same_examples
def test_no_session_is_cut_off_and_every_visit_ends_on_the_app(case):
    _, visits, _ = simulate(*case)

    assert visits.sessions_cut == 0, visits.cut_details
    assert visits.gave_up == 0 and visits.failure_pages == 0


@same_examples
def test_no_request_without_javascript_starts_a_task(case):
    world, _, _ = simulate(*case)

    woken = [event for event in world.events if event.kind == "desired" and event.details["before"] == 0]
    assert all(event.details.get("client") in ("human", None) for event in woken)


@same_examples
def test_no_state_outlasts_its_bound(case):
    world, _, observer = simulate(*case)
    app = world.apps["dashboard"]
    slack = 3 * 60  # up to three scaler runs lost to injected faults

    wake_bound = max(120, 4 * app.setup.expected_start_seconds)
    assert observer.longest("dashboard", State.WAKING) <= wake_bound + 60 + slack
    assert observer.longest("dashboard", State.DOZING) <= DOZE_MINUTES * 60 + 60 + slack
