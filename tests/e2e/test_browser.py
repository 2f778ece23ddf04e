"""The population example in a real browser: headless Chromium against the runtime's gunicorn serving
examples/population with its data/ from a local S3 (the `live_app` fixture). Framing by other origins and the login
script: tests/e2e/test_framing.py and test_login_expiry.py."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.chromium import severe_console_errors

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveApp

pytestmark = pytest.mark.browser

# examples/population/layout.py's ids (its modules import each other by bare names, as in the image, so they are
# not imported here).
COUNTRY_DROPDOWN_ID = "country"
POPULATION_GRAPH_ID = "population-graph"
PREFERRED_COUNTRY = "Canada"
WAIT_S = 15
OTHER_COUNTRY = "France"

# The first trace and the title of the rendered Plotly graph, or null until Plotly has drawn it.
READ_GRAPH_JS = f"""
const plot = document.querySelector('#{POPULATION_GRAPH_ID} .js-plotly-plot');
if (!plot || !plot.data || plot.data.length === 0) return null;
const trace = plot.data[0];
return {{
  type: trace.type || 'scatter',
  mode: trace.mode,
  name: trace.name,
  y: Array.from(trace.y || []),
  title: plot.layout && plot.layout.title ? plot.layout.title.text : null,
}};
"""


def read_graph(driver: WebDriver) -> dict[str, Any] | None:
    return driver.execute_script(READ_GRAPH_JS)


def wait_for_graph_titled(driver: WebDriver, title: str) -> dict[str, Any]:
    def graph_with_title(d: WebDriver) -> dict[str, Any] | bool:
        graph = read_graph(d)
        return graph if graph and graph["title"] == title else False

    return WebDriverWait(driver, WAIT_S).until(graph_with_title, f"graph titled {title!r} not drawn")


def choose_country(driver: WebDriver, country: str) -> None:
    """What a visitor does: open the dropdown, type to search, click the option."""
    driver.find_element(By.ID, COUNTRY_DROPDOWN_ID).click()
    search = WebDriverWait(driver, WAIT_S).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "input.dash-dropdown-search"))
    )
    search.send_keys(country)
    option = (By.XPATH, f"//*[@role='option'][normalize-space(.)='{country}']")
    WebDriverWait(driver, WAIT_S).until(ec.element_to_be_clickable(option)).click()


@pytest.fixture(scope="module")
def opened_page(browser: WebDriver, live_app: LiveApp) -> WebDriver:
    severe_console_errors(browser)  # forget what earlier pages logged
    browser.get(live_app.base_url)
    return browser


def test_page_shows_title_and_population_line_for_default_country(
    opened_page: WebDriver, live_app: LiveApp, tmp_path_factory: pytest.TempPathFactory
) -> None:
    WebDriverWait(opened_page, WAIT_S).until(ec.title_is(live_app.title))
    heading = WebDriverWait(opened_page, WAIT_S).until(ec.visibility_of_element_located((By.TAG_NAME, "h1")))
    assert heading.text == live_app.title

    graph = wait_for_graph_titled(opened_page, f"Population of {PREFERRED_COUNTRY}")

    assert graph["type"] == "scatter"
    assert "lines" in graph["mode"]
    assert graph["name"] == PREFERRED_COUNTRY
    assert len(graph["y"]) > 1
    assert all(value > 0 for value in graph["y"])
    screenshot = tmp_path_factory.mktemp("screenshots") / "page.png"
    assert opened_page.save_screenshot(str(screenshot))


def test_choosing_another_country_redraws_the_graph(opened_page: WebDriver) -> None:
    before = wait_for_graph_titled(opened_page, f"Population of {PREFERRED_COUNTRY}")

    choose_country(opened_page, OTHER_COUNTRY)
    after = wait_for_graph_titled(opened_page, f"Population of {OTHER_COUNTRY}")

    assert after["name"] == OTHER_COUNTRY
    assert len(after["y"]) == len(before["y"])
    assert after["y"] != before["y"]
    dropdown_value = opened_page.find_element(By.ID, f"{COUNTRY_DROPDOWN_ID}-value")
    assert dropdown_value.text == OTHER_COUNTRY


def test_page_logs_no_console_errors(opened_page: WebDriver) -> None:
    wait_for_graph_titled(opened_page, f"Population of {OTHER_COUNTRY}")

    assert severe_console_errors(opened_page) == []


def test_the_page_and_its_scripts_come_with_the_security_headers(live_app: LiveApp) -> None:
    page = requests.get(live_app.base_url, timeout=5)
    renderer = re.search(r'<script src="(/[^"]*dash_renderer[^"]*)"', page.text)
    assert renderer is not None
    script = requests.get(live_app.base_url + renderer[1].lstrip("/"), timeout=5)

    for response in (page, script):
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"  # FRAME_ANCESTORS unset
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "javascript" in script.headers["Content-Type"]  # with nosniff, only a script type would run
