"""The committed sample CSV is exactly what `python sample_data.py` writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.examples.conftest import EXAMPLES, imported_from

with imported_from(EXAMPLES / "population"):
    from dataset import COLUMNS
    from sample_data import main

COMMITTED_SAMPLE = EXAMPLES / "population" / "data" / "gapminder.csv"


def test_committed_sample_equals_the_generators_output(tmp_path: Path) -> None:
    output = tmp_path / "gapminder.csv"

    main([str(output)])

    assert output.read_bytes() == COMMITTED_SAMPLE.read_bytes()


def test_committed_sample_has_the_columns_the_dashboard_needs() -> None:
    frame = pd.read_csv(COMMITTED_SAMPLE)

    assert set(COLUMNS) <= set(frame.columns)
    assert "Canada" in set(frame["country"])
