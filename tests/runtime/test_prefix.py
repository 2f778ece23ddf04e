"""PrefixMount: the app sees its own paths under SCRIPT_NAME=prefix; nothing outside the prefix reaches it."""

from __future__ import annotations

from typing import Any

from werkzeug.test import Client

from zerodash_runtime.prefix import PrefixMount


def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]


def test_a_path_under_the_prefix_reaches_the_app_with_the_prefix_in_script_name() -> None:
    response = Client(PrefixMount(echo, "/sales/")).get("/sales/_dash-layout")

    assert response.get_data(as_text=True) == "/sales|/_dash-layout"


def test_a_path_outside_the_prefix_is_not_found() -> None:
    response = Client(PrefixMount(echo, "/sales/")).get("/salesforce/page")

    assert response.status_code == 404


def test_the_prefix_without_its_slash_redirects_to_it() -> None:
    response = Client(PrefixMount(echo, "/sales/")).get("/sales?tab=2")

    assert (response.status_code, response.headers["Location"]) == (308, "/sales/?tab=2")


def test_the_root_prefix_passes_every_path_through_unchanged() -> None:
    response = Client(PrefixMount(echo, "/")).get("/anything")

    assert response.get_data(as_text=True) == "|/anything"
