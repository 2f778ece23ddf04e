"""The twin's load balancer rules, each against the documentation sentence it rests on (tests/twin/elb.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.twin.ecs import Behaviour
from tests.twin.elb import HttpRequest
from tests.twin.helpers import START, act, get
from tests.twin.world import AppSetup, World


def woken(world: World, minutes: float = 3) -> World:
    """The app's service asked for one task, as a wake does, and `minutes` of simulated time passed."""
    world.start_awake("dashboard")
    world.sim.run_for(minutes * 60)
    return world


def test_a_group_no_rule_names_is_unused_and_its_targets_are_never_checked():
    world = woken(World(start=START, keeper=False, scaler=False), minutes=10)

    health = world.elb.describe_target_health(world.apps["dashboard"].service_group.arn)["TargetHealthDescriptions"]

    assert [item["TargetHealth"] for item in health] == [{"State": "unused", "Reason": "Target.NotInUse"}]


def test_with_the_keeper_rule_a_new_target_is_checked_and_becomes_healthy():
    world = woken(World(start=START, scaler=False))

    assert world.target_states("dashboard") == ["healthy"]


def test_a_registered_target_is_initial_until_its_first_check_passes():
    world = World(start=START, scaler=False)
    world.start_awake("dashboard")
    task = None
    while task is None or task.target is None:
        world.sim.run_for(0.5)
        task = next(iter(world.apps["dashboard"].service.tasks), None)

    assert world.target_states("dashboard") == ["initial"]
    world.sim.run_for(world.apps["dashboard"].service_group.health.interval)
    assert world.target_states("dashboard") == ["healthy"]


def test_a_target_failing_its_checks_turns_unhealthy():
    world = woken(World(start=START, apps=(AppSetup(behaviour=Behaviour.NEVER_HEALTHY),), scaler=False), minutes=1.2)

    assert "unhealthy" in world.target_states("dashboard")


def test_only_unhealthy_targets_means_fail_open_and_the_app_answers():
    world = woken(World(start=START, apps=(AppSetup(behaviour=Behaviour.NEVER_HEALTHY),), scaler=False), minutes=1.2)
    world.elb.modify_rule(
        RuleArn=world.apps["dashboard"].rule.arn,
        Actions=[{"Type": "forward", "TargetGroupArn": world.apps["dashboard"].service_group.arn}],
    )
    world.sim.run_for(10)

    assert get(world).source == "app"


def test_a_group_without_registered_targets_answers_503():
    world = World(start=START, scaler=False)
    world.elb.modify_rule(
        RuleArn=world.apps["dashboard"].rule.arn,
        Actions=[{"Type": "forward", "TargetGroupArn": world.apps["dashboard"].service_group.arn}],
    )
    world.sim.run_for(10)

    response = get(world)

    assert (response.status, response.source) == (503, "alb")


def test_draining_targets_receive_no_new_requests():
    world = woken(World(start=START, scaler=False))
    app = world.apps["dashboard"]
    world.elb.modify_rule(RuleArn=app.rule.arn, Actions=[{"Type": "forward", "TargetGroupArn": app.service_group.arn}])
    world.sim.run_for(10)
    world.ecs.set_desired(app.service, 0, cause="test")
    world.sim.run_for(5)

    assert world.target_states("dashboard") == ["draining"]
    assert get(world).status == 503


def test_a_rule_change_reaches_routing_only_after_a_short_time():
    world = woken(World(start=START, scaler=False))
    app = world.apps["dashboard"]

    world.elb.modify_rule(RuleArn=app.rule.arn, Actions=[{"Type": "forward", "TargetGroupArn": app.service_group.arn}])

    assert get(world).source == "waker"  # still the old rule, 40 ms later
    world.sim.run_for(world.timings.rule_propagation[1])
    assert get(world).source == "app"


def test_requests_to_a_bare_address_never_reach_an_app():
    world = World(start=START, scaler=False)

    response = get(world, host="198.51.100.7")

    assert (response.status, response.source) == (404, "alb")


def test_host_names_match_whatever_their_case_and_port():
    world = World(start=START, scaler=False)

    assert get(world, host=world.host.upper() + ":80").source == "waker"


def test_a_waker_that_fails_is_answered_502():
    world = World(start=START, scaler=False)
    world.secrets.secrets.clear()  # the cold start cannot read its key

    response = get(world)

    assert (response.status, response.source) == (502, "alb")


def test_a_throttled_waker_is_answered_502():
    world = World(start=START, scaler=False, waker_concurrency=1)
    page = HttpRequest(
        method="GET", path="/", host=world.host, headers={"user-agent": "Mozilla/5.0", "accept": "text/html"}
    )
    answers = []
    for _ in range(3):
        world.sim.spawn("browser", lambda: answers.append(world.request(page).status), client="test")
    world.sim.run_for(5)  # all three reach the load balancer while the first invocation (a cold start) runs

    assert world.apps["dashboard"].waker.throttles == 2
    assert sorted(answers) == [200, 502, 502]


def test_more_than_forty_describe_calls_in_a_second_are_throttled():
    world = World(start=START, scaler=False)
    rule = world.apps["dashboard"].rule.arn

    def burst() -> None:
        for _ in range(41):
            world.elb.describe_rules(RuleArns=[rule])

    world.timings = type(world.timings)(api_call=(0.001, 0.001))
    with pytest.raises(ClientError, match="ThrottlingException"):
        act(world, burst)
