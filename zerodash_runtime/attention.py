"""Serve static/attention.js and add it to a Dash app's page (see the script for what it does and why)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, Response

ROUTE = "/_zerodash/attention.js"  # inside the prefix, answered by the runtime, not by the app


@cache
def script() -> bytes:
    return (Path(__file__).parent / "static" / "attention.js").read_bytes()


def script_url(url_prefix: str, idle_seconds: float) -> str:
    """The page's URL for the script; the content hash lets browsers cache it for good."""
    version = hashlib.sha256(script()).hexdigest()[:12]
    return f"{url_prefix}{ROUTE.lstrip('/')}?v={version}&idle={idle_seconds:g}"


def add_attention(dash_app: Any, url: str) -> None:
    """Dash puts external_scripts after React and before its renderer, so the script wraps fetch first."""
    dash_app.config.external_scripts = [*dash_app.config.external_scripts, url]


def add_script_route(server: Flask, path: str = ROUTE) -> None:
    def attention_js() -> Response:
        response = Response(script(), mimetype="text/javascript")
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    server.add_url_rule(path, endpoint="zerodash:attention", view_func=attention_js)
