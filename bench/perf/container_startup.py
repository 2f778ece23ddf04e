"""Start to first 200 on /health inside the container, as ECS runs it (0.5 CPU, 1 GiB, read-only root, the image's
non-root user), with the small sample, the 1.7M-row CSV and the same rows as Parquet, from a moto S3 on loopback.

The clock starts when `run` is called, so it includes creating the container (not pulling: the image is local).
Build the image first (`make image`).

    .venv/bin/python -m bench.perf.container_startup [--runs 3] [--image localhost/zerodash:dev]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import time
import uuid

import requests

from bench.perf import procs
from bench.perf.harness import bench_s3
from bench.perf.table import markdown_table

CASES = ("small.csv", "big.csv", "big.parquet")


def engine() -> list[str]:
    """docker when an engine answers, else podman with runc (as the container test)."""
    if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0:
        return ["docker"]
    return ["podman", "--runtime", "runc"]


def time_to_health(image: str, env: dict[str, str]) -> float:
    """Seconds from `run` until /health answers 200; the container is removed afterwards."""
    cli = engine()
    port = procs.free_port()
    env_args = [arg for name, value in {**env, "PORT": str(port)}.items() for arg in ("-e", f"{name}={value}")]
    podman_only = ["--read-only-tmpfs=false"] if cli[0] == "podman" else []
    name = f"zerodash-bench-{uuid.uuid4().hex[:8]}"
    limits = ["--cpus", "0.5", "--memory", "1g", "--read-only", *podman_only, "--tmpfs", "/tmp"]
    command = [*cli, "run", "--detach", "--name", name, "--network", "host", *limits, *env_args, image]
    started = time.monotonic()
    subprocess.run([*command, "--bind", f"127.0.0.1:{port}", "dashapp.wsgi:server"], capture_output=True, check=True)
    try:
        deadline = started + procs.START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    return time.monotonic() - started
            except requests.ConnectionError:
                pass
            time.sleep(procs.POLL_INTERVAL_S)
        raise TimeoutError(f"/health did not answer 200 within {procs.START_TIMEOUT_S} s")
    finally:
        subprocess.run([*cli, "rm", "--force", name], capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="starts per dataset; the median is shown")
    parser.add_argument("--image", default="localhost/zerodash:dev")
    args = parser.parse_args()
    size = subprocess.run(
        [*engine(), "image", "inspect", "--format", "{{.Size}}", args.image], capture_output=True, text=True, check=True
    ).stdout.strip()
    rows = []
    with bench_s3() as (s3, _):
        for key in CASES:
            runs = [time_to_health(args.image, s3.env(key)) for _ in range(args.runs)]
            print(f"{key}: {[round(run, 2) for run in runs]}", flush=True)
            rows.append([key, f"{statistics.median(runs):.2f} s", f"{min(runs):.2f} s", f"{max(runs):.2f} s"])
    print(f"\n{args.image}, {int(size) / 1e6:.0f} MB; median of {args.runs} starts each, 0.5 CPU, 1 GiB\n")
    print(markdown_table(["data", "run to first 200 on /health", "fastest", "slowest"], rows))


if __name__ == "__main__":
    main()
