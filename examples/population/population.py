"""The population series per country, indexed once per loaded version (the Dataset's `prepare`, in the
runtime's master before the workers fork) so a callback slices instead of filtering.

Filtering 1.7M rows for one country costs a full scan per request; here the rows are sorted by country and
year once, and each country maps to the bounds of its slice: two numeric arrays in that order and the names.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
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
        country = _names(frame["country"])
        codes = country.cat.codes.to_numpy()
        years = frame["year"].to_numpy()
        order = np.lexsort((years, codes))  # by country, then year
        sorted_codes = codes[order]
        self._years = years[order]
        self._pops = frame["pop"].to_numpy()[order]
        present = np.unique(sorted_codes[sorted_codes >= 0])  # code -1 is a missing country name: not listed
        if not len(present):
            raise DataError("has no country names: column country is blank in every row, so there is nothing to draw")
        starts = np.searchsorted(sorted_codes, present, side="left")
        stops = np.searchsorted(sorted_codes, present, side="right")
        names = country.cat.categories[present].astype(str)
        self._bounds: dict[str, tuple[int, int]] = dict(
            zip(names, zip(starts.tolist(), stops.tolist(), strict=True), strict=True)
        )
        self.countries: tuple[str, ...] = tuple(sorted(self._bounds))
        self.rows = len(frame)
        # What loaded but will not draw as the file means it; the runtime logs these and shows them on /health.
        self.warnings: tuple[str, ...] = tuple(_suspicious(frame, sorted_codes, self._years, self._pops))
        # The cache holds the arrays, not self: no reference cycle, so a replaced version is freed at once.
        draw = partial(_draw, self._years, self._pops, self._bounds)
        self.figure: Callable[[str], dict[str, Any]] = lru_cache(maxsize=FIGURE_CACHE_SIZE)(draw)

    def __contains__(self, country: object) -> bool:
        return country in self._bounds

    def series(self, country: str) -> tuple[np.ndarray, np.ndarray]:
        """The years and populations of `country` (a known one), in year order; views, not copies."""
        start, stop = self._bounds[country]
        return self._years[start:stop], self._pops[start:stop]


def _draw(years: np.ndarray, pops: np.ndarray, bounds: dict[str, tuple[int, int]], country: str) -> dict[str, Any]:
    start, stop = bounds[country]
    return population_figure(country, years[start:stop], pops[start:stop])


def _check(frame: pd.DataFrame) -> None:
    """The runtime checked the columns are there; what the chart needs of their values is checked here."""
    if frame.empty:
        raise DataError("has a header but no data rows: upload a file with at least one row")
    for column in NUMERIC_COLUMNS:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise DataError(f"has non-numeric values in column {column}: year and pop must be numbers")


def _names(column: pd.Series) -> pd.Series:
    """The country column as a category, blank names ("", spaces) counted as missing: such rows are not listed."""
    country = column.astype("category")
    blank = [name for name in country.cat.categories if not str(name).strip()]
    return country.cat.remove_categories(blank) if blank else country


def _suspicious(frame: pd.DataFrame, sorted_codes: np.ndarray, years: np.ndarray, pops: np.ndarray) -> list[str]:
    found = []
    unnamed = int((sorted_codes < 0).sum())
    if unnamed:
        found.append(f"{unnamed:,} row(s) have no country name and are not shown")
    named = sorted_codes >= 0
    same = named[1:] & (sorted_codes[1:] == sorted_codes[:-1]) & (years[1:] == years[:-1])
    duplicates = int(same.sum())
    if duplicates:
        found.append(
            f"{duplicates:,} row(s) repeat a (country, year) already in the file: their lines zig-zag; keep one row "
            "per country and year"
        )
    # inf and true/false values the runtime reports for any dataset; a negative population only this chart knows.
    if not pd.api.types.is_bool_dtype(frame["pop"]):
        negative = int(((pops < 0) & np.isfinite(pops)).sum())  # -inf is reported as infinite
        if negative:
            found.append(f"column pop has {negative:,} negative value(s)")
    return found
