"""The population series per country, indexed once per loaded version (the Dataset's `prepare`, in the
runtime's master before the workers fork) so a callback slices instead of filtering.

Filtering 1.7M rows for one country costs a full scan per request; here the rows are sorted by country and
year once, and each country maps to the bounds of its slice: two numeric arrays in that order and the names.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from figures import population_figure

# A figure is ~120 points, a few KB as a dict: 512 of them stay well under 5 MB, and visitors of a
# dashboard mostly look at the same few countries.
FIGURE_CACHE_SIZE = 512
NUMERIC_COLUMNS = ("year", "pop")


class DataError(ValueError):
    """The table cannot be drawn; the message says what is wrong with the file and follows its name (the
    runtime shows it as "<key>: <message>")."""


class PopulationData:
    """Years and populations per country, sorted by year, with a bounded cache of the drawn figures."""

    def __init__(self, frame: pd.DataFrame) -> None:
        _check(frame)
        country = frame["country"].astype("category")
        codes = country.cat.codes.to_numpy()
        years = frame["year"].to_numpy()
        order = np.lexsort((years, codes))  # by country, then year
        sorted_codes = codes[order]
        self._years = years[order]
        self._pops = frame["pop"].to_numpy()[order]
        present = np.unique(sorted_codes[sorted_codes >= 0])  # code -1 is a missing country name: not listed
        starts = np.searchsorted(sorted_codes, present, side="left")
        stops = np.searchsorted(sorted_codes, present, side="right")
        names = country.cat.categories[present].astype(str)
        self._bounds: dict[str, tuple[int, int]] = dict(
            zip(names, zip(starts.tolist(), stops.tolist(), strict=True), strict=True)
        )
        self.countries: tuple[str, ...] = tuple(sorted(self._bounds))
        self.rows = len(frame)
        self.figure: Callable[[str], dict[str, Any]] = lru_cache(maxsize=FIGURE_CACHE_SIZE)(self._draw)

    def __contains__(self, country: object) -> bool:
        return country in self._bounds

    def series(self, country: str) -> tuple[np.ndarray, np.ndarray]:
        """The years and populations of `country` (a known one), in year order; views, not copies."""
        start, stop = self._bounds[country]
        return self._years[start:stop], self._pops[start:stop]

    def _draw(self, country: str) -> dict[str, Any]:
        years, pops = self.series(country)
        return population_figure(country, years, pops)


def _check(frame: pd.DataFrame) -> None:
    """The runtime checked the columns are there; what the chart needs of their values is checked here."""
    if frame.empty:
        raise DataError("has a header but no data rows: upload a file with at least one row")
    for column in NUMERIC_COLUMNS:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise DataError(f"has non-numeric values in column {column}: year and pop must be numbers")
