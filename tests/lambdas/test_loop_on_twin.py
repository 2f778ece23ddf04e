"""The whole scale-to-zero loop on the AWS twin: the real scaler and waker, people and scanners.

One test per defect of issue 8, each shown fixed; the wake deadlock first.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import timedelta

import pytest

from common.lifecycle import DOZE_MINUTES, State
from tests.twin.api import Faults
from tests.twin.browser import BROWSER, HTML, Row, Visits, replay
from tests.twin.ecs import Behaviour, TaskDefinition
from tests.twin.elb import HttpRequest
from tests.twin.helpers import START, act
from tests.twin.lambdas import capture_logs
from tests.twin.observer import Observer
from tests.twin.world import STACK_PREFIX, AppSetup, World

JSON = "application/json"
T0 = START.timestamp()


def visit(at: float, session: str = "s1", callbacks: int = 0, every: float = 30.0, path: str = "/") -> list[Row]:
    """A person opens the page `at` seconds after START, then clicks every `every` seconds."""
    rows = [Row(T0 + at, session, "GET", path, BROWSER, HTML)]
    rows += [
        Row(T0 + at + every * (index + 1), session, "POST", path + "_dash-update-component", BROWSER, JSON)
        for index in range(callbacks)
    ]
    return rows


def run(world: World, rows: list[Row], hours: float) -> Visits:
    with capture_logs(world):
        visits = replay(world, rows)
        world.sim.run_for(hours * 3600)
    assert world.sim.crashed == [], [actor.error for actor in world.sim.crashed]
    return visits


def wakes_by(world: World, client: str) -> int:
    return sum(
        1
        for event in world.events
        if event.kind == "desired" and event.details["before"] == 0 and event.details.get("client") == client
    )


def metric_values(world: World, name: str) -> list[float]:
    return [record[name] for record in world.records if name in record]


# The deadlock ----------------------------------------------------------------------------------------------


def test_without_the_keeper_rule_a_woken_task_is_never_checked_and_the_wake_cannot_finish():
    world = World(start=START, keeper=False)

    visits = run(world, visit(60), hours=0.25)

    assert visits.wake_seconds == []
    assert any(event.kind == "desired" for event in world.events)
    assert metric_values(world, "WakeFailures") == [1]  # bounded: the scaler gave up and raised the alarm
    assert visits.failure_pages == 1


def test_with_the_keeper_rule_the_visitor_lands_on_the_app():
    world = World(start=START)

    visits = run(world, visit(60), hours=0.25)

    assert len(visits.wake_seconds) == 1 and visits.wake_seconds[0] < 60
    assert visits.human_alb_errors == 0


# 1. Sleeping on minutes CloudWatch has not published yet ----------------------------------------------------


@pytest.mark.parametrize("silence_minutes", [12, 13, 14, 15, 16, 17])
def test_a_person_who_comes_back_after_almost_idle_minutes_is_never_cut_off(silence_minutes):
    world = World(start=START, seed=silence_minutes)
    first = visit(60, callbacks=4)
    back = visit(60 + 4 * 30 + silence_minutes * 60, callbacks=40, every=20)[1:]  # callbacks from the open tab

    visits = run(world, first + back, hours=1.5)

    assert (visits.sessions_cut, visits.callbacks_unavailable, visits.human_alb_errors) == (0, 0, 0)


def test_a_dozing_app_sends_a_person_back_to_its_running_tasks_at_once():
    world = World(start=START)
    # Open at 1 min; the app dozes about 16 min later; the person clicks again at 17.5 min.
    rows = [*visit(60, callbacks=1), Row(T0 + 90 + 16.5 * 60, "s1", "POST", "/_dash-update-component", BROWSER, JSON)]
    observer = Observer(world).start()

    visits = run(world, rows, hours=0.5)

    assert any(spell.state is State.DOZING for spell in observer.spells["dashboard"])
    assert (visits.sessions_cut, visits.callbacks_unavailable, len(visits.wake_seconds)) == (0, 0, 1)
    assert sum(1 for event in world.events if event.kind == "desired" and event.details["after"] == 0) == 0


def test_an_idle_app_dozes_then_sleeps_and_the_dozing_lasts_the_publication_margin():
    world = World(start=START)
    observer = Observer(world).start()

    run(world, visit(60), hours=1)

    dozing = [spell for spell in observer.spells["dashboard"] if spell.state is State.DOZING]
    assert len(dozing) == 1
    assert DOZE_MINUTES * 60 - 10 <= dozing[0].seconds <= DOZE_MINUTES * 60 + 70
    assert observer.state("dashboard") is State.SLEEPING


# 2. Scanners neither wake apps nor keep them awake ---------------------------------------------------------

SCANS = [
    ("GET", "/.env", BROWSER, "*/*", ""),
    ("GET", "/wp-login.php", BROWSER, HTML, ""),
    ("POST", "/cgi-bin/luci/;stok=/locale", BROWSER, "*/*", ""),
    ("GET", "/", "Mozilla/5.0 zgrab/0.x", "*/*", "ip"),
    ("GET", "/", "Expanse, a Palo Alto Networks company", "*/*", ""),
    ("GET", "/", "Mozilla/5.0 (compatible; CensysInspect/1.1)", "*/*", "ip"),
    ("POST", "/", BROWSER, JSON, ""),
    ("GET", "/_zerodash/status", BROWSER, "*/*", ""),
    ("POST", "/_zerodash/wake", BROWSER, "*/*", ""),
]


def test_scanners_never_start_a_task():
    world = World(start=START)
    rows = [
        Row(T0 + 30 * index, "", method, path, agent, accept, host)
        for index, (method, path, agent, accept, host) in enumerate(SCANS * 40)
    ]

    run(world, rows, hours=3.5)

    assert world.apps["dashboard"].service.tasks == []
    assert wakes_by(world, "other") == 0


def test_a_replayed_wake_request_works_only_as_long_as_its_token():
    world = World(start=START)
    page = act(
        world, lambda: world.request(HttpRequest("GET", "/", world.host, {"user-agent": BROWSER, "accept": HTML}))
    )
    token = json.loads(page.body.split("var c = ")[1].split(", lastWake")[0])["token"]
    world.sim.run_for(150)
    replayed = HttpRequest("POST", "/_zerodash/wake", world.host, {"user-agent": BROWSER, "x-zerodash-token": token})

    answer = act(world, lambda: world.request(replayed))

    assert answer.status == 403
    assert world.apps["dashboard"].service.desired == 0


# 3 and 4. Races between the scaler and the waker --------------------------------------------------------------


@pytest.mark.parametrize("second", range(0, 60, 6))
def test_a_wake_at_any_second_of_the_scaler_minute_finishes(second):
    world = World(start=START, seed=second)

    visits = run(world, visit(600 + second, callbacks=2), hours=0.3)

    assert len(visits.wake_seconds) == 1
    assert visits.human_alb_errors == 0


@pytest.mark.parametrize("offset", [-40, -20, -16, -14, -10, -5, -1, 0, 1, 5, 20, 60])
def test_a_person_arriving_around_the_moment_the_tasks_stop_never_gets_an_error(offset):
    world = World(start=START, seed=100 + offset)
    observer = Observer(world, every=1).start()
    run(world, visit(60), hours=0.4)
    dozing = next(spell for spell in observer.spells["dashboard"] if spell.state is State.DOZING)
    deadline = dozing.start + DOZE_MINUTES * 60
    arrival = (deadline - T0) + offset

    visits = run(world, visit(arrival, session="s2", callbacks=3), hours=1)

    assert visits.human_alb_errors == 0
    assert visits.gave_up == 0
    assert len(visits.answered_at) >= 4


# 5. A throttle or a timeout in the middle of a sleep ----------------------------------------------------------


def test_throttled_writes_while_falling_asleep_never_send_a_visitor_to_an_empty_group():
    world = World(start=START, faults=Faults(throttle=0.6, only=frozenset({"ecs.UpdateService", "ecs.TagResource"})))
    rows = visit(60) + [row for minute in range(18, 60, 3) for row in visit(minute * 60, session=f"p{minute}")]

    visits = run(world, rows, hours=1.5)

    assert visits.human_alb_errors == 0
    assert visits.gave_up == 0


def test_stalled_aws_calls_cost_runs_but_never_a_visitor_error_and_the_app_still_sleeps():
    world = World(start=START, faults=Faults(slow=0.5, slow_seconds=30.0))

    visits = run(world, visit(60, callbacks=3), hours=1.5)

    failed_runs = [record for record in world.records if record.get("level") == "ERROR"]
    timed_out = [invocation for invocation in world.scaler.invocations if invocation.outcome != "ok"]
    assert failed_runs or timed_out
    assert visits.human_alb_errors == 0 and len(visits.wake_seconds) == 1
    assert Observer(world).state("dashboard") is State.SLEEPING


# 6. A wake that cannot succeed is bounded --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        (Behaviour.PULL_FAILS, "CannotPullContainerError"),
        (Behaviour.CRASHES, "Essential container in task exited"),
        (Behaviour.NEVER_HEALTHY, "Task failed ELB health checks"),
    ],
)
def test_a_broken_app_shows_a_failure_page_that_says_why_raises_the_alarm_and_stops_billing(behaviour, reason):
    world = World(start=START, apps=(AppSetup(behaviour=behaviour),))
    reloads = [Row(T0 + 400 + 60 * index, "s1", "GET", "/", BROWSER, HTML) for index in range(5)]

    visits = run(world, visit(60) + reloads, hours=0.5)

    assert visits.failure_pages >= 2 and visits.wake_seconds == []
    assert metric_values(world, "WakeFailures") == [1]
    assert reason in world.apps["dashboard"].service.tags["zerodash:wake-failed"]
    assert world.apps["dashboard"].service.desired == 0
    assert wakes_by(world, "human") == 1  # the reloads in the cooldown did not start it again


def test_a_broken_image_deployed_while_asleep_raises_the_alarm_before_anyone_visits():
    world = World(start=START)
    run(world, visit(60), hours=0.5)  # woken once, verified, asleep again
    service = world.apps["dashboard"].service
    world.ecs.deploy(
        service, TaskDefinition(family=service.definition.family, revision=2, behaviour=Behaviour.PULL_FAILS)
    )

    run(world, [], hours=0.3)

    assert metric_values(world, "WakeFailures") == [1]
    assert "zerodash-dashboard:2" in service.tags["zerodash:wake-failed"]


def test_a_good_image_deployed_while_asleep_is_tried_once_and_goes_back_to_sleep():
    world = World(start=START)
    run(world, visit(60), hours=0.5)
    service = world.apps["dashboard"].service
    world.ecs.deploy(service, TaskDefinition(family=service.definition.family, revision=2))

    run(world, [], hours=1)

    assert service.tags["zerodash:verified-task-def"] == "zerodash-dashboard:2"
    assert service.desired == 0
    assert metric_values(world, "WakeFailures") == []


# 7. No open redirect ----------------------------------------------------------------------------------------


def test_a_resend_never_points_off_site():
    world = World(start=START)
    run(world, visit(60), hours=0.05)  # awake now
    waker = world.apps["dashboard"].waker
    # A request that still reached the waker while the rule change spreads: it is sent again, to this host.
    event = {"httpMethod": "POST", "path": "//evil.example/x", "headers": {"user-agent": BROWSER, "accept": JSON}}

    outcome, answer = act(world, lambda: waker.invoke(event))

    assert (outcome, answer["statusCode"]) == ("ok", 307)
    assert answer["headers"]["Location"] == "/evil.example/x"


# 8 and 9. Keep-warm windows: all day, and in any time zone ------------------------------------------------------


def test_an_all_day_window_keeps_the_app_up_across_midnight():
    window = {"days": "daily", "start": "00:00", "end": "24:00", "timeZone": "Europe/Berlin"}
    world = World(start=START, apps=(AppSetup(keep_warm=(window,)),))
    observer = Observer(world).start()

    run(world, [], hours=26)

    assert [spell.state for spell in observer.spells["dashboard"]][-1] is State.AWAKE
    assert observer.longest("dashboard", State.AWAKE) > 25 * 3600


def test_one_apps_broken_settings_never_stop_the_others():
    world = World(start=START, apps=(AppSetup(name="good", path="/good/*"), AppSetup(name="bad", path="/bad/*")))
    parameter = f"/zerodash/{STACK_PREFIX}/apps/bad"
    world.ssm.parameters[parameter] = world.ssm.parameters[parameter].replace(
        '"keepWarm": []', '"keepWarm": [{"start": "8"}]'
    )

    run(world, visit(60, path="/good/"), hours=0.5)

    errors = [record for record in world.records if record.get("level") == "ERROR"]
    assert errors and all(record["app"] == "bad" for record in errors)
    assert Observer(world).state("good") in (State.SLEEPING, State.DOZING)


# 11. The waker's control-plane calls, and its concurrency --------------------------------------------------------


def test_twenty_people_waiting_on_a_holding_page_cost_few_control_plane_calls_and_never_an_error():
    world = World(start=START)
    rows = [row for index in range(20) for row in visit(60 + index * 0.5, session=f"p{index}")]

    visits = run(world, rows, hours=0.1)

    status_polls = sum(1 for invocation in world.apps["dashboard"].waker.invocations if invocation.outcome == "ok")
    waker_reads = sum(
        count for name, count in world.calls.counts.items() if name.split(".")[1].startswith(("Describe", "List"))
    )
    assert visits.human_alb_errors == 0 and len(visits.wake_seconds) == 20
    assert waker_reads / status_polls < 1.0


# 12. Many apps --------------------------------------------------------------------------------------------------


def test_one_scaler_run_for_fifty_awake_apps_makes_one_cloudwatch_call_and_few_others():
    all_day = ({"days": "daily", "start": "00:00", "end": "24:00"},)
    apps = tuple(AppSetup(name=f"app{index}", path=f"/app{index}/*", keep_warm=all_day) for index in range(50))
    world = World(start=START, apps=apps, rule_quota=103)  # 3 platform rules + 2 per app: a raised quota
    for name in world.apps:
        world.start_awake(name)
    run(world, [], hours=0.1)
    before, runs = dict(world.calls.counts), len(world.scaler.invocations)

    run(world, [], hours=1 / 60)

    calls = {name: count - before.get(name, 0) for name, count in world.calls.counts.items()}
    (last,) = world.scaler.invocations[runs:]
    assert Counter(Observer(world).state(name) for name in world.apps) == {State.AWAKE: 50}
    assert calls["cloudwatch.GetMetricData"] == 1
    assert sum(calls.values()) <= 15  # SSM 5, ECS 5, ELB 3, Application Auto Scaling 1, CloudWatch 1
    assert last.outcome == "ok" and last.ended - last.started < 5


def test_the_scaler_reads_no_metrics_for_sleeping_apps():
    world = World(start=START)

    run(world, [], hours=1)

    assert world.calls.counts["cloudwatch.GetMetricData"] == 0


def test_scaler_runs_are_one_minute_apart_at_one_second_of_the_minute():
    world = World(start=START)

    run(world, [], hours=0.2)
    starts = [invocation.started for invocation in world.scaler.invocations]

    assert all(later - earlier == pytest.approx(60.0) for earlier, later in itertools.pairwise(starts))
    assert timedelta(seconds=starts[0] - T0) < timedelta(minutes=1)


def test_a_status_poll_reads_target_health_once_for_its_state_and_its_step():
    world = World(start=START, scaler=False)
    world.start_awake("dashboard")  # one task asked for, the rule still on the waker: waking
    world.sim.run_for(10)
    status = HttpRequest("GET", "/_zerodash/status", world.host, {"user-agent": BROWSER, "accept": "*/*"})
    before = world.calls.counts["elbv2.DescribeTargetHealth"]

    answer = act(world, lambda: world.request(status))

    assert json.loads(answer.body)["state"] == "WAKING"
    assert world.calls.counts["elbv2.DescribeTargetHealth"] - before == 1
