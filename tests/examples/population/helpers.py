"""Test data and small helpers shared by the population example's tests."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pandas as pd

from tests.examples.conftest import EXAMPLES

DIRECTORY = EXAMPLES / "population"
BUCKET = "zerodash-test-data"
DATA_PREFIX = "population/"

SAMPLE_FRAME = pd.DataFrame(
    {
        "country": ["Chile", "Chile", "Canada", "Canada", "Canada"],
        "continent": ["Americas"] * 5,
        "year": [1952, 1957, 1957, 1952, 1962],
        "pop": [6_377_619, 7_048_426, 16_985_000, 14_785_584, 18_985_849],
    }
)


def csv_bytes(frame: pd.DataFrame = SAMPLE_FRAME) -> bytes:
    return frame.to_csv(index=False).encode()


def plotted_values(array: Any) -> list[Any]:
    """A trace's x or y from figure JSON; plotly sends numeric arrays as base64 typed arrays."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)
