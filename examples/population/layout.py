"""The page, built per page load from the current data state: the dashboard, a loading note or the error."""

from __future__ import annotations

from dash import dcc, html
from dash.development.base_component import Component

from dataset import DataState, Status
from population import PopulationData

COUNTRY_DROPDOWN_ID = "country"
POPULATION_GRAPH_ID = "population-graph"
STATUS_MESSAGE_ID = "data-status"
PREFERRED_COUNTRY = "Canada"

LOADING_MESSAGE = "Loading data, refresh in a few seconds."


def default_country(countries: tuple[str, ...]) -> str:
    """Canada when the data has it (the article's example), else the first country; `countries` is not empty."""
    return PREFERRED_COUNTRY if PREFERRED_COUNTRY in countries else countries[0]


def page(state: DataState, title: str) -> Component:
    if state.status is Status.READY and state.data is not None:
        body = dashboard(state.data)
    elif state.status is Status.FAILED:
        body = error_message(state.error or "unknown error")
    else:
        body = html.P(LOADING_MESSAGE, id=STATUS_MESSAGE_ID, role="status")
    return html.Main([html.H1(title), body])


def dashboard(data: PopulationData) -> Component:
    countries = data.countries
    country = default_country(countries)
    return html.Div(
        [
            html.Label("Country", htmlFor=COUNTRY_DROPDOWN_ID),
            dcc.Dropdown(
                id=COUNTRY_DROPDOWN_ID,
                options=list(countries),
                value=country,
                clearable=False,
            ),
            dcc.Graph(id=POPULATION_GRAPH_ID, figure=data.figure(country)),
        ]
    )


def error_message(reason: str) -> Component:
    return html.Div(
        [html.P("The data could not be loaded."), html.P(reason)],
        id=STATUS_MESSAGE_ID,
        role="alert",
    )


def validation_layout(title: str) -> Component:
    """Every component a callback names, so Dash accepts callbacks whatever state the first page was in."""
    return html.Main(
        [
            html.H1(title),
            dcc.Dropdown(id=COUNTRY_DROPDOWN_ID),
            dcc.Graph(id=POPULATION_GRAPH_ID),
            html.Div(id=STATUS_MESSAGE_ID),
        ]
    )
