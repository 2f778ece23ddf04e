"""The population chart as a plain function of (frame, country)."""

from __future__ import annotations

from dashapp.figures import message_figure, population_figure
from tests.dashapp.helpers import SAMPLE_FRAME


def test_population_figure_plots_the_countrys_population_by_year_in_order() -> None:
    figure = population_figure(SAMPLE_FRAME, "Canada")

    (trace,) = figure.data
    assert list(trace.x) == [1952, 1957, 1962]
    assert list(trace.y) == [14_785_584, 16_985_000, 18_985_849]


def test_population_figure_is_titled_with_the_country() -> None:
    figure = population_figure(SAMPLE_FRAME, "Chile")

    assert figure.layout.title.text == "Population of Chile"


def test_message_figure_shows_the_message_and_no_data() -> None:
    figure = message_figure("Loading data")

    assert figure.data == ()
    assert figure.layout.annotations[0].text == "Loading data"
