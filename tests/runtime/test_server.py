"""The runtime around an app written for "/": served under the prefix, /health, robots.txt, debug off, the
attention script on Dash pages."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from tests.runtime.conftest import FIXTURES, LoadFixture, ServeFixture, write_app
from zerodash_runtime.debug import force_debug_off


def test_a_dash_app_written_for_root_answers_under_the_prefix(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/")

    page = client.get("/sales/")
    layout = client.get("/sales/_dash-layout")

    assert (page.status_code, layout.status_code) == (200, 200)
    assert '"requests_pathname_prefix":"\\u002fsales\\u002f"' in page.get_data(as_text=True)


def test_the_dash_app_is_not_reachable_outside_its_prefix(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/")

    assert client.get("/_dash-layout").status_code == 404


def test_dash_pages_paths_and_links_come_out_under_the_prefix(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "pages", URL_PREFIX="/sales/")

    layout = client.get("/sales/_dash-layout").get_data(as_text=True).replace("\\u002f", "/")

    assert client.get("/sales/other").status_code == 200
    assert re.findall(r'"href":"([^"]*)"', layout) == ["/sales/", "/sales/other"]


def test_the_runtime_answers_health_inside_the_prefix(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", ({"status": "loading", "reason": "loading a.csv"}, 503), URL_PREFIX="/sales/")

    response = client.get("/sales/health")

    assert (response.status_code, response.json) == (503, {"status": "loading", "reason": "loading a.csv"})
    assert response.headers["Cache-Control"] == "no-store"


def test_an_app_with_its_own_health_keeps_it_and_builds_links_under_the_prefix(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "flask_own_health", ({"status": "ok"}, 200), URL_PREFIX="/sales/")

    assert client.get("/sales/health").json == {"status": "own"}
    assert client.get("/sales/").get_data(as_text=True) == "hello from flask, health at /sales/health"


def test_a_health_path_outside_the_prefix_is_answered_there(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/", HEALTH_PATH="/ping")

    assert client.get("/ping").json == {"status": "ok"}


@pytest.mark.parametrize("path", ["/robots.txt", "/sales/robots.txt"])
def test_robots_txt_disallows_everything_at_the_root_and_in_the_prefix(serve: ServeFixture, path: str) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/")

    response = client.get(path)

    assert (response.status_code, response.get_data(as_text=True)) == (200, "User-agent: *\nDisallow: /\n")


def test_debug_stays_off_whatever_the_environment_says(load: LoadFixture) -> None:
    loaded = load(FIXTURES / "ticker", FLASK_DEBUG="1", DASH_DEBUG="true")
    loaded.dash.enable_dev_tools(debug=True)  # what `app.run(debug=True)` would have switched on

    force_debug_off(dash=loaded.dash, flask=loaded.flask)

    assert loaded.flask.debug is False
    assert not any(loaded.dash._dev_tools[key] for key in ("ui", "props_check", "serve_dev_bundles", "hot_reload"))


def test_a_callback_error_does_not_send_a_traceback_to_the_browser(serve: ServeFixture, tmp_path: Path) -> None:
    write_app(
        tmp_path,
        "from dash import Dash, Input, Output, html\n"
        "app = Dash(__name__)\n"
        "app.layout = html.Div([html.Button(id='b'), html.Div(id='o')])\n"
        "@app.callback(Output('o', 'children'), Input('b', 'n_clicks'))\n"
        "def boom(n):\n    raise RuntimeError('secret detail')\n",
    )
    client = serve(tmp_path, DASH_DEBUG="true")
    body = {
        "output": "o.children",
        "outputs": {"id": "o", "property": "children"},
        "inputs": [{"id": "b", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["b.n_clicks"],
    }

    response = client.post("/_dash-update-component", json=body)

    assert response.status_code == 500
    assert "secret detail" not in response.get_data(as_text=True)


def test_a_dash_page_loads_the_attention_script_before_the_renderer(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/", ATTENTION_SECONDS="120")

    scripts = re.findall(r'<script src="([^"]*)"', client.get("/sales/").get_data(as_text=True))
    attention = next(index for index, src in enumerate(scripts) if "_zerodash/attention.js" in src)
    renderer = next(index for index, src in enumerate(scripts) if "dash_renderer" in src)

    assert attention < renderer
    assert scripts[attention].startswith("/sales/_zerodash/attention.js?v=")
    assert scripts[attention].endswith("&idle=120")


def test_the_attention_script_is_served_inside_the_prefix(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/")

    response = client.get("/sales/_zerodash/attention.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"_dash-update-component" in response.data


def test_a_flask_app_gets_no_attention_script(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "flask_own_health", URL_PREFIX="/sales/")

    assert client.get("/sales/_zerodash/attention.js").status_code == 404


def test_with_login_required_a_dash_page_loads_the_login_script_before_the_renderer(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/", LOGIN_REQUIRED="1")

    scripts = re.findall(r'<script src="([^"]*)"', client.get("/sales/").get_data(as_text=True))
    login = next(index for index, src in enumerate(scripts) if "_zerodash/login.js" in src)
    attention = next(index for index, src in enumerate(scripts) if "_zerodash/attention.js" in src)
    renderer = next(index for index, src in enumerate(scripts) if "dash_renderer" in src)

    assert attention < login < renderer  # the login wrapper sees what the attention wrapper lets through
    assert re.fullmatch(r"/sales/_zerodash/login\.js\?v=[0-9a-f]{12}", scripts[login])
    response = client.get(scripts[login])
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"opaqueredirect" in response.data


def test_without_login_required_there_is_no_login_script(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/")

    assert "_zerodash/login.js" not in client.get("/sales/").get_data(as_text=True)
    assert client.get("/sales/_zerodash/login.js").mimetype == "text/html"  # Dash's catch-all page, not the script


def test_a_flask_app_gets_no_login_script(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "flask_own_health", URL_PREFIX="/sales/", LOGIN_REQUIRED="1")

    assert client.get("/sales/_zerodash/login.js").status_code == 404


TICK = {
    "output": "count.children",
    "outputs": {"id": "count", "property": "children"},
    "inputs": [{"id": "tick", "property": "n_intervals", "value": 3}],
    "changedPropIds": ["tick.n_intervals"],
    "state": [],
}


def test_a_well_formed_callback_passes_the_guard(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/")

    response = client.post("/sales/_dash-update-component", json=TICK)

    assert response.status_code == 200
    assert response.json["response"] == {"count": {"children": "3"}}


@pytest.mark.parametrize(
    "body",
    [
        None,
        [1, 2],
        {k: v for k, v in TICK.items() if k != "output"},
        {k: v for k, v in TICK.items() if k != "outputs"},
        {k: v for k, v in TICK.items() if k != "inputs"},
        {**TICK, "output": "nope.children"},
        {**TICK, "output": "x" * 100_000},
        {**TICK, "outputs": [1]},
        {**TICK, "inputs": "x"},
        {**TICK, "inputs": TICK["inputs"] * 2},
        {**TICK, "inputs": [{"property": "n_intervals", "value": 1}]},
        {**TICK, "state": [1]},
        {**TICK, "changedPropIds": "tick.n_intervals"},
    ],
    ids=lambda body: str(body)[:40],
)
def test_a_malformed_callback_body_is_answered_400_with_a_reason(serve: ServeFixture, body: object) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/")

    response = client.post("/sales/_dash-update-component", json=body)

    assert response.status_code == 400
    assert set(response.json) == {"error"}


@pytest.mark.parametrize("raw", [b"{not json", b"[" * 50_000 + b"]" * 50_000, b'{"output": "\xff"}'])
def test_a_callback_body_that_is_not_json_is_answered_400(serve: ServeFixture, raw: bytes) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/")

    response = client.post("/sales/_dash-update-component", data=raw, content_type="application/json")

    assert response.status_code == 400


def test_a_body_over_max_request_bytes_is_refused_413_and_the_connection_closed(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/", MAX_REQUEST_BYTES="1000")

    response = client.post("/sales/_dash-update-component", json={**TICK, "pad": "x" * 2000})

    assert response.status_code == 413
    assert response.headers["Connection"] == "close"
    assert client.post("/sales/_dash-update-component", json=TICK).status_code == 200


def test_a_chunked_body_is_counted_while_read(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/", MAX_REQUEST_BYTES="1000")

    def post_chunked(size: int) -> int:
        body = json.dumps({**TICK, "pad": "x" * size}).encode()
        headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}
        as_gunicorn = {"CONTENT_LENGTH": "", "wsgi.input_terminated": True}  # it decodes chunks, no length
        stream = io.BytesIO(body)
        path = "/sales/_dash-update-component"
        response = client.post(path, input_stream=stream, headers=headers, environ_overrides=as_gunicorn)
        return response.status_code

    assert (post_chunked(10), post_chunked(5000)) == (200, 413)


def test_an_unregistered_component_file_is_404_not_500(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/")

    assert client.get("/sales/_dash-component-suites/dash/nothing.v1m1.js").status_code == 404
    assert client.get("/sales/_dash-component-suites/nopkg/x.js").status_code == 404


def test_an_exception_in_the_users_callback_stays_a_500(serve: ServeFixture, tmp_path: Path) -> None:
    source = (FIXTURES / "ticker" / "app.py").read_text().replace("return str(n_intervals or 0)", "raise ValueError")
    client = serve(write_app(tmp_path / "broken", source), URL_PREFIX="/sales/")

    assert client.post("/sales/_dash-update-component", json=TICK).status_code == 500
