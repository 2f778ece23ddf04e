"""Login kept across sleep and wake, on the AWS twin with the real scaler and waker (issue 10).

An app whose listener rule authenticates ([authenticate-oidc (Order 1), forward (Order 2)], tests/twin/world.py)
sleeps and wakes for a month: the scaler and the waker move its rule between the waker and the service dozens
of times. ModifyRule replaces every action (tests/twin/elb.py), so each move must resend the login; the twin
refuses an OIDC action without its secret unless UseExistingClientSecret is true, exactly as ELB does.
"""

from __future__ import annotations

import random

import pytest

from common.lifecycle import LOGIN_MISSING, State
from common.route import CLOSED_MESSAGE, forward_action
from tests.twin.browser import BROWSER, HTML, Person, Row, Visits
from tests.twin.helpers import START, get, wakes
from tests.twin.lambdas import capture_logs
from tests.twin.observer import Observer
from tests.twin.world import AppSetup, World

JSON = "application/json"
T0 = START.timestamp()
DAY = 86400.0
APP = AppSetup(auth="oidc")


def run_until(world: World, moment: float) -> None:
    with capture_logs(world):
        world.sim.run_until(moment)
    assert world.sim.crashed == [], [actor.error for actor in world.sim.crashed]


def working_visits(days: int, rng: random.Random) -> list[Row]:
    """A signed-in user's weekdays: a morning and an afternoon visit, a callback a minute for 20 minutes."""
    rows = []
    for day in range(days):
        if (START.weekday() + day) % 7 >= 5:
            continue
        for hour in (9, 14):
            at = T0 + day * DAY + (hour - START.hour) * 3600 + rng.uniform(0, 1800)
            rows.append(Row(at, "alice", "GET", "/", BROWSER, HTML))
            rows += [Row(at + 60 * i, "alice", "POST", "/_dash-update-component", BROWSER, JSON) for i in range(1, 21)]
    return rows


def anonymous_visits(days: int, rng: random.Random) -> list[list[Row]]:
    """People without an account (their browsers run JavaScript), day and night, some while the app is awake."""
    sessions = []
    for index in range(days * 4):
        at = T0 + rng.uniform(0, days * DAY)
        rows = [Row(at, f"anon{index}", "GET", "/", BROWSER, HTML)]
        rows.append(Row(at + 30, f"anon{index}", "POST", "/_dash-update-component", BROWSER, JSON))
        sessions.append(rows)
    return sessions


def people(world: World, rows: list[Row], sessions: list[list[Row]]) -> tuple[Visits, Visits]:
    alice, strangers = Visits(), Visits()
    person = Person(world, alice, "alice", rows, idle_minutes=15, account="alice")
    world.sim.spawn("person alice", person.run, delay=rows[0].at - world.sim.time, client="human")
    for session in sessions:
        stranger = Person(world, strangers, session[0].session, session, idle_minutes=15)
        world.sim.spawn(stranger.session, stranger.run, delay=session[0].at - world.sim.time, client="anonymous")
    return alice, strangers


def rule_moves(world: World) -> list[dict]:
    return [event.details for event in world.events if event.kind == "rule"]


# A month of sleep and wake with a login --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_a_month_of_sleep_and_wake_keeps_the_login_on_every_move(seed):
    days = 30
    rng = random.Random(seed)
    world = World(start=START, apps=(APP,), seed=seed)
    secret = world.apps["dashboard"].rule.actions[0]["AuthenticateOidcConfig"]["ClientSecret"]
    alice, strangers = people(world, working_visits(days, rng), anonymous_visits(days, rng))
    observer = Observer(world, every=60).start()

    run_until(world, T0 + days * DAY)

    # (a) Nobody without a login reached the waker or the app, and nothing they did woke it.
    assert strangers.login_refusals == days * 4 * 2  # their page and their callback: the load balancer's 302
    assert strangers.answered_at == [] and strangers.holding_pages == 0
    assert {user for *_, user in world.elb.delivered} == {"alice"}
    assert all(client == "human" for _, client in wakes(world))  # alice's holding pages (or the scaler: none here)
    # (b) The signed-in user woke it at every visit after a sleep and got the app every time.
    visits = sum(1 for row in working_visits(days, random.Random(seed)) if row.method == "GET")
    assert len(wakes(world)) == visits and len(alice.wake_seconds) == visits
    assert alice.human_alb_errors == 0 and alice.failure_pages == 0 and alice.sessions_cut == 0
    assert len(alice.answered_at) == visits * 21
    assert alice.sign_ins >= 1  # and again whenever the 8-hour session had ended
    # (c) Every move of the rule kept the login, its secret, and the order.
    moves = rule_moves(world)
    assert len(moves) >= 2 * visits  # to the service after each wake, to the waker at each doze
    for move in moves:
        login, forward = move["actions"]
        assert (login["Type"], login["Order"], forward["Type"], forward["Order"]) == (
            "authenticate-oidc",
            1,
            "forward",
            2,
        )
        assert login["AuthenticateOidcConfig"]["ClientSecret"] == secret
        assert "ClientSecret" not in move["sent"][0]["AuthenticateOidcConfig"]  # the Lambdas never had it
    assert observer.state("dashboard") is State.SLEEPING
    assert not [record for record in world.records if record.get("level") == "ERROR"]


# (d) The old behaviour: a forward-only ModifyRule ----------------------------------------------------------------


def old_point_rule(clients, app, route, *, kept=()):
    """common/aws.py point_rule before issue 10: ModifyRule with the forward alone."""
    arn = app.service_target_group_arn if route.value == "service" else app.waker_target_group_arn
    clients.elbv2.modify_rule(RuleArn=app.rule_arn, Actions=[forward_action(arn)])


def test_the_old_forward_only_move_drops_the_login_and_the_twin_shows_it(monkeypatch):
    """The code before issue 10 (forward-only moves, no guard): the first move drops the login, and from then
    on people without an account reach the waker, wake the app and use it."""
    monkeypatch.setattr("common.apply.point_rule", old_point_rule)
    monkeypatch.setattr("scaler.decision.login_missing", lambda facts, app: False)
    monkeypatch.setattr("waker.handler.login_missing", lambda facts, app: False)
    rng = random.Random(1)
    world = World(start=START, apps=(APP,), seed=1)
    _, strangers = people(world, working_visits(2, rng), anonymous_visits(2, rng))

    run_until(world, T0 + 2 * DAY)

    first = rule_moves(world)[0]
    assert [action["Type"] for action in first["actions"]] == ["forward"]  # property (c) fails at the first move
    assert [user for *_, user in world.elb.delivered if user is None]  # property (a) fails: strangers got in
    assert strangers.answered_at or strangers.holding_pages


def test_with_the_guard_alone_the_old_move_closes_the_app_instead_of_exposing_it(monkeypatch):
    """The guard without the fix: the first forward-only move loses the login, the next run closes the rule."""
    monkeypatch.setattr("common.apply.point_rule", old_point_rule)
    rng = random.Random(1)
    world = World(start=START, apps=(APP,), seed=1)
    people(world, working_visits(1, rng), [])

    run_until(world, T0 + DAY)

    assert [action["Type"] for action in rule_moves(world)[0]["actions"]] == ["forward"]
    assert [action["Type"] for action in rule_moves(world)[-1]["actions"]] == ["fixed-response"]
    assert any(record.get("error") == LOGIN_MISSING for record in world.records)
    assert world.apps["dashboard"].service.desired == 0


# Fail closed -------------------------------------------------------------------------------------------------


def test_a_rule_that_lost_its_login_is_closed_and_the_app_stopped_until_a_redeploy():
    world = World(start=START, apps=(APP,), seed=3)
    app = world.apps["dashboard"]
    rows = [Row(T0 + 60, "alice", "GET", "/", BROWSER, HTML)]
    rows += [Row(T0 + 60 + 60 * i, "alice", "POST", "/_dash-update-component", BROWSER, JSON) for i in range(1, 6)]
    alice, _ = people(world, rows, [])
    observer = Observer(world, every=5).start()
    run_until(world, T0 + 4 * 60)
    assert observer.state("dashboard") is State.AWAKE and alice.answered_at

    # Somebody edits the rule by hand and drops the login: it now forwards anyone to the running app.
    world.elb.modify_rule(RuleArn=app.rule.arn, Actions=[forward_action(app.service_group.arn)])
    run_until(world, world.sim.time + 3 * 60)

    # The scaler's next run closed it (fixed 503), stopped the tasks, and logged an ERROR naming the fix.
    closed = get(world)
    assert (closed.status, closed.source, closed.body) == (503, "alb", CLOSED_MESSAGE)
    assert app.service.desired == 0
    errors = [record for record in world.records if record.get("level") == "ERROR"]
    assert errors and all(record["error"] == LOGIN_MISSING for record in errors)
    assert "redeploy" in LOGIN_MISSING.lower()
    # Never pointed at the service or the waker again without the login.
    after_edit = rule_moves(world)[-1]
    assert [action["Type"] for action in after_edit["actions"]] == ["fixed-response"]
    delivered_since = [entry for entry in world.elb.delivered if entry[0] > T0 + 4 * 60 + 60]
    assert all(user is not None for *_, user in delivered_since)

    # A redeploy writes the rule from the template again: the login is back, and a signed-in visit wakes it.
    world.redeploy_rule("dashboard")
    back = world.sim.time + 60
    again = Person(
        world, Visits(), "alice2", [Row(back, "alice2", "GET", "/", BROWSER, HTML)], idle_minutes=15, account="alice"
    )
    world.sim.spawn("alice again", again.run, delay=back - world.sim.time, client="human")
    run_until(world, back + 5 * 60)
    assert again.visits.answered_at and again.visits.human_alb_errors == 0
    assert (get(world).status, get(world).source) == (302, "alb")


def test_the_waker_reached_without_a_login_wakes_nothing_and_closes_the_rule():
    world = World(start=START, apps=(APP,), seed=4, scaler=False)
    app = world.apps["dashboard"]
    world.elb.deploy_rule(app.rule, [forward_action(app.waker_group.arn)])  # the login lost while asleep

    with capture_logs(world):
        response = get(world)
        world.sim.run_for(30)

    assert (response.status, response.source) == (503, "waker")
    assert app.service.desired == 0 and app.service.tasks == []
    assert (get(world).status, get(world).source) == (503, "alb")  # closed: the waker is not reached either
    assert [record["error"] for record in world.records if record.get("level") == "ERROR"] == [LOGIN_MISSING]
