"""Dash callbacks: thin wrappers that read the data state and call plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import Dash, Input, Output

from dataset import DataState, Status
from figures import message_figure
from layout import COUNTRY_DROPDOWN_ID, LOADING_MESSAGE, POPULATION_GRAPH_ID


def figure_for_country(state: DataState, country: object) -> dict[str, Any]:
    # With several workers, a page from a worker that has the data can call back into one that has not yet.
    if state.status is Status.LOADING:
        return message_figure(LOADING_MESSAGE)
    if state.status is Status.FAILED or state.data is None:
        return message_figure(f"The data could not be loaded: {state.error}")
    # The value comes from the browser: anything JSON can hold (a list, an object), not only the dropdown's strings.
    if not isinstance(country, str) or country not in state.data:
        return message_figure("Choose a country from the list.")
    return state.data.figure(country)  # indexed slice, drawn once per country and cached (bounded)


def register_callbacks(app: Dash, snapshot: Callable[[], DataState]) -> None:
    # The page already carries the default country's figure, so there is no callback round trip on page load.
    @app.callback(
        Output(POPULATION_GRAPH_ID, "figure"),
        Input(COUNTRY_DROPDOWN_ID, "value"),
        prevent_initial_call=True,
    )
    def update_population_graph(country: object) -> dict[str, Any]:
        return figure_for_country(snapshot(), country)
