"""What every twin API call shares: its latency, the count of control-plane calls, throttling and faults.

ELB: "ELB throttles its API requests for each AWS account on a per-Region basis ... ELB uses the token
bucket algorithm", "the token bucket size for non-mutating API actions is 40 tokens", refilled at 10 per
second (elb-api-throttling; the refill rate read from the page's zh_cn edition). ECS and Application Auto
Scaling document token buckets too, without the figures for the calls used here, so only ELB's describe
bucket is modelled from the docs; other throttling comes from injected faults (Faults).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ReadTimeoutError

from tests.twin.errors import client_error, throttled

if TYPE_CHECKING:
    from tests.twin.world import World


@dataclass
class TokenBucket:
    size: float
    refill_per_second: float
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float) -> bool:
        if self.tokens < 0:
            self.tokens, self.updated = self.size, now
        self.tokens = min(self.size, self.tokens + (now - self.updated) * self.refill_per_second)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class Faults:
    """Injected faults, each drawn per call from the simulator's generator.

    throttle: probability that a call is refused with the service's throttling error.
    server_error: probability of a 5xx (ServiceUnavailable / ServerException).
    slow: probability that a call takes `slow_seconds` extra (a stalled connection); the caller's client
          gives up at its read timeout.
    only: limit the faults to these "service.operation" names (empty: every call).
    """

    throttle: float = 0.0
    server_error: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 4.0
    only: frozenset[str] = frozenset()

    def applies(self, name: str) -> bool:
        return not self.only or name in self.only


@dataclass
class CallLog:
    counts: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Api:
    """Base of a twin service client. `service` names it in call counts and errors."""

    service = ""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sim = world.sim

    def _call(self, operation: str, *, describe: bool = False) -> None:
        """Account for one call: wait its latency, then maybe fail it. The call's effect happens after."""
        world, sim = self.world, self.sim
        name = f"{self.service}.{operation}"
        world.calls.counts[name] += 1
        faults = world.faults
        extra = 0.0
        if faults.slow and faults.applies(name) and sim.rng.random() < faults.slow:
            extra = faults.slow_seconds
        latency = sim.uniform(*world.timings.api_call) + extra
        # The caller's client gives up after its read timeout (common/retry.py RetryPolicy, botocore's config).
        actor = sim.current
        timeout = actor.tags.get("read_timeout") if actor is not None else None
        if timeout is not None and latency > timeout:
            sim.sleep(timeout)
            raise ReadTimeoutError(endpoint_url=f"https://{self.service}.us-east-1.amazonaws.com")
        sim.sleep(latency)
        if describe and self.service == "elbv2" and not world.elb_describe_bucket.take(sim.time):
            world.calls.throttled[name] += 1
            raise throttled(self.service, operation)
        if faults.applies(name):
            if faults.throttle and sim.rng.random() < faults.throttle:
                world.calls.throttled[name] += 1
                raise throttled(self.service, operation)
            if faults.server_error and sim.rng.random() < faults.server_error:
                code = "ServerException" if self.service == "ecs" else "ServiceUnavailable"
                raise client_error(code, "injected server error", operation, status=503)
