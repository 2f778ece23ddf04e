"""Callback throughput and latency with a RANDOM country per request over the 1.7M-row dataset: the article's
app against ZeroDash (1 worker, the default, and 2), and ZeroDash's /health on the same server (the HTTP floor).

    .venv/bin/python -m bench.perf.callbacks [--seconds 10] [--connections 4]
"""

from __future__ import annotations

import argparse

from bench.perf import loadgen, procs
from bench.perf.dataset import countries
from bench.perf.harness import bench_s3
from bench.perf.table import markdown_table
from zerodash.images import free_port


def row(name: str, result: loadgen.LoadResult, baseline: loadgen.LoadResult) -> list[object]:
    return [
        name,
        result.requests,
        f"{result.per_second:.0f}",
        f"{result.p50_ms:.1f}",
        f"{result.p99_ms:.1f}",
        result.errors,
        f"{result.per_second / baseline.per_second:.1f}x",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each load run")
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive clients")
    args = parser.parse_args()
    rows = []
    with bench_s3() as (s3, directory):
        names = countries(directory / "big.csv")

        port = free_port()
        article_env = procs.article_env(s3, "big.csv")
        article = procs.start(procs.article_command(), article_env, port, directory / "article.log")
        try:
            procs.seconds_to_first_200(article, "/")
            baseline = loadgen.callbacks(article.base_url, names, directory, args.seconds, args.connections)
        finally:
            article.stop()
        rows.append(row("article: callback", baseline, baseline))

        for workers in (1, 2):
            port = free_port()
            ours = procs.start(
                procs.zerodash_command(port),
                {**procs.zerodash_env(s3, "big.csv"), "WEB_CONCURRENCY": str(workers)},
                port,
                directory / "zerodash.log",
            )
            try:
                procs.seconds_to_first_200(ours, "/health")
                callback = loadgen.callbacks(ours.base_url, names, directory, args.seconds, args.connections)
                health = loadgen.gets(ours.base_url + "/health", directory, args.seconds, args.connections)
            finally:
                ours.stop()
            rows.append(row(f"ZeroDash, {workers} worker(s): callback", callback, baseline))
            rows.append(row(f"ZeroDash, {workers} worker(s): /health", health, baseline))
            print(f"{workers} worker(s): callback/health throughput {callback.per_second / health.per_second:.0%}")
    print(f"\n{len(names)} countries, {args.connections} connections, {args.seconds} s per run\n")
    header = ["server: request", "requests", "req/s", "p50 ms", "p99 ms", "errors", "vs article's callback"]
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
