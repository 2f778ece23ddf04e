"""The scaler against moto: one GetMetricData call, decisions applied to ECS, ELBv2 and autoscaling."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from common.facts import RuleTarget
from scaler import handler as scaler_handler
from scaler.decision import State, state_of
from tests.lambdas.test_waker_pure import event
from waker.handler import handle as waker_handle


def now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def run(world, now):
    return scaler_handler.run(world.clients, (world.app,), now)[0]


def test_metric_queries_with_no_datapoints_count_as_idle_and_put_the_app_to_sleep(world):
    record = run(world, datetime.now(UTC) + timedelta(minutes=30))

    assert record["metrics_complete"] is True
    assert record["requests"] == 0
    assert world.facts().desired_count == 0


def test_each_run_reports_the_state_it_leaves_as_a_metric(world):
    record = run(world, datetime.now(UTC) + timedelta(minutes=30))

    assert record["State"] == 0.0  # put to sleep: 0 sleeping, 1 waking, 2 awake
    assert {"Name": "State", "Unit": "None"} in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]


def test_requests_in_the_idle_window_keep_the_app_awake(world):
    now = now_minute()
    world.put_requests(world.app.service_target_group_arn, now - timedelta(minutes=10), 4)

    record = run(world, now + timedelta(seconds=30))

    assert record["requests"] == 4
    assert world.facts().desired_count == 1


def test_full_cycle_awake_sleeping_waking_awake(world, capsys):
    start = now_minute()
    world.put_requests(world.app.service_target_group_arn, start - timedelta(minutes=40), 7)

    # AWAKE -> SLEEPING: 40 idle minutes.
    run(world, start)
    facts = world.facts()
    assert (state_of(facts), facts.rule_target, world.capacity()) == (State.SLEEPING, RuleTarget.WAKER, (0, 0))
    world.stop_tasks()  # ECS would deregister the stopped tasks

    # A visitor: the waker wakes the service and shows the holding page.
    visit = start + timedelta(minutes=2)
    answer = waker_handle(world.clients, world.app, event(path="/", query={"tab": "2"}), visit)
    assert answer["statusCode"] == 200 and "Sales dashboard is starting" in answer["body"]
    facts = world.facts()
    assert (state_of(facts), facts.desired_count, world.capacity()) == (State.WAKING, 1, (1, 2))

    # The scaler sees WAKING without a healthy target: nothing to change.
    world.put_requests(world.app.waker_target_group_arn, visit, 1)
    world.put_wake_request(visit)
    record = run(world, visit + timedelta(seconds=30))
    assert (record["state"], record["actions"]) == ("WAKING", [])

    # A task turns healthy: the next refresh is redirected to the same URL and the rule is back on the service.
    world.make_healthy()
    answer = waker_handle(world.clients, world.app, event(path="/", query={"tab": "2"}), visit + timedelta(seconds=65))
    assert (answer["statusCode"], answer["headers"]["Location"]) == (302, "/?tab=2")
    assert state_of(world.facts()) is State.AWAKE
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.get("WakeSeconds") for line in lines if "WakeSeconds" in line] == [65.0]


def test_scaler_finishes_a_wake_when_a_target_turns_healthy(world):
    world.clients.elbv2.modify_rule(
        RuleArn=world.app.rule_arn, Actions=[{"Type": "forward", "TargetGroupArn": world.app.waker_target_group_arn}]
    )
    now = now_minute()
    world.put_requests(world.app.waker_target_group_arn, now - timedelta(minutes=1), 2)
    world.put_wake_request(now - timedelta(minutes=1))

    record = run(world, now)

    assert record["state"] == "WAKING" and record["next_state"] == "AWAKE"
    assert world.facts().rule_target is RuleTarget.SERVICE


def test_safety_net_wakes_a_sleeping_app_the_waker_could_not_wake(world):
    run(world, now_minute() + timedelta(minutes=30))
    world.stop_tasks()
    hit = now_minute() + timedelta(minutes=31)
    world.put_wake_request(hit)

    record = run(world, hit + timedelta(seconds=40))

    assert record["actions"] == ["capacity=1..2", "desired=1", "stamp-awake-since"]
    assert record["ColdStarts"] == 1.0
    assert world.facts().desired_count == 1


def test_rule_reset_by_a_deploy_while_asleep_is_pointed_back_at_the_waker(world):
    later = now_minute() + timedelta(minutes=30)
    run(world, later)
    world.stop_tasks()
    world.clients.elbv2.modify_rule(  # what a CloudFormation update of the rule does
        RuleArn=world.app.rule_arn, Actions=[{"Type": "forward", "TargetGroupArn": world.app.service_target_group_arn}]
    )

    record = run(world, later + timedelta(minutes=1))

    assert record["actions"] == ["rule=waker"]
    assert world.facts().rule_target is RuleTarget.WAKER


def test_a_second_run_with_no_new_data_changes_nothing(world):
    later = now_minute() + timedelta(minutes=30)
    run(world, later)

    record = run(world, later)

    assert record["actions"] == []


def test_handler_reads_its_apps_from_the_environment(app_env, monkeypatch):
    monkeypatch.setattr(scaler_handler, "_clients", lambda: app_env.clients)
    scaler_handler._apps.cache_clear()

    result = scaler_handler.handler({}, None)

    assert result == {"apps": 1}
    scaler_handler._apps.cache_clear()
