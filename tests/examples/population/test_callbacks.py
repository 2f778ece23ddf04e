"""The country dropdown redraws the chart: the plain function, and the registered callback over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from dashapp.callbacks import figure_for_country
from dashapp.layout import COUNTRY_DROPDOWN_ID, LOADING_MESSAGE, POPULATION_GRAPH_ID
from dashapp.population import PopulationData
from dashapp.store import DataState, Status
from tests.dashapp.conftest import AppFactory
from tests.dashapp.helpers import SAMPLE_FRAME, plotted_values, settings_for

READY = DataState(Status.READY, data=PopulationData(SAMPLE_FRAME))


def annotation_text(figure: dict[str, Any]) -> str:
    return figure["layout"]["annotations"][0]["text"]


def test_chosen_country_gets_its_population_chart() -> None:
    figure = figure_for_country(READY, "Chile")

    assert figure["data"][0]["y"] == [6_377_619, 7_048_426]


def test_unknown_country_asks_to_choose_from_the_list() -> None:
    figure = figure_for_country(READY, "Atlantis")

    assert figure["data"] == []
    assert annotation_text(figure) == "Choose a country from the list."


def test_worker_still_loading_says_so_in_the_chart() -> None:
    figure = figure_for_country(DataState(Status.LOADING), "Chile")

    assert annotation_text(figure) == LOADING_MESSAGE


def test_worker_whose_load_failed_shows_the_reason_in_the_chart() -> None:
    figure = figure_for_country(DataState(Status.FAILED, error="s3://b/k not found"), "Chile")

    assert annotation_text(figure) == "The data could not be loaded: s3://b/k not found"


def callback_request(country: str | None) -> dict[str, Any]:
    """What the Dash renderer POSTs when the dropdown's value changes."""
    return {
        "output": f"{POPULATION_GRAPH_ID}.figure",
        "outputs": {"id": POPULATION_GRAPH_ID, "property": "figure"},
        "inputs": [{"id": COUNTRY_DROPDOWN_ID, "property": "value", "value": country}],
        "changedPropIds": [f"{COUNTRY_DROPDOWN_ID}.value"],
        "state": [],
    }


@pytest.mark.parametrize("url_prefix", ["/", "/sales/"])
def test_registered_callback_answers_the_renderer_with_the_countrys_chart(
    loaded_app: AppFactory, url_prefix: str
) -> None:
    app, _ = loaded_app(settings_for("gapminder.csv", url_prefix=url_prefix), load_data=lambda: SAMPLE_FRAME)
    client = app.server.test_client()

    response = client.post(f"{url_prefix}_dash-update-component", json=callback_request("Chile"))

    assert response.status_code == 200
    figure = response.get_json()["response"][POPULATION_GRAPH_ID]["figure"]
    assert plotted_values(figure["data"][0]["y"]) == [6_377_619, 7_048_426]
