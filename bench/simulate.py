"""Replay a request trace through ZeroDash's real decision function and waker classification, and
compare it with always-on tasks and with Compute Studio's idle policy. Prints a Markdown table.

    python bench/simulate.py bench/traces/office.csv bench/traces/public.csv [--start-seconds 60]

Model (the same for every policy):
- Task size 0.5 vCPU / 1 GB (ZeroDash's default) for all three policies, so only the policy differs.
  Fargate on-demand, us-east-1, Linux/x86: $0.04048 per vCPU-hour and $0.004445 per GB-hour (AWS
  Fargate pricing page; unchanged since the January 2019 price cut, checked November 2026).
  Billing is modelled from the moment a task is requested until it is stopped.
- A task is healthy `--start-seconds` after it is requested (default 60 s: image pull + health check).
- People who see a holding page wait on it (it reloads every 5 s) and carry on once the app is up:
  the rest of their session shifts by the wait. People who get an error retry once the app is up.
- ZeroDash: the scaler runs every 60 s with the default policy (idle 15 min, min awake 5 min, 1 task)
  and sees complete minutes only (CloudWatch's minute of lag); the waker classifies each request with
  the real `waker.classify` and wakes the app on page loads and callbacks, not on bots or probes.
- Always-on: 2 tasks around the clock (the article's setup), never an error.
- Compute Studio: every 15 min, stop the app if there was no page load or ping (any request from a
  browser) in the last 30 min. A stopped app has no holding page: requests to it fail (bare 503s /
  failed page loads) and the first one starts it, as a visit to the app's page does there.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambdas"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.facts import Facts, RuleTarget
from common.policy import Policy
from scaler.decision import decide
from scaler.traffic import Traffic
from waker.classify import Kind, classify, request_from_event
from zerodash.prices import PRICES

VCPU_HOUR = PRICES.fargate_vcpu_hour  # one price table for the project: zerodash/prices.py
GB_HOUR = PRICES.fargate_gb_hour
TASK_VCPU, TASK_GB = 0.5, 1.0
REFRESH_SECONDS = 5
SCALER_PERIOD = 60
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Hit:
    at: datetime
    session: str
    kind: Kind


@dataclass
class Result:
    name: str
    task_seconds: float = 0.0
    cold_starts: int = 0
    holding_pages: int = 0
    deferred_callbacks: int = 0
    errors: int = 0
    human_requests: int = 0

    @property
    def task_hours(self) -> float:
        return self.task_seconds / 3600

    @property
    def cost(self) -> float:
        return self.task_hours * (TASK_VCPU * VCPU_HOUR + TASK_GB * GB_HOUR)


def read_trace(path: Path) -> list[Hit]:
    hits = []
    with path.open() as handle:
        for row in csv.DictReader(handle):
            event = {
                "httpMethod": row["method"],
                "path": row["path"],
                "headers": {"user-agent": row["user_agent"], "accept": row["accept"]},
            }
            if row["method"] == "POST":
                event["headers"]["sec-fetch-mode"] = "cors"
            at = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
            hits.append(Hit(at=at, session=row["session"], kind=classify(request_from_event(event))))
    return sorted(hits, key=lambda hit: hit.at)


def span(hits: list[Hit]) -> tuple[datetime, datetime]:
    """The whole calendar month(s) the trace covers, so every policy is billed for the same time."""
    start = hits[0].at.replace(day=1, hour=0, minute=0, second=0)
    last = hits[-1].at
    end = (last.replace(day=28, hour=0, minute=0, second=0) + timedelta(days=4)).replace(day=1)
    return start, end


def always_on(hits: list[Hit], tasks: int = 2) -> Result:
    start, end = span(hits)
    humans = sum(1 for hit in hits if hit.kind.wakes)
    return Result(
        f"Always on, {tasks} tasks", task_seconds=tasks * (end - start).total_seconds(), human_requests=humans
    )


class Replay:
    """Requests in time order; a session that waits for a start is shifted by the wait."""

    def __init__(self, hits: Iterable[Hit]) -> None:
        self.queue = [(hit.at, index, hit, timedelta(0)) for index, hit in enumerate(hits)]
        heapq.heapify(self.queue)
        self.shift: dict[str, timedelta] = defaultdict(timedelta)

    def delay(self, session: str, until: timedelta) -> None:
        if session:
            self.shift[session] = max(self.shift[session], until)

    def pop_until(self, limit: datetime) -> Iterable[tuple[datetime, Hit]]:
        while self.queue and self.queue[0][0] < limit:
            at, index, hit, applied = heapq.heappop(self.queue)
            wanted = self.shift[hit.session] if hit.session else timedelta(0)
            if wanted > applied:
                heapq.heappush(self.queue, (hit.at + wanted, index, hit, wanted))
                continue
            yield at, hit


def zerodash(hits: list[Hit], start_seconds: float, *, bot_rule: bool = False, policy: Policy | None = None) -> Result:
    """`bot_rule`: bot user agents never reach the service, as with the default `blockBots` listener rules."""
    policy = policy or Policy()
    name = "ZeroDash defaults (blockBots)" if bot_rule else "ZeroDash with blockBots=false"
    result = Result(name, human_requests=sum(1 for hit in hits if hit.kind.wakes))
    start, end = span(hits)
    facts = Facts(desired_count=0, rule_target=RuleTarget.WAKER, healthy_targets=0, capacity_range=(0, 0))
    ready_at: datetime | None = None
    service: dict[datetime, float] = defaultdict(float)
    waker: dict[datetime, float] = defaultdict(float)
    wakes: dict[datetime, float] = defaultdict(float)
    replay = Replay(hits)
    tick = start
    while tick < end:
        next_tick = tick + timedelta(seconds=SCALER_PERIOD)
        for at, hit in replay.pop_until(next_tick):
            minute = at.replace(second=0, microsecond=0)
            healthy = ready_at is not None and at >= ready_at
            if bot_rule and not hit.kind.wakes:
                waker[minute] += 1
                continue
            if facts.rule_target is RuleTarget.SERVICE:
                if facts.desired_count == 0 or not healthy:
                    result.errors += hit.kind.wakes
                service[minute] += 1
                continue
            waker[minute] += 1
            if not hit.kind.wakes:
                continue
            wakes[minute] += 1
            if facts.desired_count == 0:
                facts = replace(
                    facts, desired_count=policy.min_tasks, capacity_range=policy.awake_range, awake_since=at
                )
                ready_at, result.cold_starts = at + timedelta(seconds=start_seconds), result.cold_starts + 1
            if at >= ready_at:
                facts = replace(facts, rule_target=RuleTarget.SERVICE, healthy_targets=1)
                continue  # redirected to the app (pages) or retried at once (callbacks)
            wait = ready_at - at
            reload = timedelta(seconds=REFRESH_SECONDS * -(-wait.total_seconds() // REFRESH_SECONDS))
            replay.delay(hit.session, replay.shift[hit.session] + reload)
            if hit.kind is Kind.PAGE:
                result.holding_pages += 1
            else:
                result.deferred_callbacks += 1
        # The scaler at next_tick, seeing only complete minutes.
        healthy = ready_at is not None and next_tick >= ready_at
        facts = replace(facts, healthy_targets=1 if healthy and facts.desired_count else 0)
        visible = next_tick.replace(second=0) - MINUTE
        traffic = Traffic(
            service={m: c for m, c in service.items() if m <= visible},
            waker={m: c for m, c in waker.items() if m <= visible},
            wakes={m: c for m, c in wakes.items() if m <= visible},
        )
        decision = decide(facts, traffic, policy, next_tick)
        if decision.desired_count == 0:
            ready_at = None
        elif decision.desired_count:
            ready_at, result.cold_starts = next_tick + timedelta(seconds=start_seconds), result.cold_starts + 1
        facts = replace(
            facts,
            desired_count=facts.desired_count if decision.desired_count is None else decision.desired_count,
            rule_target=decision.rule_target or facts.rule_target,
            capacity_range=decision.capacity_range or facts.capacity_range,
            awake_since=decision.stamp_awake_since or facts.awake_since,
        )
        result.task_seconds += facts.desired_count * SCALER_PERIOD
        tick = next_tick
    return result


def compute_studio(hits: list[Hit], start_seconds: float, check_minutes: int = 15, idle_minutes: int = 30) -> Result:
    result = Result("Compute Studio (15 min check, 30 min idle)", human_requests=sum(1 for h in hits if h.kind.wakes))
    start, end = span(hits)
    running, ready_at, last_activity = False, None, start
    replay = Replay(hits)
    tick = start
    while tick < end:
        next_tick = tick + timedelta(seconds=SCALER_PERIOD)
        for at, hit in replay.pop_until(next_tick):
            if hit.kind.wakes:
                last_activity = at
            if running and at >= ready_at:
                continue
            if hit.kind.wakes:
                result.errors += 1
                if not running:
                    running, ready_at, result.cold_starts = (
                        True,
                        at + timedelta(seconds=start_seconds),
                        1 + result.cold_starts,
                    )
                replay.delay(hit.session, replay.shift[hit.session] + (ready_at - at) + timedelta(seconds=10))
        minutes = int((next_tick - start).total_seconds() // 60)
        if running and minutes % check_minutes == 0 and next_tick - last_activity >= timedelta(minutes=idle_minutes):
            running, ready_at = False, None
        result.task_seconds += SCALER_PERIOD if running else 0
        tick = next_tick
    return result


def table(rows: list[tuple[str, Result]]) -> str:
    lines = [
        "| trace | policy | task-hours | Fargate cost | cold starts | requests that saw the holding page "
        "| callbacks answered 503 + Retry-After | requests answered with an error |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for trace, result in rows:
        lines.append(
            f"| {trace} | {result.name} | {result.task_hours:.1f} | ${result.cost:.2f} | {result.cold_starts} "
            f"| {result.holding_pages} | {result.deferred_callbacks} | {result.errors} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    folder = Path(__file__).parent / "traces"
    parser.add_argument("traces", nargs="*", type=Path, default=[folder / "office.csv", folder / "public.csv"])
    parser.add_argument("--start-seconds", type=float, default=60.0, help="Fargate start to healthy (default 60)")
    args = parser.parse_args(argv)
    rows = []
    for path in args.traces:
        hits = read_trace(path)
        rows += [
            (path.stem, always_on(hits)),
            (path.stem, compute_studio(hits, args.start_seconds)),
            (path.stem, zerodash(hits, args.start_seconds)),
            (path.stem, zerodash(hits, args.start_seconds, bot_rule=True)),
        ]
    print(table(rows))
    start, end = span(read_trace(args.traces[0]))
    print(
        f"\n{(end - start).days} days per trace, task 0.5 vCPU / 1 GB, start {args.start_seconds:.0f} s, "
        f"us-east-1 on-demand ${VCPU_HOUR}/vCPU-h + ${GB_HOUR}/GB-h."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
