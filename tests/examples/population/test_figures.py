"""The charts as plain figure dicts."""

from __future__ import annotations

import numpy as np

from tests.examples.conftest import EXAMPLES, imported_from

with imported_from(EXAMPLES / "population"):
    from figures import message_figure, population_figure


def test_population_figure_plots_the_given_years_and_populations() -> None:
    figure = population_figure("Canada", np.array([1952, 1957]), np.array([14_785_584, 16_985_000]))

    (trace,) = figure["data"]
    assert (trace["x"], trace["y"]) == ([1952, 1957], [14_785_584, 16_985_000])


def test_population_figure_is_titled_with_the_country() -> None:
    figure = population_figure("Chile", np.array([1952]), np.array([6_377_619]))

    assert figure["layout"]["title"]["text"] == "Population of Chile"


def test_message_figure_shows_the_message_and_no_data() -> None:
    figure = message_figure("Loading data")

    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == "Loading data"
