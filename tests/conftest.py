"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "examples" / "population" / "data" / "gapminder.csv"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """The population example's committed gapminder sample (its sample_data.py writes it)."""
    assert SAMPLE_DATA.is_file(), (
        f"{SAMPLE_DATA} is missing: run `python sample_data.py data/gapminder.csv` in examples/population"
    )
    return SAMPLE_DATA
