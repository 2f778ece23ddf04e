"""Retries of throttled and transient AWS calls, with capped exponential backoff and full jitter.

Every AWS client the Lambdas and the CLI use is wrapped in a RetryingClient, and botocore's own retries
are switched off (common/aws.py), so this is the one retry policy, and the AWS twin (tests/twin) runs it
exactly as Lambda does: ELB, ECS and Application Auto Scaling throttle per account and Region with token
buckets and answer `ThrottlingException` (docs: elb-api-throttling, ECS request-throttling).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "ServerException",  # ECS's server-side error
        "ConcurrentUpdateException",  # Application Auto Scaling: another update of the same target is under way
    }
)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    attempts: int = 4  # calls in all, the first included
    base_seconds: float = 0.2
    max_seconds: float = 2.0
    connect_timeout: float = 3.0  # seconds; a call that takes longer fails (and is retried)
    read_timeout: float = 5.0

    def delay(self, retry: int, draw: Callable[[], float]) -> float:
        """Full jitter: a random wait up to base * 2^retry, capped."""
        return draw() * min(self.max_seconds, self.base_seconds * 2**retry)


SCALER_RETRIES = RetryPolicy(attempts=5)
# A visitor waits on the waker: fewer, shorter tries, so even three stalled calls (3 x 2 s, plus backoff)
# end inside its 10 s timeout and the visitor gets an answer rather than the load balancer's 502.
WAKER_RETRIES = RetryPolicy(attempts=3, base_seconds=0.1, max_seconds=0.5, connect_timeout=1.0, read_timeout=2.0)
# Of its 10 s timeout, the waker spends at most this much on AWS calls: a call started just before the budget
# runs out takes at most read_timeout more, and a resend waits 1 s: 6 + 2 + 1 < 10.
WAKER_CALL_BUDGET_SECONDS = 6.0


class BudgetSpent(Exception):
    """This invocation has no time left for AWS calls (see CallBudget)."""


class CallBudget:
    """The time one invocation may spend on AWS calls and their retries, so that it can still answer.

    The waker must answer before its 10 s Lambda timeout, or the visitor gets the load balancer's 502; once
    the budget is spent its calls fail at once and it answers with what it has (waker/handler.py).
    """

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds, self._clock = seconds, clock
        self._started = clock()

    def start(self) -> None:
        self._started = self._clock()

    def left(self) -> float:
        return self.seconds - (self._clock() - self._started)


def is_retryable(error: Exception) -> bool:
    if isinstance(error, BudgetSpent):
        return True
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") in RETRYABLE_CODES
    return isinstance(error, ConnectionError | HTTPClientError)


class RetryingClient:
    """A boto3-style client whose method calls are retried on throttling and transient errors."""

    def __init__(
        self,
        client: Any,
        *,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        draw: Callable[[], float] = random.random,
        budget: CallBudget | None = None,
    ) -> None:
        self._client = client
        self._policy = policy
        self._sleep = sleep
        self._draw = draw
        self._budget = budget

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith("_") or name in ("get_paginator", "can_paginate"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            for retry in range(self._policy.attempts):
                if self._budget is not None and self._budget.left() <= 0:
                    raise BudgetSpent(f"no time left for {name}")
                try:
                    return attribute(*args, **kwargs)
                except Exception as error:
                    if retry == self._policy.attempts - 1 or not is_retryable(error):
                        raise
                    self._sleep(self._policy.delay(retry, self._draw))
            raise AssertionError("unreachable")

        return call
