"""The waker against moto: who wakes the app, and what each kind of request gets back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from common.facts import RuleTarget
from tests.lambdas.test_waker_pure import NAVIGATE, event
from waker import handler as waker_handler
from waker.handler import handle

NOW = datetime.now(UTC)


def asleep(world):
    world.clients.autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=world.app.scalable_target_id,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=0,
        MaxCapacity=0,
    )
    world.clients.ecs.update_service(cluster="zd", service="sales", desiredCount=0)
    world.clients.elbv2.modify_rule(
        RuleArn=world.app.rule_arn, Actions=[{"Type": "forward", "TargetGroupArn": world.app.waker_target_group_arn}]
    )
    world.stop_tasks()
    return world


def test_bot_gets_503_with_retry_after_and_does_not_wake(world):
    asleep(world)
    googlebot = {**NAVIGATE, "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}

    answer = handle(world.clients, world.app, event(headers=googlebot), NOW)

    assert (answer["statusCode"], answer["headers"]["Retry-After"]) == (503, "3600")
    assert world.facts().desired_count == 0


def test_robots_txt_disallows_everything_without_waking(world):
    asleep(world)

    answer = handle(world.clients, world.app, event(path="/robots.txt"), NOW)

    assert answer["body"] == "User-agent: *\nDisallow: /\n"
    assert world.facts().desired_count == 0


def test_dash_callback_gets_json_503_and_wakes_the_app(world):
    asleep(world)
    callback = {**NAVIGATE, "accept": "application/json", "sec-fetch-mode": "cors"}

    answer = handle(
        world.clients, world.app, event(method="POST", path="/_dash-update-component", headers=callback), NOW
    )

    assert answer["statusCode"] == 503
    assert json.loads(answer["body"])["error"] == "starting"
    assert world.facts().desired_count == 1


def test_page_load_wakes_the_app_and_stamps_awake_since(world, capsys):
    asleep(world)

    answer = handle(world.clients, world.app, event(), NOW)

    facts = world.facts()
    assert answer["headers"]["Content-Type"].startswith("text/html")
    assert (facts.desired_count, world.capacity()) == (1, (1, 2))
    assert facts.awake_since is not None and abs((facts.awake_since - NOW).total_seconds()) < 1
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert record["ColdStarts"] == 1.0 and record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ZeroDash"


def test_concurrent_page_loads_wake_once(world, capsys):
    asleep(world)

    handle(world.clients, world.app, event(), NOW)
    handle(world.clients, world.app, event(), NOW)

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["action"] for record in records] == ["desired=0->1", "waiting"]
    assert world.facts().desired_count == 1


def test_healthy_target_switches_the_rule_back_and_redirects_to_the_same_url(world):
    asleep(world)
    handle(world.clients, world.app, event(), NOW)
    world.make_healthy()

    answer = handle(world.clients, world.app, event(path="/sales/", query={"q": "a%20b"}, multi=True), NOW)

    assert (answer["statusCode"], answer["multiValueHeaders"]["Location"]) == (302, ["/sales/?q=a%20b"])
    assert world.facts().rule_target is RuleTarget.SERVICE


def test_handler_reads_its_app_from_the_environment(app_env, monkeypatch):
    asleep(app_env)
    monkeypatch.setattr(waker_handler, "_clients", lambda: app_env.clients)
    waker_handler._app.cache_clear()

    answer = waker_handler.handler(event(), None)

    assert answer["statusCode"] == 200
    waker_handler._app.cache_clear()
