"""The committed sample CSV is exactly what `python -m dashapp.sample_data` writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dashapp.data import REQUIRED_COLUMNS
from dashapp.sample_data import main

COMMITTED_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "gapminder.csv"


def test_committed_sample_equals_the_generators_output(tmp_path: Path) -> None:
    output = tmp_path / "gapminder.csv"

    main([str(output)])

    assert output.read_bytes() == COMMITTED_SAMPLE.read_bytes()


def test_committed_sample_has_the_columns_the_dashboard_needs() -> None:
    frame = pd.read_csv(COMMITTED_SAMPLE)

    assert set(REQUIRED_COLUMNS) <= set(frame.columns)
    assert "Canada" in set(frame["country"])
