"""Start to first 200: ZeroDash (gunicorn, /health) against the article's app (Flask dev server, / — it has no
/health), with the small sample and the 1.7M-row dataset, from a moto S3 on loopback.

    .venv/bin/python -m bench.perf.startup [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench.perf import procs
from bench.perf.harness import bench_s3
from bench.perf.table import markdown_table, ratio
from zerodash.images import free_port


def time_to_200(command: list[str], env: dict[str, str], port: int, path: str, log: Path) -> float:
    server = procs.start(command, env, port, log)
    try:
        return procs.seconds_to_first_200(server, path)
    finally:
        server.stop()


# (ZeroDash's key, the article's key): the article reads CSV only, so ZeroDash's Parquet start is set against
# the article's start with the same data as CSV.
CASES = (("small.csv", "small.csv"), ("big.csv", "big.csv"), ("big.parquet", "big.csv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="starts per app and dataset; the median is shown")
    args = parser.parse_args()
    rows = []
    article_times: dict[str, float] = {}
    with bench_s3() as (s3, directory):
        for key, article_key in CASES:
            if article_key not in article_times:
                article_env = procs.article_env(s3, article_key)
                runs = [
                    time_to_200(procs.article_command(), article_env, port, "/", directory / "a.log")
                    for port in (free_port() for _ in range(args.runs))
                ]
                article_times[article_key] = statistics.median(runs)
                print(f"article {article_key}: {[round(run, 2) for run in runs]}", flush=True)
            ours_env = procs.zerodash_env(s3, key)
            runs = [
                time_to_200(procs.zerodash_command(port), ours_env, port, "/health", directory / "z.log")
                for port in (free_port() for _ in range(args.runs))
            ]
            print(f"ZeroDash {key}: {[round(run, 2) for run in runs]}", flush=True)
            article, ours = article_times[article_key], statistics.median(runs)
            rows.append([key, f"{article:.2f} s ({article_key})", f"{ours:.2f} s", ratio(ours, article)])
    print(f"\nmedian of {args.runs} starts each\n")
    header = ["ZeroDash data", "article: first 200 on / (its data)", "ZeroDash: first 200 on /health", "ratio"]
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
