"""The population app served by the runtime, its data in (mocked) S3: the dashboard, the URL prefix, /health,
what the page says when the data cannot be loaded or drawn, the index built at load, and compression."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
from werkzeug.test import Client

from tests.examples.conftest import Served, dash_config, texts
from tests.examples.population.conftest import Serve
from tests.examples.population.helpers import BUCKET, DATA_PREFIX, SAMPLE_FRAME, csv_bytes

# What the Dash renderer POSTs when the dropdown changes to Chile.
CHILE_CALLBACK = {
    "output": "population-graph.figure",
    "outputs": {"id": "population-graph", "property": "figure"},
    "inputs": [{"id": "country", "property": "value", "value": "Chile"}],
    "changedPropIds": ["country.value"],
    "state": [],
}


def find_component(node: Any, component_id: str) -> dict[str, Any] | None:
    """The component with `component_id` in a layout served as JSON by Dash."""
    if isinstance(node, list):
        return next((found for child in node if (found := find_component(child, component_id))), None)
    if isinstance(node, dict) and "props" in node:
        if node["props"].get("id") == component_id:
            return node
        return find_component(node["props"].get("children"), component_id)
    return None


def layout_of(served: Served) -> Any:
    response = served.client.get(f"{served.prefix}_dash-layout")
    assert response.status_code == 200
    return response.get_json()


def test_page_shows_the_configured_title_as_heading(dashboard: Served) -> None:
    heading = layout_of(dashboard)["props"]["children"][0]

    assert (heading["type"], heading["props"]["children"]) == ("H1", "Test population")


def test_browser_tab_shows_the_configured_title(dashboard: Served) -> None:
    html = dashboard.client.get("/").get_data(as_text=True)

    assert "<title>Test population</title>" in html


def test_title_defaults_to_population_by_country(s3: Any, serve: Serve) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{DATA_PREFIX}gapminder.csv", Body=csv_bytes())

    with serve(APP_TITLE="") as served:
        assert "<title>Population by country</title>" in served.client.get("/").get_data(as_text=True)


def test_dropdown_lists_the_countries_and_starts_on_canada(dashboard: Served) -> None:
    dropdown = find_component(layout_of(dashboard), "country")

    assert dropdown is not None
    assert dropdown["props"]["options"] == ["Canada", "Chile"]
    assert dropdown["props"]["value"] == "Canada"


def test_page_arrives_with_the_default_countrys_chart(dashboard: Served) -> None:
    graph = find_component(layout_of(dashboard), "population-graph")

    assert graph is not None
    assert graph["props"]["figure"]["layout"]["title"]["text"] == "Population of Canada"


def test_health_is_200_once_the_data_is_loaded(dashboard: Served) -> None:
    response = dashboard.client.get("/health")

    assert response.status_code == 200
    assert response.get_json()["datasets"]["gapminder.csv"]["rows"] == len(SAMPLE_FRAME)


@pytest.fixture
def prefixed(s3: Any, serve: Serve) -> Any:
    s3.put_object(Bucket=BUCKET, Key=f"{DATA_PREFIX}gapminder.csv", Body=csv_bytes())
    with serve(url_prefix="/sales/") as served:
        yield served


def test_app_is_served_under_its_url_prefix(prefixed: Served) -> None:
    assert prefixed.client.get("/sales/").status_code == 200
    assert "Test population" in texts(layout_of(prefixed))
    assert prefixed.client.get("/sales/health").status_code == 200


def test_prefixed_app_tells_the_browser_to_request_under_the_prefix(prefixed: Served) -> None:
    assert dash_config(prefixed.client, "/sales/")["requests_pathname_prefix"] == "/sales/"


def test_prefixed_app_does_not_answer_outside_its_prefix(prefixed: Served) -> None:
    assert prefixed.client.get("/_dash-layout").status_code == 404


def test_data_file_can_be_a_parquet_file_named_in_the_environment(s3: Any, serve: Serve) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{DATA_PREFIX}sales.parquet", Body=SAMPLE_FRAME.to_parquet())

    with serve(DATA_FILE="sales.parquet") as served:
        assert find_component(layout_of(served), "country")["props"]["options"] == ["Canada", "Chile"]  # type: ignore[index]


# --- bad data: the app keeps serving and says what failed and what to fix -------------------------------------

# case -> (object body, None for no object; the part of the reason that names the problem). The reading reasons
# are the runtime's (tests/runtime tests them all); the last two are the app's own, raised by PopulationData as
# the dataset's `prepare`, which the runtime counts as a failed load too. Here: the app shows them.
BAD_DATA_CASES: dict[str, tuple[bytes | None, str]] = {
    "missing object": (None, "not found"),
    "empty file": (b"", "is empty"),
    "missing columns": (b"country,year\nCanada,1952\n", "lacks the column(s) pop"),
    "row with too many fields": (
        b"country,year,pop\nCanada,1952,1\nCanada,1957,2,extra\n",
        "is not valid CSV (line 3: expected 3 fields, saw 4)",
    ),
    "header only": (b"country,year,pop\n", "gapminder.csv: has a header but no data rows"),
    "text in pop": (b"country,year,pop\nCanada,1952,many\n", "gapminder.csv: has non-numeric values in column pop"),
}


@pytest.mark.parametrize("case", BAD_DATA_CASES)
def test_bad_data_makes_health_503_and_the_page_show_the_reason(s3: Any, serve: Serve, case: str) -> None:
    body, expected = BAD_DATA_CASES[case]
    if body is not None:
        s3.put_object(Bucket=BUCKET, Key=f"{DATA_PREFIX}gapminder.csv", Body=body)

    with serve() as served:
        health = served.client.get("/health")
        page = texts(layout_of(served))
        status = served.client.get("/").status_code

    assert (health.status_code, health.get_json()["status"]) == (503, "error")
    assert expected in health.get_json()["reason"]
    assert "The data could not be loaded." in page
    assert any(expected in text for text in page)
    assert status == 200


def test_the_index_is_built_when_the_data_loads_not_on_the_first_request(dashboard: Served) -> None:
    # As in gunicorn's master: the runtime loads the data (and runs prepare) on import, before any request.
    dataset = sys.modules["dataset"]
    index = dataset.gapminder.prepared()
    assert isinstance(index, sys.modules["population"].PopulationData)

    response = dashboard.client.post(f"{dashboard.prefix}_dash-update-component", json=CHILE_CALLBACK)

    assert response.status_code == 200
    assert dataset.gapminder.prepared() is index
    assert dataset.snapshot().data is index


# --- compression (the app's own flask-compress settings) ---------------------------------------------------------


def script_urls(client: Client, path: str = "/") -> list[str]:
    """The JavaScript bundles the index page loads from the app itself."""
    page = client.get(path).get_data(as_text=True)
    return re.findall(r'<script src="(/_dash-component-suites/[^"]+\.js[^"]*)"', page)


@pytest.mark.parametrize(("accepted", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip")])
def test_javascript_is_served_compressed_when_the_browser_accepts_it(
    dashboard: Served, accepted: str, encoding: str
) -> None:
    client = dashboard.client
    url = max(script_urls(client), key=lambda url: len(client.get(url).data))
    plain = client.get(url)

    compressed = client.get(url, headers={"Accept-Encoding": accepted})

    assert plain.status_code == compressed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert compressed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert len(compressed.data) < len(plain.data) / 2


def test_small_json_is_not_compressed(dashboard: Served) -> None:
    response = dashboard.client.post(
        "/_dash-update-component", json=CHILE_CALLBACK, headers={"Accept-Encoding": "gzip, br"}
    )

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "Content-Encoding" not in response.headers
