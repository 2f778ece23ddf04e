"""Security headers (zerodash_runtime/headers.py): on every response of a runtime-served app, whatever the app sets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from werkzeug.test import Client

from tests.runtime.conftest import FIXTURES, ServeFixture
from zerodash_runtime.headers import REFERRER_POLICY, SecurityHeaders

INTRANET = "https://intranet.example.com"


def app_with(*headers: tuple[str, str]) -> Any:
    """A WSGI app answering 200 with `headers`."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), *headers])
        return [b"ok"]

    return app


def headers_of(app: Any, frame_ancestors: tuple[str, ...] = ()) -> Any:
    return Client(SecurityHeaders(app, frame_ancestors=frame_ancestors)).get("/").headers


def test_by_default_nobody_may_frame_the_app() -> None:
    headers = headers_of(app_with())

    assert headers.getlist("Content-Security-Policy") == ["frame-ancestors 'none'"]
    assert headers.getlist("X-Frame-Options") == ["DENY"]
    assert headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert headers.getlist("Referrer-Policy") == [REFERRER_POLICY]


def test_self_only_is_sameorigin_for_browsers_without_frame_ancestors() -> None:
    headers = headers_of(app_with(), ("'self'",))

    assert headers.getlist("Content-Security-Policy") == ["frame-ancestors 'self'"]
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]


def test_a_list_of_origins_is_in_the_policy_and_no_frame_options_contradicts_it() -> None:
    headers = headers_of(app_with(), ("'self'", INTRANET))

    assert headers.getlist("Content-Security-Policy") == [f"frame-ancestors 'self' {INTRANET}"]
    assert "X-Frame-Options" not in headers


def test_the_apps_own_policy_is_kept_beside_the_frame_ancestors_one() -> None:
    own = "default-src 'self'; frame-ancestors *"

    headers = headers_of(app_with(("Content-Security-Policy", own)))

    # Browsers enforce both: the app cannot lift the framing rule, and keeps the rest of its policy.
    assert headers.getlist("Content-Security-Policy") == [own, "frame-ancestors 'none'"]


def test_the_apps_referrer_policy_is_kept_and_nosniff_is_not_repeated() -> None:
    headers = headers_of(app_with(("Referrer-Policy", "no-referrer"), ("x-content-type-options", "nosniff")))

    assert headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert headers.getlist("X-Content-Type-Options") == ["nosniff"]


@pytest.mark.parametrize(
    ("theirs", "ours", "sent"),
    [
        ("DENY", ("'self'",), "DENY"),  # the app is stricter: kept
        ("SAMEORIGIN", (), "DENY"),  # the runtime is stricter
        ("ALLOW-FROM https://old.example.com", (), "DENY"),  # obsolete, ignored by browsers: replaced
        ("allow-from https://old.example.com", ("'self'",), "SAMEORIGIN"),
    ],
)
def test_the_stricter_frame_options_wins_and_only_one_is_sent(theirs: str, ours: tuple[str, ...], sent: str) -> None:
    headers = headers_of(app_with(("X-Frame-Options", theirs)), ours)

    assert headers.getlist("X-Frame-Options") == [sent]


def test_an_apps_frame_options_is_left_alone_when_a_list_may_frame_it() -> None:
    headers = headers_of(app_with(("X-Frame-Options", "SAMEORIGIN")), (INTRANET,))

    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]


def test_an_error_response_started_with_exc_info_is_passed_on_with_the_headers() -> None:
    error = (RuntimeError, RuntimeError("boom"), None)
    started: list[tuple[str, list[tuple[str, str]], Any]] = []

    def failing(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")], error)
        return [b"error"]

    SecurityHeaders(failing, frame_ancestors=()).__call__({}, lambda *args: started.append(args))

    [(status, headers, exc_info)] = started
    assert (status, exc_info) == ("500 Internal Server Error", error)
    assert ("X-Frame-Options", "DENY") in headers


# --- the whole runtime -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/sales/", 200),  # the Dash page
        ("GET", "/sales/_dash-layout", 200),
        ("GET", "/sales/health", 200),  # the runtime's own routes
        ("GET", "/robots.txt", 200),
        ("GET", "/sales/_zerodash/attention.js", 200),
        ("GET", "/elsewhere", 404),  # outside the prefix
        ("POST", "/sales/_dash-update-component", 400),  # refused by the guard before the app
    ],
)
def test_every_response_of_the_runtime_carries_the_headers(
    serve: ServeFixture, method: str, path: str, status: int
) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/", FRAME_ANCESTORS=f"'self' {INTRANET}")

    response = client.open(path, method=method, json={} if method == "POST" else None)

    assert response.status_code == status
    assert response.headers.getlist("Content-Security-Policy") == [f"frame-ancestors 'self' {INTRANET}"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == REFERRER_POLICY
    assert "X-Frame-Options" not in response.headers


def test_a_body_refused_for_its_size_carries_the_headers(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "ticker", URL_PREFIX="/sales/", MAX_REQUEST_BYTES="100")

    response = client.post("/sales/_dash-update-component", data=b"x" * 101)

    assert response.status_code == 413
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_a_flask_apps_responses_get_the_headers_too(serve: ServeFixture) -> None:
    client = serve(FIXTURES / "flask_own_health", URL_PREFIX="/sales/")

    response = client.get("/sales/")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
