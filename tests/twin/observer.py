"""Watches every app's state from outside, as the code under test would derive it, for the properties.

Every `every` seconds it builds the app's Facts straight from the twin's model (no API call, so it does
not disturb what it observes) and records how long each state lasted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from common.facts import Facts, ServiceView
from common.lifecycle import State, state_of
from common.marks import read_marks
from common.route import read_route
from tests.twin.world import World


@dataclass
class Spell:
    state: State
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class Observer:
    world: World
    every: float = 5.0
    spells: dict[str, list[Spell]] = field(default_factory=dict)

    def start(self) -> Observer:
        self.world.sim.after(0, self._sample)
        return self

    def state(self, name: str) -> State:
        app = self.world.apps[name]
        service = app.service
        view = ServiceView(
            desired_count=service.desired,
            marks=read_marks([{"key": key, "value": value} for key, value in service.tags.items()]),
        )
        route = read_route(
            {"Actions": app.rule.actions},
            service_target_group_arn=app.service_group.arn,
            waker_target_group_arn=app.waker_group.arn,
        )
        return state_of(Facts(service=view, route=route))

    def _sample(self) -> None:
        now = self.world.sim.time
        for name in self.world.apps:
            state = self.state(name)
            spells = self.spells.setdefault(name, [])
            if spells and spells[-1].state is state:
                spells[-1].end = now
            else:
                spells.append(Spell(state=state, start=now, end=now))
        self.world.sim.after(self.every, self._sample)

    def longest(self, name: str, state: State) -> float:
        return max((spell.seconds for spell in self.spells.get(name, []) if spell.state is state), default=0.0)
