"""The runtime's scripts for Dash pages (static/*.js; each says what it does and why): served inside the prefix by
the runtime's own Flask app, not by the app, and listed in the page before Dash's renderer.

Dash puts external_scripts after React and before its renderer, so each script wraps window.fetch before the
renderer sends its first request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response

ROUTES = "/_zerodash/"  # inside the prefix, answered by the runtime, not by the app


@dataclass(frozen=True)
class PageScript:
    file: str  # in static/

    @property
    def route(self) -> str:
        return ROUTES + self.file

    def body(self) -> bytes:
        return _read(self.file)

    def url(self, url_prefix: str, **query: str) -> str:
        """The page's URL for the script; the content hash lets browsers cache it for good."""
        version = hashlib.sha256(self.body()).hexdigest()[:12]
        return f"{url_prefix}{self.route.lstrip('/')}?{urlencode({'v': version, **query})}"

    def add_route(self, server: Flask) -> None:
        def serve() -> Response:
            response = Response(self.body(), mimetype="text/javascript")
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            return response

        server.add_url_rule(self.route, endpoint=f"zerodash:{self.file}", view_func=serve)

    def add_to_page(self, dash_app: Any, url: str) -> None:
        dash_app.config.external_scripts = [*dash_app.config.external_scripts, url]


@cache
def _read(file: str) -> bytes:
    return (Path(__file__).parent / "static" / file).read_bytes()


# Tabs nobody looks at stop polling, so the app can go to sleep (ATTENTION_SECONDS).
ATTENTION = PageScript("attention.js")
# A tab whose ALB login session expired reloads into the login (LOGIN_REQUIRED).
LOGIN = PageScript("login.js")
