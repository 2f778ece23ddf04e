"""Data load time and peak memory, each way in a fresh subprocess reading the 1.7M-row data from a moto S3:
the article's (read, decode, StringIO, read_csv), ZeroDash's streamed CSV, and ZeroDash's Parquet.

    .venv/bin/python -m bench.perf.load [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from bench.perf.harness import BUCKET, bench_s3
from bench.perf.procs import POPULATION_APP, REPO_ROOT
from bench.perf.table import markdown_table, ratio

# Each child imports what it needs first and reports its peak RSS before the load as well, so the table can
# show the load's own peak on top of the interpreter and libraries. Peak RSS is the kernel's VmHWM, reset at
# the child's start: getrusage's ru_maxrss would carry over this (large) parent's peak through fork and exec.
CHILD = """
import json, sys, time
from pathlib import Path
def peak_mib():
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current RSS
way, bucket, key = sys.argv[1:]
import pandas as pd
from io import StringIO
from zerodash_runtime.data import Dataset, s3
from dataset import COLUMNS  # the population example's (examples/population is on PYTHONPATH)
from population import PopulationData
client = s3.client()
before = peak_mib()
start = time.perf_counter()
if way == "article":
    df = pd.read_csv(StringIO(client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")))
    rows = len(df)
else:
    dataset = Dataset(key, columns=COLUMNS)  # s3://BUCKET_NAME/DATA_PREFIX + key, as the app reads it
    dataset.load()
    data = PopulationData(dataset.frame())
    rows = data.rows
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mib": peak_mib(), "before_mib": before, "rows": rows}))
"""

WAYS = (
    ("article", "big.csv", "article: read + decode + StringIO + read_csv"),
    ("zerodash", "big.csv", "ZeroDash: CSV streamed to read_csv, indexed"),
    ("zerodash", "big.parquet", "ZeroDash: Parquet, indexed"),
)


def measure(way: str, key: str, env: dict[str, str]) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-c", CHILD, way, BUCKET, key],
        cwd=REPO_ROOT,
        env={**os.environ, **env, "PYTHONPATH": f"{REPO_ROOT}:{POPULATION_APP}"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="loads per way; medians are shown")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {}
    with bench_s3() as (s3, _):
        for _ in range(args.runs):
            for way, key, label in WAYS:
                results.setdefault(label, []).append(measure(way, key, s3.env(data_prefix="")))
    article_label = WAYS[0][2]

    def median(label: str, field: str) -> float:
        return statistics.median(result[field] for result in results[label])

    rows = []
    for _, _, label in WAYS:
        seconds, peak, before = (median(label, field) for field in ("seconds", "peak_mib", "before_mib"))
        rows.append(
            [
                label,
                f"{seconds:.2f} s",
                ratio(seconds, median(article_label, "seconds")),
                f"{peak:.0f} MiB",
                f"{peak - before:.0f} MiB",
                ratio(peak - before, median(article_label, "peak_mib") - median(article_label, "before_mib")),
            ]
        )
    print()
    print(
        markdown_table(
            [
                "way (1.7M rows, ~100 MB CSV / 10 MB Parquet)",
                "load time",
                "vs article",
                "peak RSS",
                "peak added by the load",
                "vs article",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
