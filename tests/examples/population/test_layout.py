"""The page per data state, and the dropdown's default country."""

from __future__ import annotations

from dash import dcc, html

from tests.examples.conftest import EXAMPLES, imported_from
from tests.examples.population.helpers import SAMPLE_FRAME

with imported_from(EXAMPLES / "population"):
    from dataset import DataState, Status
    from layout import LOADING_MESSAGE, default_country, page
    from population import PopulationData


def texts_of(component: object) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif hasattr(node, "children"):
            walk(node.children)

    walk(component)
    return found


def test_default_country_is_canada_when_present() -> None:
    assert default_country(("Brazil", "Canada", "Chile")) == "Canada"


def test_default_country_is_the_first_when_canada_is_absent() -> None:
    assert default_country(("Brazil", "Chile")) == "Brazil"


def test_loading_page_says_to_refresh_in_a_few_seconds() -> None:
    component = page(DataState(Status.LOADING), "Title")

    assert texts_of(component) == ["Title", LOADING_MESSAGE]


def test_failed_page_shows_the_reason_as_an_alert() -> None:
    component = page(DataState(Status.FAILED, error="s3://b/k not found: upload the file or fix DATA_KEY"), "Title")

    alert = component.children[1]
    assert alert.role == "alert"
    assert texts_of(alert) == ["The data could not be loaded.", "s3://b/k not found: upload the file or fix DATA_KEY"]


def test_ready_page_has_heading_dropdown_and_chart() -> None:
    component = page(DataState(Status.READY, data=PopulationData(SAMPLE_FRAME)), "Title")

    heading, body = component.children
    assert isinstance(heading, html.H1)
    assert [type(child) for child in body.children] == [html.Label, dcc.Dropdown, dcc.Graph]
