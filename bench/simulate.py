"""Replay request traces on the AWS twin (tests/twin) with ZeroDash's real scaler and waker, next to an
always-on deployment and Compute Studio's idle policy, and print one table (or JSON lines).

    PYTHONPATH=.:lambdas python -m bench.simulate [TRACE.csv ...] [--json] [--seed N] [--jobs N]

Model, the same for every policy: the twin's documented behaviour of ELB, ECS on Fargate, Application Auto
Scaling, CloudWatch and Lambda, with its timings (tests/twin/timings.py); one app of 0.5 vCPU / 1 GB; a
row with a session is a person whose browser runs JavaScript (the holding page's script included), a row
without one a client that runs nothing (bench/README.md). Prices: zerodash/prices.py.

- Always on: 2 tasks all month behind the app's rule (the article's setup), no scaler.
- Compute Studio: the rule always on the service; every 15 minutes the app is stopped if nothing reached
  it for 30 minutes; a request to a stopped app fails (the load balancer's 503) and starts it, as a visit
  did there. No holding page, no bot filter.
- ZeroDash: the deployment as infra builds it, the real Lambdas on the twin, with and without blockBots.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.twin.browser import Row, Visits, replay
from tests.twin.lambdas import capture_logs
from tests.twin.world import AppSetup, World
from zerodash.prices import HOURS_PER_MONTH, PRICES

TASK_VCPU, TASK_GB = 0.5, 1.0
TRACES = Path(__file__).parent / "traces"
DEFAULT_TRACES = (TRACES / "office.csv", TRACES / "public.csv", TRACES / "scanner.csv")


@dataclass(frozen=True)
class Result:
    trace: str
    policy: str
    task_hours: float
    fargate_cost: float
    cloudwatch_cost: float
    cold_starts: int
    wake_p50_seconds: float | None
    wake_p95_seconds: float | None
    human_requests: int
    human_alb_errors: int
    sessions_cut: int
    nonhuman_wakes: int
    holding_pages: int
    callbacks_answered_503: int
    control_plane_calls_per_hour: float
    wall_seconds: float


def read_trace(path: Path) -> list[Row]:
    """The trace CSV (bench/README.md); `host` is optional."""
    with path.open(newline="") as handle:
        rows = [
            Row(
                at=datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")).timestamp(),
                session=row["session"],
                method=row["method"].upper(),
                path=row["path"],
                user_agent=row["user_agent"],
                accept=row["accept"],
                host=row.get("host") or "",
            )
            for row in csv.DictReader(handle)
        ]
    return sorted(rows, key=lambda row: row.at)


def span(rows: Sequence[Row]) -> tuple[datetime, datetime]:
    """The whole calendar month(s) the trace covers, so every policy is billed for the same time."""
    start = datetime.fromtimestamp(rows[0].at, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last = datetime.fromtimestamp(rows[-1].at, UTC)
    end = (last.replace(day=28, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=4)).replace(day=1)
    return start, end


def always_on(world: World) -> None:
    world.deploy("dashboard", capacity=(2, 2), desired=2, rule_to_service=True)


def compute_studio(world: World, *, check_minutes: int = 15, idle_minutes: int = 30) -> None:
    world.deploy("dashboard", capacity=(0, 1), desired=0, rule_to_service=True)
    app = world.apps["dashboard"]
    group = app.service_group.full_name

    def start_on_request() -> None:
        if app.service.desired == 0:
            world.ecs.set_desired(app.service, 1, cause="a request")

    app.service_group.on_unserved = start_on_request

    def check() -> None:
        now = world.sim.time
        quiet = world.cloudwatch.raw_sum("AWS/ApplicationELB", "RequestCount", group, now - idle_minutes * 60, now)
        unserved = app.service_group.unserved_since(now - idle_minutes * 60)
        if app.service.desired and quiet == 0 and not unserved:
            world.ecs.set_desired(app.service, 0, cause="idle check")
        world.sim.after(check_minutes * 60, check)

    world.sim.after(check_minutes * 60, check)


@dataclass(frozen=True)
class Policy:
    name: str
    block_bots: bool
    scaler: bool
    prepare: Callable[[World], None] | None = None


POLICIES = (
    Policy("Always on, 2 tasks", block_bots=False, scaler=False, prepare=always_on),
    Policy("Compute Studio (15 min check, 30 min idle)", block_bots=False, scaler=False, prepare=compute_studio),
    Policy("ZeroDash with blockBots=false", block_bots=False, scaler=True),
    Policy("ZeroDash defaults", block_bots=True, scaler=True),
)


def simulate(
    trace: str, rows: Sequence[Row], policy: Policy, *, seed: int, window: tuple[datetime, datetime] | None = None
) -> Result:
    """One policy over one trace, billed over `window` (default: the trace's whole calendar months)."""
    started = time.perf_counter()
    start, end = window or span(rows)
    world = World(start=start, apps=(AppSetup(),), seed=seed, block_bots=policy.block_bots, scaler=policy.scaler)
    if policy.prepare is not None:
        policy.prepare(world)
    with capture_logs(world):
        visits = replay(world, rows)
        world.sim.run_until(end)
    if world.sim.crashed:  # a bug of the twin or of the code under test: no figure from this run is worth printing
        raise RuntimeError(
            f"{trace}, {policy.name}: {world.sim.crashed[0].name} crashed: {world.sim.crashed[0].error!r}"
        )
    hours = (end - start).total_seconds() / 3600
    return _result(trace, policy.name, world, visits, end.timestamp(), hours, time.perf_counter() - started)


def _simulate_file(path: Path, policy_index: int, seed: int) -> Result:
    return simulate(path.stem, read_trace(path), POLICIES[policy_index], seed=seed)


def _run_all(runs: Sequence[tuple[Path, int, int]], jobs: int) -> Iterator[Result]:
    if jobs <= 1:
        yield from (_simulate_file(*run) for run in runs)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_simulate_file, *run) for run in runs]
        yield from (future.result() for future in futures)


def _result(trace: str, policy: str, world: World, visits: Visits, end: float, hours: float, wall: float) -> Result:
    task_hours = world.ecs.task_seconds(end) / 3600
    custom_hours = len(world.cloudwatch.custom_metric_hours)
    cloudwatch = (
        world.cloudwatch.metrics_requested * PRICES.get_metric_data_metric
        + custom_hours * PRICES.custom_metric_month / HOURS_PER_MONTH
    )
    wakes = sorted(visits.wake_seconds)
    woken = [
        event
        for event in world.events
        if event.kind == "desired" and event.details["before"] == 0 and event.details.get("cause") != "deploy"
    ]
    return Result(
        trace=trace,
        policy=policy,
        task_hours=round(task_hours, 1),
        fargate_cost=round(task_hours * (TASK_VCPU * PRICES.fargate_vcpu_hour + TASK_GB * PRICES.fargate_gb_hour), 2),
        cloudwatch_cost=round(cloudwatch, 2),
        cold_starts=len(woken),
        wake_p50_seconds=round(statistics.median(wakes), 1) if wakes else None,
        wake_p95_seconds=round(_percentile(wakes, 0.95), 1) if wakes else None,
        human_requests=visits.human_requests,
        human_alb_errors=visits.human_alb_errors,
        sessions_cut=visits.sessions_cut,
        nonhuman_wakes=sum(1 for event in woken if event.details.get("client") == "other"),
        holding_pages=visits.holding_pages,
        callbacks_answered_503=visits.callbacks_unavailable,
        control_plane_calls_per_hour=round(world.calls.total / hours, 1),
        wall_seconds=round(wall, 1),
    )


def _percentile(values: Sequence[float], share: float) -> float:
    index = min(len(values) - 1, max(0, round(share * (len(values) - 1))))
    return values[index]


COLUMNS = (
    ("trace", "trace"),
    ("policy", "policy"),
    ("task_hours", "task-hours"),
    ("fargate_cost", "Fargate"),
    ("cloudwatch_cost", "CloudWatch"),
    ("cold_starts", "cold starts"),
    ("wake_p50_seconds", "wake p50 s"),
    ("wake_p95_seconds", "wake p95 s"),
    ("human_alb_errors", "human requests answered by an ALB error"),
    ("sessions_cut", "sessions cut off by a sleep"),
    ("nonhuman_wakes", "wakes started by non-humans"),
    ("control_plane_calls_per_hour", "control-plane calls / h"),
)


def table(results: Sequence[Result]) -> str:
    lines = [
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "|".join("---" if index < 2 else "---:" for index in range(len(COLUMNS))) + "|",
    ]
    for result in results:
        cells = []
        for key, _ in COLUMNS:
            value = getattr(result, key)
            if key.endswith("_cost"):
                cells.append(f"${value:.2f}")
            else:
                cells.append("-" if value is None else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("traces", nargs="*", type=Path, default=list(DEFAULT_TRACES))
    parser.add_argument("--json", action="store_true", help="one JSON object per trace and policy, for scripts")
    parser.add_argument("--seed", type=int, default=1, help="the twin's random seed (timings, draws)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="simulations run in parallel")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.traces if not path.is_file()]
    if missing:
        parser.error(f"no such trace file: {', '.join(missing)}")
    runs = [(path, index, args.seed) for path in args.traces for index in range(len(POLICIES))]
    results = []
    for result in _run_all(runs, args.jobs):  # in order, each printed as soon as it and those before it are done
        results.append(result)
        if args.json:
            print(json.dumps(asdict(result)), flush=True)
        else:
            print(f"{result.trace}: {result.policy}: {result.wall_seconds} s", file=sys.stderr, flush=True)
    if not args.json:
        print(table(results))
        print(
            f"\nOne app, 0.5 vCPU / 1 GB, us-east-1 on-demand prices; the twin's timings: tests/twin/timings.py "
            f"(seed {args.seed})."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
