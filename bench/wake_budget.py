"""The wake-time budget: where the seconds go between a visitor's first request and the app's page.

    PYTHONPATH=.:lambdas python -m bench.wake_budget [--wakes 200]

Each wake is a fresh twin (tests/twin) with its own seed: one person opens a sleeping app, the holding
page's script asks for the wake and polls, the real waker and scaler do the rest. Every part is measured
from the twin's record of that wake; the timings behind each part, and their sources, are in
tests/twin/timings.py. Printed per variant: the levers ZeroDash uses, and what each costs when it is not
pulled (a 10 s health check interval, images without zstd, ELB needing two passing checks for a new target).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tests.twin.browser import BROWSER, HTML, Row, replay
from tests.twin.elb import HealthCheck
from tests.twin.helpers import START
from tests.twin.lambdas import capture_logs
from tests.twin.world import AppSetup, World

GOAL_P50, GOAL_P95 = 30.0, 45.0
PARTS = (
    ("page, script and wake request (waker cold start included)", "ask"),
    ("ECS scheduler acts on the new desired count", "scheduler"),
    ("provisioning: capacity and network interface", "provisioning"),
    ("pending: the container agent", "pending"),
    ("image pull (download and extraction)", "pull"),
    ("container created, target registered", "register"),
    ("health check passes (the app starts meanwhile)", "health"),
    ("waker sees the healthy target, moves the rule", "flip"),
    ("the rule change reaches the load balancer", "propagation"),
    ("the page's next poll, then the reload", "reload"),
)


@dataclass(frozen=True)
class Variant:
    name: str
    interval: float = 5.0
    passes: int = 1
    zstd: bool = False


VARIANTS = (
    Variant("ZeroDash (5 s checks, one check for a new target)"),
    Variant("  with zstd-compressed image layers", zstd=True),
    Variant("  if ELB needs HealthyThresholdCount (2) checks for a new target", passes=2),
    Variant("  with the previous 10 s health check interval", interval=10.0),
)


def one_wake(seed: int, variant: Variant) -> dict[str, float] | None:
    world = World(start=START, apps=(AppSetup(zstd=variant.zstd),), seed=seed)
    group = world.apps["dashboard"].service_group
    group.health = replace(group.health or HealthCheck(path="/health"), interval=variant.interval)
    group.health = replace(group.health, new_target_passes=variant.passes)
    visit = START.timestamp() + 120 + world.sim.uniform(0, 60)
    with capture_logs(world):
        visits = replay(world, [Row(visit, "p", "GET", "/", BROWSER, HTML)])
        world.sim.run_for(900)
    if len(visits.wake_seconds) != 1:
        return None
    app = world.apps["dashboard"]
    task = app.service.tasks[0]
    asked = next(event.time for event in world.events if event.kind == "desired")
    flip = next(
        event.time for event in world.events if event.kind == "rule" and app.service_group.arn in str(event.details)
    )
    effective = app.rule.routing[-1][0]
    healthy = task.target.healthy_at if task.target else None
    if healthy is None:
        return None
    moments = {
        "ask": asked - visit,
        "scheduler": task.created_at - asked,
        "provisioning": task.provisioned_at - task.created_at,
        "pending": task.pull_started_at - task.provisioned_at,
        "pull": task.pull_stopped_at - task.pull_started_at,
        "register": task.running_at - task.pull_stopped_at,
        "health": healthy - task.running_at,
        "flip": flip - healthy,
        "propagation": effective - flip,
        "reload": visit + visits.wake_seconds[0] - effective,
        "total": visits.wake_seconds[0],
    }
    return moments


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def budget(wakes: int, variant: Variant) -> tuple[dict[str, list[float]], int]:
    samples: dict[str, list[float]] = {}
    failed = 0
    for seed in range(wakes):
        measured = one_wake(seed, variant)
        if measured is None:
            failed += 1
            continue
        for key, value in measured.items():
            samples.setdefault(key, []).append(value)
    return samples, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wakes", type=int, default=200, help="wakes per variant (default 200)")
    args = parser.parse_args(argv)
    for index, variant in enumerate(VARIANTS):
        samples, failed = budget(args.wakes, variant)
        totals = samples["total"]
        p50, p95 = statistics.median(totals), percentile(totals, 0.95)
        if index == 0:
            print(f"Wake time on the twin, {len(totals)} wakes ({failed} unfinished), seconds\n")
            print("| part | p50 | p95 |")
            print("|---|---:|---:|")
            for title, key in PARTS:
                values = samples[key]
                print(f"| {title} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} |")
            print(f"| **first request to the app's page** | **{p50:.1f}** | **{p95:.1f}** |")
            verdicts = [
                f"p50 {p50:.1f} s against {GOAL_P50:.0f} s: {'met' if p50 <= GOAL_P50 else 'not met'}",
                f"p95 {p95:.1f} s against {GOAL_P95:.0f} s: {'met' if p95 <= GOAL_P95 else 'not met'}",
            ]
            print(f"\nGoal: {'; '.join(verdicts)}.\n")
            print("| variant | p50 | p95 |")
            print("|---|---:|---:|")
        print(f"| {variant.name} | {p50:.1f} | {p95:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
