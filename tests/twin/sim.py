"""The twin's clock: a deterministic discrete-event simulator whose actors are greenlets.

Every Lambda invocation, browser and AWS background process is an actor. An actor runs until it calls
`sim.sleep(seconds)` (every twin AWS call does, for its latency), which hands control back to the hub;
the hub resumes actors in time order (ties in creation order). Only one actor runs at a time, and every
random draw comes from the simulator's seeded generator, so a run is a pure function of its inputs and
seed, while calls from concurrent actors still interleave at their own times. A month runs in minutes
because nothing happens between events.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import greenlet


class Killed(BaseException):
    """Thrown into an actor to stop it where it stands. A BaseException, so `except Exception` cannot catch
    it: a Lambda that times out gets no chance to clean up either."""


@dataclass(eq=False)
class Actor:
    name: str
    tags: dict[str, Any] = field(default_factory=dict)  # what the twin knows about who is acting
    glet: greenlet.greenlet | None = None
    result: Any = None
    error: BaseException | None = None
    waiters: list[Callable[[], None]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.glet is not None and self.glet.dead


class Sim:
    def __init__(self, start: datetime, *, seed: int = 0) -> None:
        self.time = start.timestamp()
        self.rng = random.Random(seed)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._hub = greenlet.getcurrent()
        self._actors: dict[greenlet.greenlet, Actor] = {}
        # Actors that ended with an exception other than Killed: a bug of the twin, or of the code under test
        # where nothing else would see it (a browser's crash is not an answer).
        self.crashed: list[Actor] = []

    # Time ---------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time, UTC)

    def at(self, moment: float, callback: Callable[[], None]) -> None:
        """Run `callback` in the hub at `moment` (seconds since the epoch); never in the past."""
        heapq.heappush(self._queue, (max(moment, self.time), next(self._order), callback))

    def after(self, seconds: float, callback: Callable[[], None]) -> None:
        self.at(self.time + seconds, callback)

    # Actors -------------------------------------------------------------------------------------------

    @property
    def current(self) -> Actor | None:
        """The actor that is running, or None in the hub (test set-up, background callbacks)."""
        return self._actors.get(greenlet.getcurrent())

    def spawn(self, name: str, body: Callable[[], Any], *, delay: float = 0.0, **tags: Any) -> Actor:
        actor = Actor(name=name, tags=tags)

        def run() -> None:
            try:
                actor.result = body()
            except Killed as error:
                actor.error = error
            except Exception as error:  # an actor's failure is its result; the simulation goes on
                actor.error = error
                if not actor.tags.get("invocation"):  # a Lambda's error is its invocation's outcome
                    self.crashed.append(actor)
            finally:
                for waiter in actor.waiters:
                    self.after(0, waiter)

        actor.glet = greenlet.greenlet(run, parent=self._hub)
        self._actors[actor.glet] = actor
        self.after(delay, lambda: self._resume(actor))
        return actor

    def sleep(self, seconds: float) -> None:
        """Inside an actor: wait `seconds` of simulated time. In the hub (set-up code): no-op."""
        actor = self.current
        if actor is None:
            return
        self.after(seconds, lambda: self._resume(actor))
        self._hub.switch()

    def join(self, actor: Actor) -> None:
        """Inside an actor: wait until `actor` has finished (or was killed)."""
        waiter = self.current
        if actor.done or waiter is None:
            return
        actor.waiters.append(lambda: self._resume(waiter))
        self._hub.switch()

    def kill(self, actor: Actor) -> None:
        """End a paused actor where it stands (a Lambda timeout)."""
        if actor.glet is not None and not actor.glet.dead and actor.glet is not greenlet.getcurrent():
            actor.glet.throw(Killed())
            self._forget(actor)

    def _resume(self, actor: Actor) -> None:
        if actor.glet is None or actor.glet.dead:
            return
        actor.glet.switch()
        if actor.glet.dead:
            self._forget(actor)

    def _forget(self, actor: Actor) -> None:
        self._actors.pop(actor.glet, None)

    # Running ------------------------------------------------------------------------------------------

    def run_until(self, moment: datetime | float) -> None:
        end = moment.timestamp() if isinstance(moment, datetime) else moment
        while self._queue and self._queue[0][0] <= end:
            when, _, callback = heapq.heappop(self._queue)
            self.time = when
            callback()
        self.time = max(self.time, end)

    def run_for(self, seconds: float) -> None:
        self.run_until(self.time + seconds)

    def uniform(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)
