"""Per example: image size, build time (cold and cached), start to first 200 at 0.5 vCPU; and what boto3 and
flask-restful add to the start of a runtime app, next to the whole wake.

    .venv/bin/python -m bench.images [--runs 3] [--no-cold] [population pages bokeh]

- size: uncompressed as the engine counts it, and compressed as a registry stores it and Fargate pulls it
  (`podman save | gzip -6`, gzip's default level, which is what a push compresses layers with);
- build cold: `--no-cache`, every layer built again (the base images exist, as a pulled base would in CI);
  cached: the same build again with nothing changed;
- start: from `run` to the first 200 on the health path, 0.5 vCPU, 1 GiB, read-only root, user 10001 (the image
  is local: no pull), median of --runs starts; the population example reads its data from a local S3;
- imports: inside the population image at 0.5 vCPU, each a fresh interpreter, median of 5: the runtime's two
  packages after what the app imports anyway (dash, pandas), boto3's S3 client included.

The wake p50 shown beside them is bench.wake_budget's (README, "Wake time"): provisioning, pull, start, health
check and the rule flip on the twin.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from bench.perf.table import markdown_table
from zerodash import images
from zerodash.local_s3 import directory_files, local_s3
from zerodash.sources import REPO_ROOT, AppSource, inspect_app

EXAMPLES = ("population", "pages", "bokeh")
APP_NAMES = {"population": "dashboard"}  # the default config's name for it; DATA_PREFIX is "<name>/"
BUCKET = "zerodash-bench-images"
WAKE_P50_S = 35.1  # README "Wake time": first request to the app's page, p50 of 200 twin wakes
IMPORT_RUNS = 5
CHUNK = 1 << 20

# Timed inside the image, in this order, each step after the ones before it (what the app imports first).
IMPORTS_SNIPPET = """
import json, time
marks = [time.perf_counter()]
import dash, pandas
marks.append(time.perf_counter())
import flask_restful
marks.append(time.perf_counter())
import boto3
marks.append(time.perf_counter())
boto3.client("s3", region_name="us-east-1")
marks.append(time.perf_counter())
print(json.dumps([b - a for a, b in zip(marks, marks[1:])]))
"""
IMPORT_PARTS = (
    "import dash, pandas (the app's own, for scale)",
    "import flask_restful (after dash)",
    "import boto3 (after the above)",
    "boto3.client('s3') (loads the S3 model)",
)


@dataclass(frozen=True)
class ImageFigures:
    example: str
    kind: str
    size_bytes: int
    compressed_bytes: int
    cold_s: float | None
    cached_s: float
    starts_s: tuple[float, ...]


def source_of(example: str) -> AppSource:
    return inspect_app(APP_NAMES.get(example, example), source=f"examples/{example}", root=REPO_ROOT)


def quiet(_: str) -> None:
    pass


def compressed_size(image: str, cli: Sequence[str]) -> int:
    """Bytes of the image's layers gzipped at the default level: `podman save IMAGE | gzip -6 | wc -c`."""
    process = subprocess.Popen([*cli, "save", image], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    compressor, total = zlib.compressobj(6, zlib.DEFLATED, 31), 0
    with process:
        while chunk := process.stdout.read(CHUNK):
            total += len(compressor.compress(chunk))
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(cli)} save {image} failed")
    return total + len(compressor.flush())


def build_times(source: AppSource, *, cold: bool) -> tuple[images.BuildResult, float | None, float]:
    """(result, cold seconds or None, cached seconds)."""
    cold_s = images.build(source, progress=quiet, no_cache=True).seconds if cold else None
    if not cold:
        images.build(source, progress=quiet)  # make sure every layer is cached before timing
    result = images.build(source, progress=quiet)
    return result, cold_s, result.seconds


def start_times(image: str, source: AppSource, env: dict[str, str], runs: int) -> tuple[float, ...]:
    return tuple(images.verify(image, source, env=env) for _ in range(runs))


def import_costs(image: str, cli: Sequence[str]) -> list[float]:
    """Median seconds of each IMPORT_PARTS step inside the image at 0.5 vCPU."""
    command = [*cli, "run", "--rm", "--network", "none", "--read-only", "--user", images.USER_ID,
               "--cpus", images.FARGATE_CPUS, "--memory", images.FARGATE_MEMORY, "--entrypoint", "python3",
               image, "-c", IMPORTS_SNIPPET]  # fmt: skip
    runs = []
    for _ in range(IMPORT_RUNS):
        output = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
    return [statistics.median(step) for step in zip(*runs, strict=True)]


def measure(example: str, *, runs: int, cold: bool, s3_env: dict[str, str], cli: Sequence[str]) -> ImageFigures:
    source = source_of(example)
    print(f"{example}: building (cold={cold}) ...", flush=True)
    result, cold_s, cached_s = build_times(source, cold=cold)
    env = {**s3_env, "DATA_PREFIX": f"{source.name}/"} if example == "population" else {}
    starts = start_times(result.image, source, env, runs)
    print(f"{example}: starts {[round(s, 2) for s in starts]}", flush=True)
    return ImageFigures(
        example=example,
        kind=source.kind,
        size_bytes=result.size_bytes,
        compressed_bytes=compressed_size(result.image, cli),
        cold_s=cold_s,
        cached_s=cached_s,
        starts_s=starts,
    )


def image_table(figures: Sequence[ImageFigures]) -> str:
    rows = [
        [
            f.example,
            f.kind,
            f"{f.size_bytes / 1e6:.0f} MB",
            f"{f.compressed_bytes / 1e6:.0f} MB",
            "-" if f.cold_s is None else f"{f.cold_s:.0f} s",
            f"{f.cached_s:.1f} s",
            f"{statistics.median(f.starts_s):.1f} s",
            f"{min(f.starts_s):.1f}-{max(f.starts_s):.1f} s",
        ]
        for f in figures
    ]
    header = ["example", "kind", "image", "compressed (gzip)", "build cold", "build cached", "start to 200", "range"]
    return markdown_table(header, rows)


def import_table(costs: Sequence[float], start_s: float) -> str:
    rows = [
        [part, f"{cost:.2f} s", f"{cost / start_s:.0%}", f"{cost / WAKE_P50_S:.1%}"]
        for part, cost in zip(IMPORT_PARTS, costs, strict=True)
    ]
    runtime_packages = sum(costs[1:])
    rows.append(
        ["**boto3 + flask-restful**", f"**{runtime_packages:.2f} s**", f"**{runtime_packages / start_s:.0%}**",
         f"**{runtime_packages / WAKE_P50_S:.1%}**"]
    )  # fmt: skip
    header = ["at 0.5 vCPU", "median", "of the start to 200", f"of the wake p50 ({WAKE_P50_S} s)"]
    return markdown_table(header, rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", nargs="*", default=list(EXAMPLES), help=f"default: {' '.join(EXAMPLES)}")
    parser.add_argument("--runs", type=int, default=3, help="container starts per example; the median is shown")
    parser.add_argument("--no-cold", action="store_true", help="skip the --no-cache builds")
    args = parser.parse_args(argv)
    if unknown := set(args.examples) - set(EXAMPLES):
        parser.error(f"unknown example(s) {', '.join(sorted(unknown))}: choose from {', '.join(EXAMPLES)}")
    cli = images.engine(images.choose_builder())
    started = time.monotonic()
    population_data = directory_files(REPO_ROOT / "examples" / "population" / "data", "dashboard/")
    with local_s3(BUCKET, population_data) as s3:
        figures = [
            measure(example, runs=args.runs, cold=not args.no_cold, s3_env=s3.env(), cli=cli)
            for example in args.examples
        ]
    print(f"\nImages, builder {images.choose_builder()}; starts: median of {args.runs}, 0.5 vCPU, 1 GiB, local image\n")
    print(image_table(figures))
    population = next((f for f in figures if f.example == "population"), None)
    if population is not None:
        image = images.local_image(source_of("population"))
        costs = import_costs(image, cli)
        print(f"\nWhat the runtime's packages add to a start ({image}, median of {IMPORT_RUNS} interpreters)\n")
        print(import_table(costs, statistics.median(population.starts_s)))
    print(f"\n(bench took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
