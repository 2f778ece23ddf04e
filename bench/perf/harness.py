"""What every benchmark shares: the datasets in a temporary directory, uploaded to a moto S3 on loopback."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.perf.dataset import write_datasets
from zerodash.local_s3 import LocalS3, local_s3

BUCKET = "zerodash-bench"


@contextmanager
def bench_s3() -> Iterator[tuple[LocalS3, Path]]:
    """A moto S3 holding small.csv, big.csv and big.parquet, and the temporary directory with the files."""
    with tempfile.TemporaryDirectory(prefix="zerodash-bench-") as directory:
        print("generating the 1.7M-row dataset and starting a local S3 ...", flush=True)
        files = write_datasets(Path(directory))
        with local_s3(BUCKET, files) as s3:
            yield s3, Path(directory)
