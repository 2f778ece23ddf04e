"""AWS Lambda in the twin: execution environments, reserved concurrency, timeouts, and logs to CloudWatch.

Each invocation runs the real handler code (`handle` / `run` of lambdas/) in an actor of its own, in an
execution environment whose cold start built the runtime exactly as production does (`build_runtime`,
with the twin's clients wrapped in the same retry policy). An environment serves one invocation at a time
and is kept warm for Timings.lambda_keep_warm (ASSUMPTION). Reserved concurrency caps the environments
busy at once; beyond it an invocation is throttled, which an ALB answers 502 ("If the Lambda function is
throttled ... the load balancer returns HTTP 502", lambda-functions). An invocation that outlives its
timeout is stopped where it stands (the Killed exception cannot be caught by the handler's own
`except Exception`). What the handler prints goes to the function's log; embedded-metric-format lines
become CloudWatch metrics.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.twin.world import World


@dataclass(eq=False)
class Environment:
    runtime: Any
    busy: bool = False
    last_used: float = 0.0


@dataclass
class Invocation:
    function: str
    started: float
    outcome: str = "running"  # ok, error, timeout, throttled
    ended: float | None = None
    error: str = ""
    log: list[str] = field(default_factory=list)


class LambdaFunction:
    def __init__(
        self,
        world: World,
        name: str,
        *,
        init: Callable[[], Any],
        handle: Callable[[Any, dict[str, Any]], Any],
        timeout: float,
        reserved_concurrency: int | None,
        read_timeout: float | None = None,
    ) -> None:
        self.world, self.name = world, name
        self.read_timeout = read_timeout  # its AWS clients' read timeout (common/retry.py)
        self.init, self.handle = init, handle
        self.timeout, self.reserved = timeout, reserved_concurrency
        self.environments: list[Environment] = []
        self.invocations: list[Invocation] = []
        self.throttles = 0

    def invoke(self, event: dict[str, Any], **tags: Any) -> tuple[str, Any]:
        """Invoke and wait for the result; call from an actor. ("ok", result), or (outcome, None)."""
        sim = self.world.sim
        assert sim.current is not None, "invoke from an actor (a browser, the schedule)"
        now = sim.time
        keep = self.world.timings.lambda_keep_warm
        self.environments = [env for env in self.environments if env.busy or now - env.last_used < keep]
        busy = sum(1 for env in self.environments if env.busy)
        invocation = Invocation(function=self.name, started=now)
        self.invocations.append(invocation)
        if self.reserved is not None and busy >= self.reserved:
            self.throttles += 1
            invocation.outcome = "throttled"
            return "throttled", None
        environment = next((env for env in self.environments if not env.busy), None)
        cold = environment is None
        if environment is None:
            environment = Environment(runtime=None)
            self.environments.append(environment)
        environment.busy = True
        caller_tags = dict(sim.current.tags) if sim.current is not None else {}

        def body() -> Any:
            if cold:
                sim.sleep(sim.uniform(*self.world.timings.lambda_init))
                environment.runtime = self.init()
            return self.handle(environment.runtime, event)

        actor = sim.spawn(
            f"{self.name} invocation",
            body,
            **{**caller_tags, **tags, "invocation": invocation, "read_timeout": self.read_timeout},
        )
        deadline_passed = []

        def on_timeout() -> None:
            if not actor.done:
                deadline_passed.append(True)
                sim.kill(actor)

        sim.after(self.timeout, on_timeout)
        sim.join(actor)
        return self._finish(actor, invocation, environment, deadline_passed)

    def _finish(self, actor: Any, invocation: Invocation, environment: Environment, timed_out: list) -> tuple:
        invocation.ended = self.world.sim.time
        environment.busy = False
        environment.last_used = self.world.sim.time
        if timed_out:
            invocation.outcome = "timeout"
            # A timed-out environment is not reused: Lambda stops its process.
            self.environments.remove(environment)
            return "timeout", None
        if actor.error is not None:
            invocation.outcome, invocation.error = "error", f"{type(actor.error).__name__}: {actor.error}"
            if environment.runtime is None and environment in self.environments:
                self.environments.remove(environment)  # its init failed: the next invocation starts again
            return "error", None
        invocation.outcome = "ok"
        return "ok", actor.result


class LogRouter(io.TextIOBase):
    """sys.stdout while a simulation runs: what an invocation prints goes to its log and to CloudWatch."""

    def __init__(self, world: World, fallback: Any) -> None:
        self.world, self.fallback = world, fallback

    def write(self, text: str) -> int:
        actor = self.world.sim.current
        invocation = actor.tags.get("invocation") if actor is not None else None
        if invocation is None:
            return self.fallback.write(text)
        for line in text.splitlines():
            if not line.strip():
                continue
            invocation.log.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                self.world.cloudwatch.ingest_emf(record, self.world.sim.time)
                self.world.records.append(record)
        return len(text)

    def flush(self) -> None:
        self.fallback.flush()


class capture_logs:
    def __init__(self, world: World) -> None:
        self.world = world

    def __enter__(self) -> None:
        self.saved = sys.stdout
        sys.stdout = LogRouter(self.world, self.saved)

    def __exit__(self, *exc: object) -> None:
        sys.stdout = self.saved
