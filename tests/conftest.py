"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "data" / "sample" / "gapminder.csv"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """The committed gapminder sample (`python -m dashapp.sample_data data/sample/gapminder.csv` writes it)."""
    assert SAMPLE_DATA.is_file(), f"{SAMPLE_DATA} is missing: run python -m dashapp.sample_data {SAMPLE_DATA}"
    return SAMPLE_DATA
