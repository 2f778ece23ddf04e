"""Steady-state memory with the 1.7M-row dataset: PSS summed over every process of the server (gunicorn master
and workers; the article's reloader parent and its child), after the page and 200 random callbacks.

    .venv/bin/python -m bench.perf.memory
"""

from __future__ import annotations

import random
import time

import requests

from bench.perf import loadgen, procs
from bench.perf.dataset import countries
from bench.perf.harness import bench_s3
from bench.perf.table import markdown_table, ratio
from zerodash.images import free_port

WARM_CALLBACKS = 200
SETTLE_SECONDS = 2.0


def steady_pss(command: list[str], env: dict[str, str], port: int, ready_path: str, names: list[str], log) -> float:
    server = procs.start(command, env, port, log)
    try:
        procs.seconds_to_first_200(server, ready_path)
        with requests.Session() as http:
            http.get(server.base_url + "/_dash-layout", timeout=30).raise_for_status()
            for country in random.Random(0).sample(names, WARM_CALLBACKS):
                body = loadgen.callback_body(country)
                http.post(
                    server.base_url + "/_dash-update-component",
                    data=body,
                    headers={"Content-Type": "application/json"},
                    timeout=30,
                ).raise_for_status()
        time.sleep(SETTLE_SECONDS)
        return procs.pss_mib(server.process.pid)
    finally:
        server.stop()


def main() -> None:
    rows = []
    with bench_s3() as (s3, directory):
        names = countries(directory / "big.csv")
        log = directory / "server.log"
        port = free_port()
        article = steady_pss(procs.article_command(), procs.article_env(s3, "big.csv"), port, "/", names, log)
        rows.append(["article (Flask dev server, debug, reloader)", "big.csv", f"{article:.0f} MiB", "100%"])
        for key in ("big.csv", "big.parquet"):
            for workers in (1, 2):
                port = free_port()
                env = {**procs.zerodash_env(s3, key), "WEB_CONCURRENCY": str(workers)}
                ours = steady_pss(procs.zerodash_command(port), env, port, "/health", names, log)
                rows.append([f"ZeroDash, {workers} worker(s)", key, f"{ours:.0f} MiB", ratio(ours, article)])
    print()
    print(markdown_table(["server", "data", "PSS, all processes", "vs article"], rows))


if __name__ == "__main__":
    main()
