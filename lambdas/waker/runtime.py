"""The waker's runtime: what a cold start builds once (clients, app, token key) and reads cached for 2 s."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from common.apply import apply
from common.apps import AppSpec
from common.aws import Clients, read_facts, read_target_health, read_tasks
from common.facts import Facts, healthy_count, target_states
from common.lifecycle import Decision
from common.registry import load_app
from common.retry import WAKER_CALL_BUDGET_SECONDS, CallBudget
from waker.page import Step, current_step

# A holding page polls every second: within this, one Lambda environment answers from what it last read.
CACHE_SECONDS = 2.0


@dataclass
class Cached:
    """Reads kept for CACHE_SECONDS within one Lambda instance."""

    facts: tuple[datetime, Facts] | None = None
    target_states: tuple[datetime, tuple[str, ...]] | None = None  # from the same read as facts' health
    progress: tuple[datetime, Step] | None = None

    def fresh(self, entry: tuple[datetime, Any] | None, now: datetime) -> Any:
        if entry is None or now - entry[0] > timedelta(seconds=CACHE_SECONDS) or now < entry[0]:
            return None
        return entry[1]


@dataclass(kw_only=True)
class Runtime:
    clients: Clients
    app: AppSpec
    token_key: bytes
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    budget: CallBudget | None = None  # the same one its clients were made with (common/retry.py)
    cached: Cached = field(default_factory=Cached)

    def facts(self, *, fresh: bool = False) -> Facts:
        now = self.now()
        facts = None if fresh else self.cached.fresh(self.cached.facts, now)
        if facts is None:
            facts = read_facts(self.clients, self.app, with_health=False)
            health = read_target_health(self.clients, self.app)
            facts = replace(facts, healthy_targets=healthy_count(health))
            self.cached.facts = (now, facts)
            self.cached.target_states = (now, target_states(health))
        return facts

    def step(self) -> Step:
        """The holding page's step; the targets' states come from the health read behind `facts` if fresh."""
        now = self.now()
        step = self.cached.fresh(self.cached.progress, now)
        if step is None:
            states = self.cached.fresh(self.cached.target_states, now)
            if states is None:
                states = target_states(read_target_health(self.clients, self.app))
                self.cached.target_states = (now, states)
            step = current_step(read_tasks(self.clients, self.app), states)
            self.cached.progress = (now, step)
        return step

    def change(self, facts: Facts, decision: Decision) -> None:
        apply(self.clients, self.app, facts, decision)
        self.cached = Cached()


def build_runtime(
    make: Callable[[CallBudget], Clients],
    environ: Mapping[str, str],
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> Runtime:
    """What a cold start does once: clients within a call budget, then read the app object and the token key.

    `make` returns the AWS clients, wrapped in WAKER_RETRIES and the given budget. The twin builds it the same
    way, with its own clients and clock.
    """
    budget = CallBudget(WAKER_CALL_BUDGET_SECONDS, clock=lambda: now().timestamp())
    clients = make(budget)
    secret = clients.secrets.get_secret_value(SecretId=environ["ZERODASH_TOKEN_SECRET"])["SecretString"]
    return Runtime(
        clients=clients,
        app=load_app(clients.ssm, environ["ZERODASH_APP_PARAMETER"]),
        token_key=secret.encode(),
        now=now,
        sleep=sleep,
        budget=budget,
    )
