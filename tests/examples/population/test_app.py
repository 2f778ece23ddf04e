"""The app over HTTP, with its data in (mocked) S3: the dashboard, the page states, the URL prefix and no debug."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber
from flask.testing import FlaskClient
from moto import mock_aws

from dashapp.app import create_app
from dashapp.data import load_dataset
from dashapp.layout import LOADING_MESSAGE
from dashapp.settings import Settings
from dashapp.store import DataStore
from tests.dashapp.conftest import AppFactory
from tests.dashapp.helpers import BUCKET, LOAD_TIMEOUT_SECONDS, SAMPLE_FRAME, csv_bytes, page_texts, settings_for


def find_component(node: Any, component_id: str) -> dict[str, Any] | None:
    """The component with `component_id` in a layout served as JSON by Dash."""
    if isinstance(node, list):
        return next((found for child in node if (found := find_component(child, component_id))), None)
    if isinstance(node, dict) and "props" in node:
        if node["props"].get("id") == component_id:
            return node
        return find_component(node["props"].get("children"), component_id)
    return None


def dash_config(client: FlaskClient, path: str) -> dict[str, Any]:
    """The configuration Dash embeds in the index page for its renderer."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert match, "no _dash-config in the page"
    return json.loads(match.group(1))


@pytest.fixture
def dashboard_client(s3: Any, loaded_app: AppFactory) -> FlaskClient:
    """An app whose data loaded from a CSV object in the mocked bucket."""
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=csv_bytes())
    app, _ = loaded_app(settings_for("gapminder.csv"))
    return app.server.test_client()


def test_page_shows_the_configured_title_as_heading(dashboard_client: FlaskClient) -> None:
    layout = dashboard_client.get("/_dash-layout").get_json()

    heading = layout["props"]["children"][0]
    assert (heading["type"], heading["props"]["children"]) == ("H1", "Test population")


def test_browser_tab_shows_the_configured_title(dashboard_client: FlaskClient) -> None:
    html = dashboard_client.get("/").get_data(as_text=True)

    assert "<title>Test population</title>" in html


def test_dropdown_lists_the_countries_and_starts_on_canada(dashboard_client: FlaskClient) -> None:
    dropdown = find_component(dashboard_client.get("/_dash-layout").get_json(), "country")

    assert dropdown is not None
    assert dropdown["props"]["options"] == ["Canada", "Chile"]
    assert dropdown["props"]["value"] == "Canada"


def test_page_arrives_with_the_default_countrys_chart(dashboard_client: FlaskClient) -> None:
    graph = find_component(dashboard_client.get("/_dash-layout").get_json(), "population-graph")

    assert graph is not None
    assert graph["props"]["figure"]["layout"]["title"]["text"] == "Population of Canada"


def test_page_says_to_refresh_while_the_data_is_loading() -> None:
    release = threading.Event()
    store = DataStore()

    def slow_load() -> pd.DataFrame:
        release.wait(LOAD_TIMEOUT_SECONDS)
        return SAMPLE_FRAME

    app = create_app(settings_for("gapminder.csv"), store=store, load_data=slow_load)
    try:
        texts = page_texts(app.server.test_client())
    finally:
        release.set()
        store.wait(LOAD_TIMEOUT_SECONDS)

    assert LOADING_MESSAGE in texts


def test_app_is_served_under_its_url_prefix(s3: Any, loaded_app: AppFactory) -> None:
    s3.put_object(Bucket=BUCKET, Key="gapminder.csv", Body=csv_bytes())
    app, _ = loaded_app(settings_for("gapminder.csv", url_prefix="/sales/"))
    client = app.server.test_client()

    assert client.get("/sales/").status_code == 200
    assert "Test population" in page_texts(client, "/sales/")


def test_prefixed_app_tells_the_browser_to_request_under_the_prefix(loaded_app: AppFactory) -> None:
    app, _ = loaded_app(settings_for("gapminder.csv", url_prefix="/sales/"), load_data=lambda: SAMPLE_FRAME)

    config = dash_config(app.server.test_client(), "/sales/")

    assert config["requests_pathname_prefix"] == "/sales/"


def test_prefixed_app_does_not_answer_outside_its_prefix(loaded_app: AppFactory) -> None:
    app, _ = loaded_app(settings_for("gapminder.csv", url_prefix="/sales/"), load_data=lambda: SAMPLE_FRAME)

    assert app.server.test_client().get("/_dash-layout").status_code == 404


@pytest.mark.parametrize(
    ("url_prefix", "path"), [("/", "/robots.txt"), ("/sales/", "/robots.txt"), ("/sales/", "/sales/robots.txt")]
)
def test_robots_txt_disallows_every_crawler(loaded_app: AppFactory, url_prefix: str, path: str) -> None:
    app, _ = loaded_app(settings_for("gapminder.csv", url_prefix=url_prefix), load_data=lambda: SAMPLE_FRAME)

    response = app.server.test_client().get(path)

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "User-agent: *\nDisallow: /\n"


@pytest.fixture
def debug_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"FLASK_DEBUG": "1", "DASH_DEBUG": "true", "DASH_UI": "true", "DASH_HOT_RELOAD": "true"}.items():
        monkeypatch.setenv(name, value)


def test_debug_variables_in_the_environment_do_not_turn_on_flask_debug(
    debug_environment: None, loaded_app: AppFactory
) -> None:
    app, _ = loaded_app(settings_for("gapminder.csv"), load_data=lambda: SAMPLE_FRAME)

    assert app.server.debug is False


def test_debug_variables_in_the_environment_do_not_turn_on_dash_dev_tools(
    debug_environment: None, loaded_app: AppFactory
) -> None:
    app, _ = loaded_app(settings_for("gapminder.csv"), load_data=lambda: SAMPLE_FRAME)

    config = dash_config(app.server.test_client(), "/")

    assert (config["ui"], config["props_check"], config.get("hot_reload")) == (False, False, None)


# --- bad data: the app keeps serving and says what failed and what to fix -------------------------------------

BAD_OBJECTS = {
    "empty.csv": b"",
    "malformed.csv": b"country,year,pop\nCanada,1952,1\nCanada,1957,2,extra\n",
    "columns.csv": b"country,year\nCanada,1952\n",
}

# case -> (settings, the part of the reason that names the problem and its fix)
BAD_DATA_CASES: dict[str, tuple[Settings, str]] = {
    "missing BUCKET_NAME": (settings_for("gapminder.csv", bucket=None), "BUCKET_NAME is not set"),
    "missing DATA_KEY": (settings_for(None), "DATA_KEY is not set"),
    "missing bucket": (settings_for("gapminder.csv", bucket="no-such-bucket"), "or fix BUCKET_NAME"),
    "missing object": (settings_for("absent.csv"), "not found: upload the file or fix DATA_KEY"),
    "empty file": (settings_for("empty.csv"), "is empty: upload a CSV with a header row"),
    "malformed CSV": (settings_for("malformed.csv"), "is not valid CSV"),
    "missing columns": (settings_for("columns.csv"), "lacks the column(s) pop"),
}


@pytest.fixture(scope="module")
def bad_data_clients() -> Iterator[dict[str, FlaskClient]]:
    """One app per bad-data case, all built once against a mocked bucket holding the bad objects."""
    with pytest.MonkeyPatch.context() as env, mock_aws():
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for key, body in BAD_OBJECTS.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        clients = {}
        for case, (settings, _) in BAD_DATA_CASES.items():
            store = DataStore()
            app = create_app(settings, store=store)
            assert store.wait(LOAD_TIMEOUT_SECONDS), f"{case}: data loading did not finish"
            clients[case] = app.server.test_client()
        yield clients


@pytest.mark.parametrize("case", BAD_DATA_CASES)
def test_bad_data_makes_health_503_with_the_reason(bad_data_clients: dict[str, FlaskClient], case: str) -> None:
    _, expected = BAD_DATA_CASES[case]

    response = bad_data_clients[case].get("/health")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert expected in body["reason"]


@pytest.mark.parametrize("case", BAD_DATA_CASES)
def test_bad_data_page_shows_the_reason(bad_data_clients: dict[str, FlaskClient], case: str) -> None:
    client = bad_data_clients[case]
    reason = client.get("/health").get_json()["reason"]

    texts = page_texts(client)

    assert "The data could not be loaded." in texts
    assert reason in texts


@pytest.mark.parametrize("case", BAD_DATA_CASES)
def test_bad_data_app_still_serves_the_page(bad_data_clients: dict[str, FlaskClient], case: str) -> None:
    assert bad_data_clients[case].get("/").status_code == 200


def test_access_denied_is_reported_on_the_page_and_on_health(loaded_app: AppFactory) -> None:
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
        app, _ = loaded_app(
            settings_for("gapminder.csv"), load_data=lambda: load_dataset(BUCKET, "gapminder.csv", s3=client)
        )
    http = app.server.test_client()

    health = http.get("/health")

    assert health.status_code == 503
    assert "denied: grant the task role s3:GetObject" in health.get_json()["reason"]
    assert health.get_json()["reason"] in page_texts(http)


def test_bad_data_is_logged_with_what_to_fix(s3: Any, loaded_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("ERROR"):
        loaded_app(settings_for("absent.csv"))

    assert f"s3://{BUCKET}/absent.csv not found: upload the file or fix DATA_KEY" in caplog.text


def script_urls(client: FlaskClient, path: str = "/") -> list[str]:
    """The JavaScript bundles the index page loads from the app itself."""
    page = client.get(path).get_data(as_text=True)
    return re.findall(r'<script src="(/_dash-component-suites/[^"]+\.js[^"]*)"', page)


@pytest.mark.parametrize(("accepted", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip")])
def test_javascript_is_served_compressed_when_the_browser_accepts_it(
    dashboard_client: FlaskClient, accepted: str, encoding: str
) -> None:
    url = max(script_urls(dashboard_client), key=lambda url: len(dashboard_client.get(url).data))
    plain = dashboard_client.get(url)

    compressed = dashboard_client.get(url, headers={"Accept-Encoding": accepted})

    assert plain.status_code == compressed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert compressed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert len(compressed.data) < len(plain.data) / 2


def test_small_json_is_not_compressed(dashboard_client: FlaskClient) -> None:
    response = dashboard_client.get("/health", headers={"Accept-Encoding": "gzip, br"})

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "Content-Encoding" not in response.headers
