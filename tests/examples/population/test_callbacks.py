"""The country dropdown redraws the chart: the plain function, and the registered callback over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.examples.conftest import EXAMPLES, Served, imported_from
from tests.examples.population.conftest import Serve
from tests.examples.population.helpers import BUCKET, DATA_PREFIX, SAMPLE_FRAME, csv_bytes, plotted_values

with imported_from(EXAMPLES / "population"):
    from callbacks import figure_for_country
    from dataset import DataState, Status
    from layout import COUNTRY_DROPDOWN_ID, LOADING_MESSAGE, POPULATION_GRAPH_ID
    from population import PopulationData

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
    s3: Any, serve: Serve, url_prefix: str
) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{DATA_PREFIX}gapminder.csv", Body=csv_bytes())

    with serve(url_prefix=url_prefix) as served:
        response = post_callback(served, "Chile")

    assert response.status_code == 200
    figure = response.get_json()["response"][POPULATION_GRAPH_ID]["figure"]
    assert plotted_values(figure["data"][0]["y"]) == [6_377_619, 7_048_426]


def post_callback(served: Served, country: str) -> Any:
    return served.client.post(f"{served.prefix}_dash-update-component", json=callback_request(country))
