"""The benchmark's big dataset: gapminder scaled to ~1.7M rows and ~14,200 countries (~100 MB of CSV).

Each of gapminder's 142 countries is copied 100 times under suffixed names ("Canada 7"), and each copy gets
10 blocks of its 12 survey years, shifted by 60 years a block, so a country has 120 points. Written to a
temporary directory by the benchmarks, never committed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "examples" / "population" / "data" / "gapminder.csv"
COPIES_PER_COUNTRY = 100
YEAR_BLOCKS = 10
YEARS_PER_BLOCK = 60


def big_gapminder(copies: int = COPIES_PER_COUNTRY, blocks: int = YEAR_BLOCKS) -> pd.DataFrame:
    small = pd.read_csv(SAMPLE_CSV)
    parts = []
    for block in range(blocks):
        shifted = small.assign(year=small["year"] + block * YEARS_PER_BLOCK)
        for copy in range(copies):
            parts.append(shifted.assign(country=small["country"] + f" {copy}"))
    frame = pd.concat(parts, ignore_index=True)
    # Some spread in the numbers, so each copy draws its own line.
    rng = np.random.default_rng(0)
    frame["pop"] = (frame["pop"] * rng.uniform(0.5, 1.5, len(frame))).astype("int64")
    return frame.sort_values(["country", "year"], kind="stable", ignore_index=True)


def write_datasets(directory: Path) -> dict[str, Path]:
    """Write big.csv, big.parquet and small.csv (the committed sample) into `directory`: {key: path}."""
    frame = big_gapminder()
    csv_path = directory / "big.csv"
    parquet_path = directory / "big.parquet"
    frame.to_csv(csv_path, index=False)
    frame.to_parquet(parquet_path, index=False)
    return {"small.csv": SAMPLE_CSV, "big.csv": csv_path, "big.parquet": parquet_path}


def countries(frame_path: Path) -> list[str]:
    return sorted(pd.read_csv(frame_path, usecols=["country"])["country"].unique())
