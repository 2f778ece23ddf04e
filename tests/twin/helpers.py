"""Helpers for tests on the twin: run something as an actor, send one request, read a target's health, list the
wakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.twin.browser import BROWSER, HTML
from tests.twin.elb import HttpRequest, HttpResponse
from tests.twin.world import World

START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # a Monday


def act(world: World, body: Callable[[], Any], *, limit: float = 3600.0, **tags: Any) -> Any:
    """Run `body` as an actor until it finishes (the rest of the world runs along); its result or error."""
    actor = world.sim.spawn("test", body, **tags)
    deadline = world.sim.time + limit
    while not actor.done and world.sim.time < deadline:
        world.sim.run_for(1.0)
    assert actor.done, "the actor did not finish in time"
    if actor.error is not None:
        raise actor.error
    return actor.result


def get(world: World, path: str = "/", *, host: str | None = None, **headers: str) -> HttpResponse:
    request = HttpRequest(
        method="GET",
        path=path,
        host=host or world.host,
        headers={"user-agent": BROWSER, "accept": HTML, **headers},
    )
    return act(world, lambda: world.request(request), client="test")


def post(world: World, path: str, *, cookies: dict[str, str] | None = None, **headers: str) -> HttpResponse:
    request = HttpRequest(
        method="POST",
        path=path,
        host=world.host,
        headers={"user-agent": BROWSER, "accept": "application/json", "content-type": "application/json", **headers},
        cookies=cookies or {},
    )
    return act(world, lambda: world.request(request), client="test")


def wakes(world: World) -> list[tuple[float, str | None]]:
    """Every wake (the service's desired count leaving 0): when, and the client the waker's request came from."""
    return [
        (event.time, event.details.get("client"))
        for event in world.events
        if event.kind == "desired" and event.details["before"] == 0 and event.details["after"] > 0
    ]
