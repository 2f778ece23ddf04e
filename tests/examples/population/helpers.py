"""Test data and small helpers shared by the Dash app's tests."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pandas as pd
from flask.testing import FlaskClient

from dashapp.settings import Settings

BUCKET = "zerodash-test-data"
LOAD_TIMEOUT_SECONDS = 10

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


def settings_for(key: str | None, *, bucket: str | None = BUCKET, url_prefix: str = "/") -> Settings:
    return Settings(bucket_name=bucket, data_key=key, app_title="Test population", url_prefix=url_prefix)


def plotted_values(array: Any) -> list[Any]:
    """A trace's x or y from figure JSON; plotly sends numeric arrays as base64 typed arrays."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def page_texts(client: FlaskClient, url_prefix: str = "/") -> list[str]:
    """Every text of the page's layout, as Dash serves it to the browser."""
    response = client.get(f"{url_prefix}_dash-layout")
    assert response.status_code == 200
    texts: list[str] = []
    _collect_texts(response.get_json(), texts)
    return texts


def _collect_texts(node: Any, texts: list[str]) -> None:
    if isinstance(node, str):
        texts.append(node)
    elif isinstance(node, list):
        for child in node:
            _collect_texts(child, texts)
    elif isinstance(node, dict) and "props" in node:
        _collect_texts(node["props"].get("children"), texts)
