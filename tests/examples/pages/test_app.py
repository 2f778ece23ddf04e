"""The pages example through the runtime, at "/" and under "/sales/": every page, the nav's links under the
prefix, the live page's callback, and /health."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.examples.conftest import EXAMPLES, Served, dash_config, served_by_runtime, texts

DIRECTORY = EXAMPLES / "pages"


@pytest.fixture(params=["/", "/sales/"])
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    env = {"URL_PREFIX": request.param, "APP_NAME": "pages", "APP_TITLE": "Pages test"}
    with served_by_runtime(DIRECTORY, env) as served:
        yield served


def nav_links(layout: Any) -> dict[str, str]:
    """The nav's links: {text: href}."""
    header = layout["props"]["children"][0]
    nav = header["props"]["children"][1]
    return {link["props"]["children"]: link["props"]["href"] for link in nav["props"]["children"]}


def test_health_is_200_under_the_prefix(served: Served) -> None:
    response = served.client.get(f"{served.prefix}health")

    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


@pytest.mark.parametrize("page", ["", "live", "about"])
def test_every_page_answers_with_the_app_title(served: Served, page: str) -> None:
    response = served.client.get(served.prefix + page)

    assert response.status_code == 200
    assert "<title>Pages test</title>" in response.get_data(as_text=True)


def test_nav_links_every_page_under_the_prefix(served: Served) -> None:
    layout = served.client.get(f"{served.prefix}_dash-layout").get_json()

    assert nav_links(layout) == {
        "Home": served.prefix,
        "Live": f"{served.prefix}live",
        "About": f"{served.prefix}about",
    }


def test_heading_shows_the_title(served: Served) -> None:
    layout = served.client.get(f"{served.prefix}_dash-layout").get_json()

    assert texts(layout)[0] == "Pages test"


def test_renderer_is_told_to_request_under_the_prefix(served: Served) -> None:
    assert dash_config(served.client, served.prefix)["requests_pathname_prefix"] == served.prefix


def live_request() -> dict[str, Any]:
    """What the renderer POSTs when the live page's interval fires."""
    return {
        "output": "..live-clock.children...live-graph.figure..",
        "outputs": [{"id": "live-clock", "property": "children"}, {"id": "live-graph", "property": "figure"}],
        "inputs": [{"id": "live-interval", "property": "n_intervals", "value": 3}],
        "changedPropIds": ["live-interval.n_intervals"],
        "state": [],
    }


def test_live_callback_answers_with_the_clock_and_the_chart(served: Served) -> None:
    served.client.get(served.prefix)  # the first request sets Dash up (pages' callbacks included)

    response = served.client.post(f"{served.prefix}_dash-update-component", json=live_request())

    assert response.status_code == 200
    answer = response.get_json()["response"]
    assert answer["live-clock"]["children"].startswith("Updated ")
    assert len(answer["live-graph"]["figure"]["data"][0]["x"]) == 60


def test_nothing_is_served_outside_the_prefix(served: Served) -> None:
    if served.prefix == "/":
        pytest.skip("at / every path is inside the prefix")

    assert served.client.get("/_dash-layout").status_code == 404
