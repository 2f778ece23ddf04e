"""Open tabs on the AWS twin, with the real scaler and waker: a tab nobody looks at must not keep its app awake.

How activity is counted: the scaler reads the load balancer's RequestCount of the app's service target group,
per minute, and puts the app to sleep (a doze of DOZE_MINUTES, then the tasks stop) after idleMinutes without
a request. So only HTTP requests through the load balancer count. The tabs are modelled in tests/twin/tabs.py
(the attention script's rule, Chrome's throttling of hidden tabs, Bokeh's WebSocket and its reconnects).

Default policy throughout: idleMinutes 15, minAwakeMinutes 5, one task.
"""

from __future__ import annotations

import itertools

import pytest

from common.lifecycle import DOZE_MINUTES, State
from tests.twin.browser import MAX_REDIRECTS
from tests.twin.helpers import START
from tests.twin.lambdas import capture_logs
from tests.twin.observer import Observer
from tests.twin.tabs import ATTENTION_SECONDS, INTENSIVE_WAKE_UP_SECONDS, BokehTab, DashTab
from tests.twin.world import AppSetup, World

T0 = START.timestamp()
IDLE_MINUTES = AppSetup().idle_minutes
POLL_SECONDS = 30.0
OPENED = T0 + 60  # the app is asleep: the page load goes through the holding page and wakes it
WORK_MINUTES = 20  # the person clicks once a minute for this long, then leaves the tab open
INPUTS = [OPENED + 60 * minute for minute in range(1, WORK_MINUTES + 1)]
LAST_INPUT = INPUTS[-1]
# From the last request to the tasks stopping: idleMinutes, the doze, and at most two minutes more (the
# request's minute ends, then the scaler runs once a minute). A datapoint published late (up to 3 minutes in
# the twin) is what the doze absorbs, so it adds nothing here.
SLEEP_AFTER_LAST_REQUEST = ((IDLE_MINUTES + DOZE_MINUTES) * 60, (IDLE_MINUTES + DOZE_MINUTES + 2) * 60)
WAKE_SECONDS = 120  # a generous bound on one wake from the holding page (the loop tests measure it)


def run_until(world: World, moment: float) -> None:
    with capture_logs(world):
        world.sim.run_until(moment)
    assert world.sim.crashed == [], [actor.error for actor in world.sim.crashed]


def desired_changes(world: World, after: float = 0.0) -> list[tuple[float, int, int]]:
    return [
        (event.time, event.details["before"], event.details["after"])
        for event in world.events
        if event.kind == "desired" and event.time >= after
    ]


def stopped_at(world: World, after: float) -> float:
    """When the scaler set the desired count to 0 (the tasks stop then), the first time after `after`."""
    return next(time for time, before, now in desired_changes(world, after) if before > 0 and now == 0)


def minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


# (a) With the attention rule, the app sleeps once nobody looks ------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("left", ["visible", "hidden"])
def test_a_tab_left_open_with_the_attention_rule_lets_the_app_sleep(left, seed):
    world = World(start=START, seed=seed)
    hidden = [(LAST_INPUT + 30, float("inf"))] if left == "hidden" else []
    tab = DashTab(world, opened_at=OPENED, poll_seconds=POLL_SECONDS, inputs=INPUTS, hidden=hidden)
    observer = Observer(world, every=10).start()

    run_until(world, T0 + 3 * 3600)

    last_request = tab.log.last_app_request
    assert last_request is not None
    # The tab stopped sending: ATTENTION_SECONDS after the last input if left in front, at once if hidden.
    stop_sending = LAST_INPUT + (ATTENTION_SECONDS if left == "visible" else 30)
    assert stop_sending - POLL_SECONDS <= last_request < stop_sending
    assert tab.log.of("local"), "the interval kept ticking, answered in the page"
    # The app slept within idleMinutes + doze (+2 min) of that request, and stayed asleep with the tab open.
    asleep = stopped_at(world, LAST_INPUT)
    low, high = SLEEP_AFTER_LAST_REQUEST
    assert low <= asleep - last_request <= high, minutes(asleep - last_request)
    assert asleep - LAST_INPUT <= ATTENTION_SECONDS + high
    assert desired_changes(world, asleep + 1) == []
    assert observer.state("dashboard") is State.SLEEPING
    # Awake time: the work, the attention window, idle + doze, one wake.
    awake = world.ecs.task_seconds(world.sim.time)
    assert awake <= (LAST_INPUT - OPENED) + ATTENTION_SECONDS + high + WAKE_SECONDS
    assert tab.visits.human_alb_errors == 0 and len(tab.visits.wake_seconds) == 1


# (b) The control: the same tab without the rule keeps the app awake --------------------------------------------


def test_a_plain_dash_tab_left_hidden_keeps_the_app_awake_for_the_whole_run():
    world = World(start=START, seed=1)
    tab = DashTab(
        world,
        opened_at=OPENED,
        poll_seconds=POLL_SECONDS,
        attention=None,
        inputs=INPUTS,
        hidden=[(LAST_INPUT + 30, float("inf"))],
    )
    observer = Observer(world, every=10).start()
    end = T0 + 3 * 3600

    run_until(world, end)

    # Chrome throttles the hidden tab's interval to one wake-up a minute; that is still a request a minute.
    polls = [exchange.at for exchange in tab.log.of("poll") if exchange.at > LAST_INPUT + 30]
    gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
    assert polls[-1] > end - INTENSIVE_WAKE_UP_SECONDS - 1
    assert max(gaps) <= INTENSIVE_WAKE_UP_SECONDS + 1 and min(gaps) >= POLL_SECONDS
    assert tab.log.of("local") == []
    # Woken once by the page load, never put to sleep, never even dozing.
    assert [(before, after) for _, before, after in desired_changes(world)] == [(0, 1)]
    awake_spells = [spell for spell in observer.spells["dashboard"] if spell.state is State.AWAKE]
    assert len(awake_spells) == 1 and awake_spells[0].end >= end - 10
    assert world.ecs.task_seconds(end) >= end - OPENED - WAKE_SECONDS


# (c) A Bokeh tab's WebSocket is one request, when it opens ------------------------------------------------------


def test_a_bokeh_tab_holding_its_websocket_lets_the_app_sleep():
    world = World(start=START, seed=1)
    tab = BokehTab(world, opened_at=OPENED)  # the person looks for a moment, then leaves the tab open
    observer = Observer(world, every=10).start()

    run_until(world, T0 + 2 * 3600)

    opened = tab.log.of("ws-open")
    assert [(exchange.status, exchange.source) for exchange in opened] == [(101, "app")]
    # After the upgrade only the page's presence requests reach the load balancer, and only while attended.
    presence = tab.log.of("presence")
    assert presence and all(OPENED < exchange.at < OPENED + ATTENTION_SECONDS for exchange in presence)
    last_request = tab.log.last_app_request
    assert last_request == presence[-1].at
    asleep = stopped_at(world, last_request)
    low, high = SLEEP_AFTER_LAST_REQUEST
    assert low <= asleep - last_request <= high, minutes(asleep - last_request)
    # The socket stayed open through the doze and closed with its task.
    assert tab.task is not None and tab.socket_closed_at == tab.task.stop_at
    assert asleep < tab.socket_closed_at <= asleep + 60
    # BokehJS tried five times, each answered by the waker (the app sleeps), then gave up; none woke the app.
    retries = tab.log.of("ws-retry")
    assert [(exchange.status, exchange.source) for exchange in retries] == [(503, "waker")] * 5
    assert tab.gave_up_at is not None and tab.gave_up_at - tab.socket_closed_at < 40
    assert desired_changes(world, asleep + 1) == []
    assert observer.state("dashboard") is State.SLEEPING
    assert world.ecs.task_seconds(world.sim.time) <= (asleep - OPENED) + 60


def test_a_bokeh_user_working_over_the_socket_keeps_the_app_awake_through_the_pages_presence_requests():
    """Slider moves are not requests; the page's presence request (examples/bokeh/sliders.py) is, so a person
    still working 40 minutes after opening the page keeps the app, and it sleeps once they stop."""
    world = World(start=START, seed=1)
    working_until = OPENED + 40 * 60
    tab = BokehTab(world, opened_at=OPENED, inputs=[OPENED + 120 * i for i in range(21)])

    run_until(world, T0 + 3 * 3600)

    asleep = stopped_at(world, OPENED + 60)
    assert asleep > working_until + ATTENTION_SECONDS
    low, high = SLEEP_AFTER_LAST_REQUEST
    assert low <= asleep - tab.log.last_app_request <= high
    assert tab.socket_closed_at is not None and tab.socket_closed_at > working_until


def test_without_its_presence_request_a_bokeh_user_working_over_the_socket_loses_the_app():
    """The control: the same person on a Bokeh page without the presence request is not seen; the app sleeps
    after idleMinutes + doze under them and BokehJS shows "connection lost"."""
    world = World(start=START, seed=1)
    working_until = OPENED + 40 * 60
    tab = BokehTab(world, opened_at=OPENED, inputs=[OPENED + 120 * i for i in range(21)], presence=False)

    run_until(world, working_until)

    asleep = stopped_at(world, OPENED + 60)
    assert asleep < working_until
    assert tab.gave_up_at is not None and tab.gave_up_at < working_until


# (d) The person comes back to a tab whose app dozes or sleeps -----------------------------------------------------


def test_coming_back_while_the_app_dozes_the_click_is_resent_to_the_running_tasks():
    world = World(start=START, seed=1)
    tab = DashTab(world, opened_at=OPENED, poll_seconds=POLL_SECONDS, inputs=INPUTS)
    observer = Observer(world, every=1).start()
    with capture_logs(world):
        while observer.state("dashboard") is not State.DOZING:
            world.sim.run_for(5)
    back = world.sim.time + 60  # one minute into the doze: the tasks still run
    tab.input_at(back)

    run_until(world, back + 30 * 60)

    click = [exchange for exchange in tab.log.of("input") if exchange.at >= back]
    # The waker moves the rule back to the service and answers 307; fetch resends the same POST, and gets 307
    # again until the rule change reaches the load balancer (1-5 s in the twin), then the app's answer.
    hops = [(exchange.status, exchange.source) for exchange in click]
    assert hops[-1] == (200, "app") and set(hops[:-1]) == {(307, "waker")}
    assert len(hops) - 1 <= MAX_REDIRECTS and click[-1].at - back < 15
    assert tab.page_loads == 1  # no reload needed: the same page goes on
    polls = [exchange for exchange in tab.log.of("poll") if exchange.at > back]
    assert polls and all(exchange.source == "app" for exchange in polls[:5])
    # Never stopped between: the doze ended in the person's favour, then the app slept again later.
    assert stopped_at(world, LAST_INPUT) > back + ATTENTION_SECONDS
    assert len([change for change in desired_changes(world) if change[1:] == (0, 1)]) == 1


def test_coming_back_to_a_sleeping_app_the_click_gets_the_wakers_503_and_a_reload_wakes_it():
    world = World(start=START, seed=1)
    tab = DashTab(world, opened_at=OPENED, poll_seconds=POLL_SECONDS, inputs=INPUTS)
    run_until(world, T0 + 3600)
    asleep = stopped_at(world, LAST_INPUT)
    back = world.sim.time + 60
    tab.input_at(back)

    run_until(world, back + 40 * 60)

    click = next(exchange for exchange in tab.log.of("input") if exchange.at >= back)
    assert (click.status, click.source) == (503, "waker")  # JSON 503 + Retry-After: the click itself wakes nothing
    wake = next(time for time, before, after in desired_changes(world, asleep + 1) if (before, after) == (0, 1))
    assert wake - click.at >= world.timings.person_retry[0]  # woken by the reload's holding page, not the click
    page = tab.log.of("page")
    assert tab.page_loads == 2 and page[-1].source == "app" and page[-1].at - click.at < WAKE_SECONDS
    assert len(tab.visits.wake_seconds) == 2 and tab.visits.human_alb_errors == 0
    polls = [exchange for exchange in tab.log.of("poll") if exchange.at > page[-1].at]
    assert polls and all(exchange.source == "app" for exchange in polls)
    # Left alone again, it sleeps again.
    assert stopped_at(world, page[-1].at) - page[-1].at <= ATTENTION_SECONDS + SLEEP_AFTER_LAST_REQUEST[1]
