"""The twin's ECS rules: the task lifecycle, replacements, failures, events and billing (tests/twin/ecs.py)."""

from __future__ import annotations

import itertools

import pytest
from botocore.exceptions import ClientError

from tests.twin.ecs import Behaviour
from tests.twin.helpers import START, act
from tests.twin.world import AppSetup, World


def world_with(behaviour: Behaviour = Behaviour.OK) -> World:
    return World(start=START, apps=(AppSetup(behaviour=behaviour),), scaler=False)


def statuses(world: World, seconds: float) -> list[str]:
    """The first task's status, sampled every second."""
    seen = []
    for _ in range(int(seconds)):
        world.sim.run_for(1)
        tasks = world.apps["dashboard"].service.tasks
        if tasks:
            seen.append(tasks[0].status(world.sim.time))
    return [status for index, status in enumerate(seen) if index == 0 or seen[index - 1] != status]


def test_a_task_goes_through_provisioning_pending_activating_to_running():
    world = world_with()
    world.start_awake("dashboard")

    assert statuses(world, 90) == ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"]


def test_the_target_is_registered_when_activating_ends_and_the_app_answers_after_its_start():
    world = world_with()
    world.start_awake("dashboard")
    world.sim.run_for(90)
    task = world.apps["dashboard"].service.tasks[0]

    assert task.target is not None and task.target.registered_at == task.running_at
    assert task.pull_stopped_at < task.ready_at < task.pull_stopped_at + 3


def test_an_image_that_cannot_be_pulled_stops_the_task_says_why_and_backs_off():
    world = world_with(Behaviour.PULL_FAILS)
    world.start_awake("dashboard")
    world.sim.run_for(15 * 60)
    service = world.apps["dashboard"].service

    assert all(task.stopped_reason.startswith("CannotPullContainerError") for task in service.tasks)
    starts = sorted(task.created_at for task in service.tasks)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert gaps == sorted(gaps)  # the time between launches grows
    assert any("unable to consistently start tasks" in event for event in service.events)


def test_a_task_that_never_passes_its_health_check_is_replaced_after_the_grace_period():
    world = world_with(Behaviour.NEVER_HEALTHY)
    world.start_awake("dashboard")
    world.sim.run_for(4 * 60)
    service = world.apps["dashboard"].service

    assert any(task.stopped_reason.startswith("Task failed ELB health checks") for task in service.tasks)
    assert len(service.tasks) >= 2


def test_stopping_a_task_drains_its_target_for_the_deregistration_delay_first():
    world = world_with()
    world.start_awake("dashboard")
    world.sim.run_for(90)
    service = world.apps["dashboard"].service
    world.ecs.set_desired(service, 0, cause="test")
    world.sim.run_for(5)
    task = service.tasks[0]

    assert task.status(world.sim.time) == "DEACTIVATING"
    assert task.stop_at - task.stop_requested_at >= service.target_group.deregistration_delay


def test_fargate_bills_from_the_pull_to_the_stop_with_a_one_minute_minimum():
    world = world_with()
    world.start_awake("dashboard")
    world.sim.run_for(90)
    task = world.apps["dashboard"].service.tasks[0]

    assert task.billed_seconds(task.pull_started_at + 10) == 60
    assert task.billed_seconds(task.pull_started_at + 90.2) == 91


def test_describe_services_takes_at_most_ten_services():
    world = world_with()

    with pytest.raises(ClientError, match="up to 10 services"):
        act(world, lambda: world.ecs.describe_services(cluster="zerodash", services=["a"] * 11))


def test_tags_refuse_characters_ecs_refuses():
    world = world_with()
    arn = world.apps["dashboard"].service.arn

    act(world, lambda: world.ecs.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "ok: 1+1=2"}]))
    with pytest.raises(ClientError, match="InvalidParameterException"):
        act(world, lambda: world.ecs.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "{json}"}]))
