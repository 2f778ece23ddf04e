"""The twin's Application Auto Scaling, CloudWatch, Lambda and clock rules (their modules cite the docs)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest

from tests.twin.helpers import START, act, get
from tests.twin.sim import Sim
from tests.twin.world import World


def test_a_new_range_moves_the_desired_count_into_it_shortly_after():
    world = World(start=START, scaler=False)
    service = world.apps["dashboard"].service

    act(world, lambda: world.autoscaling.register_scalable_target("ecs", f"service/zerodash/{service.name}", "x", 1, 2))
    assert service.desired == 0  # not at once
    world.sim.run_for(world.timings.autoscaling_apply[1])
    assert service.desired == 1


def test_target_tracking_stays_inside_the_range():
    world = World(start=START, scaler=False)
    world.start_awake("dashboard")
    world.sim.run_for(3600)

    assert world.apps["dashboard"].service.desired == 1  # no traffic: never below the minimum, never 0


def test_a_minute_without_requests_has_no_datapoint_and_a_minute_with_them_is_published_late():
    world = World(start=START, scaler=False)
    app = world.apps["dashboard"]
    get(world)  # one request to the waker's group
    minute = int(world.sim.time // 60 * 60)
    query = [
        {
            "Id": "a",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/ApplicationELB",
                    "MetricName": "RequestCount",
                    # In the other order than they were counted: CloudWatch matches the set.
                    "Dimensions": [
                        {"Name": "TargetGroup", "Value": app.waker_group.full_name},
                        {"Name": "LoadBalancer", "Value": world.elb.load_balancer.full_name},
                    ],
                },
                "Period": 60,
                "Stat": "Sum",
            },
        }
    ]

    def read() -> list[float]:
        start, end = world.sim.now() - timedelta(minutes=10), world.sim.now() + timedelta(minutes=1)
        return world.cloudwatch.get_metric_data(MetricDataQueries=query, StartTime=start, EndTime=end)[
            "MetricDataResults"
        ][0]["Values"]

    world.sim.run_until(minute + 60 + world.timings.metric_publication[0] - 1)
    assert act(world, read) == []
    world.sim.run_until(minute + 60 + world.timings.metric_publication[1])
    assert act(world, read) == [1.0]


def test_a_lambda_that_outlives_its_timeout_is_stopped_even_if_it_catches_exceptions():
    world = World(start=START, scaler=False)
    reached = []

    def stubborn(runtime, event):
        with contextlib.suppress(Exception):
            world.sim.sleep(60)
        reached.append(True)

    app = world.apps["dashboard"]
    app.waker.handle = stubborn
    response = get(world)

    assert response.status == 502
    assert reached == []
    assert app.waker.invocations[-1].outcome == "timeout"


def test_an_execution_environment_is_reused_while_warm():
    world = World(start=START, scaler=False)
    get(world)
    get(world)

    assert len(world.apps["dashboard"].waker.environments) == 1
    assert world.calls.counts["secretsmanager.GetSecretValue"] == 1  # one cold start


def test_embedded_metric_lines_become_metrics():
    world = World(start=START, scaler=False)
    world.start_awake("dashboard")
    world.sim.run_for(120)
    scaler_record = {
        "App": "dashboard",
        "State": 3.0,
        "_aws": {
            "CloudWatchMetrics": [{"Namespace": "ZeroDash", "Dimensions": [["App"]], "Metrics": [{"Name": "State"}]}]
        },
    }

    world.cloudwatch.ingest_emf(scaler_record, world.sim.time)

    assert any(key[0] == "ZeroDash" and key[1] == "State" for key, _ in world.cloudwatch.custom_metric_hours)


def test_actors_run_in_time_order_and_the_same_seed_gives_the_same_run():
    def trace(seed: int) -> list[tuple[str, float]]:
        sim = Sim(START, seed=seed)
        seen: list[tuple[str, float]] = []
        for name in "abc":
            sim.spawn(
                name,
                lambda name=name: [
                    seen.append((name, sim.time)),
                    sim.sleep(sim.uniform(0, 5)),
                    seen.append((name, sim.time)),
                ],
            )
        sim.run_for(10)
        return seen

    first = trace(1)
    assert first == trace(1)
    assert [time for _, time in first] == sorted(time for _, time in first)
    assert first != trace(2)


def test_join_waits_for_another_actor():
    sim = Sim(START)
    done = []
    worker = sim.spawn("worker", lambda: sim.sleep(3))
    sim.spawn("waiter", lambda: [sim.join(worker), done.append(sim.time)])
    sim.run_for(10)

    assert done == [pytest.approx(START.timestamp() + 3)]
