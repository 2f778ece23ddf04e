"""The health endpoint the ALB target group checks: 200 only once this worker has its data."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

from dashapp.store import DataState, DataStore, Status

NO_CACHE = {"Cache-Control": "no-store"}


def health_report(state: DataState) -> tuple[dict[str, Any], int]:
    """The JSON body and HTTP status for a data state."""
    if state.status is Status.READY and state.data is not None:
        body: dict[str, Any] = {"status": "ok", "rows": state.data.rows, "countries": len(state.countries)}
        if state.reload_error:  # still serving the previous data: healthy, but say why it is not the newest
            body["reload_error"] = state.reload_error
        return body, 200
    if state.status is Status.FAILED:
        return {"status": "error", "reason": state.error}, 503
    return {"status": "loading"}, 503


def register_health(server: Flask, store: DataStore, url_prefix: str) -> None:
    # A plain Flask view: flask-restful cost a quarter of a second of imports on every cold start.
    def health() -> tuple[Response, int, dict[str, str]]:
        body, status = health_report(store.snapshot())
        return jsonify(body), status, NO_CACHE

    server.add_url_rule(f"{url_prefix}health", endpoint="health", view_func=health)
