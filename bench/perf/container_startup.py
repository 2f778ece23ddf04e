"""Start to first 200 on /health inside the population example's container, as ECS runs it (0.5 vCPU, 1 GiB,
read-only root, user 10001), with the small sample, the 1.7M-row CSV and the same rows as Parquet, from a moto S3
on loopback.

The clock starts when `run` is called, so it includes creating the container (not pulling: the image is local).
The image is built first with zerodash.images (every layer cached after the first build).

    .venv/bin/python -m bench.perf.container_startup [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics

from bench.perf import procs
from bench.perf.harness import bench_s3
from bench.perf.table import markdown_table
from zerodash import images
from zerodash.sources import REPO_ROOT, inspect_app

CASES = ("small.csv", "big.csv", "big.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="starts per dataset; the median is shown")
    args = parser.parse_args()
    source = inspect_app("population", source="examples/population", root=REPO_ROOT)
    built = images.build(source)
    rows = []
    with bench_s3() as (s3, _):
        for key in CASES:
            env = {name: value for name, value in procs.zerodash_env(s3, key).items() if name != "PYTHONPATH"}
            runs = [
                images.verify(built.image, source, env=env, timeout=procs.START_TIMEOUT_S) for _ in range(args.runs)
            ]
            print(f"{key}: {[round(run, 2) for run in runs]}", flush=True)
            rows.append([key, f"{statistics.median(runs):.2f} s", f"{min(runs):.2f} s", f"{max(runs):.2f} s"])
    print(f"\n{built.image}, {built.size_bytes / 1e6:.0f} MB; median of {args.runs} starts each, 0.5 CPU, 1 GiB\n")
    print(markdown_table(["data", "run to first 200 on /health", "fastest", "slowest"], rows))


if __name__ == "__main__":
    main()
