"""The per-country index built once at load: countries, series in year order, and the cached figures."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.examples.conftest import EXAMPLES, imported_from
from tests.examples.population.helpers import SAMPLE_FRAME

with imported_from(EXAMPLES / "population"):
    from population import FIGURE_CACHE_SIZE, DataError, PopulationData


def test_countries_are_listed_sorted_once_each() -> None:
    assert PopulationData(SAMPLE_FRAME).countries == ("Canada", "Chile")


def test_series_of_a_country_is_in_year_order_whatever_the_file_order() -> None:
    years, pops = PopulationData(SAMPLE_FRAME).series("Canada")

    assert (years.tolist(), pops.tolist()) == ([1952, 1957, 1962], [14_785_584, 16_985_000, 18_985_849])


def test_rows_counts_every_row_of_the_file() -> None:
    assert PopulationData(SAMPLE_FRAME).rows == 5


def test_a_country_is_known_only_if_it_has_rows() -> None:
    frame = SAMPLE_FRAME.assign(country=pd.Categorical(SAMPLE_FRAME["country"], categories=["Canada", "Chile", "X"]))

    data = PopulationData(frame)

    assert ("X" in data, "Chile" in data, data.countries) == (False, True, ("Canada", "Chile"))


def test_rows_without_a_country_name_are_not_listed() -> None:
    frame = pd.concat([SAMPLE_FRAME, pd.DataFrame({"country": [None], "year": [1952], "pop": [1]})])

    assert PopulationData(frame).countries == ("Canada", "Chile")


def test_figure_of_a_country_plots_its_series() -> None:
    figure = PopulationData(SAMPLE_FRAME).figure("Chile")

    assert (figure["data"][0]["x"], figure["data"][0]["y"]) == ([1952, 1957], [6_377_619, 7_048_426])


def test_figure_is_drawn_once_per_country_and_then_served_from_the_cache() -> None:
    data = PopulationData(SAMPLE_FRAME)

    first = data.figure("Chile")

    assert data.figure("Chile") is first


def test_figure_cache_is_bounded() -> None:
    names = [f"Country {number}" for number in range(FIGURE_CACHE_SIZE + 10)]
    data = PopulationData(pd.DataFrame({"country": names, "year": 1952, "pop": 1}))

    for country in names:
        data.figure(country)

    assert data.figure.cache_info().currsize == FIGURE_CACHE_SIZE  # type: ignore[attr-defined]


def test_a_table_without_rows_cannot_be_drawn() -> None:
    with pytest.raises(DataError, match="has a header but no data rows"):
        PopulationData(SAMPLE_FRAME.head(0))


def test_text_in_a_numeric_column_cannot_be_drawn() -> None:
    with pytest.raises(DataError, match="non-numeric values in column pop"):
        PopulationData(SAMPLE_FRAME.assign(pop="many"))


def test_a_blank_country_column_cannot_be_drawn() -> None:
    with pytest.raises(DataError, match="has no country names"):
        PopulationData(SAMPLE_FRAME.assign(country=" "))


def test_duplicates_and_negative_populations_load_with_warnings() -> None:
    frame = pd.concat([SAMPLE_FRAME, SAMPLE_FRAME.head(1).assign(pop=-1)])

    warnings = PopulationData(frame).warnings

    assert [warning.split(" ")[:3] for warning in warnings] == [["1", "row(s)", "repeat"], ["column", "pop", "has"]]
