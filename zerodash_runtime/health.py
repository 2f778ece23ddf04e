"""/health, answered with flask-restful: 200 once the app has imported and every dataset is loaded, else 503
with the reason. The ALB only counts the status; the body is for the person reading it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from flask_restful import Api, Resource

from zerodash_runtime.data.state import DataState, Status

NO_STORE = {"Cache-Control": "no-store"}
Report = tuple[dict[str, Any], int]


def health_report(states: Iterable[tuple[str, DataState]], *, imported: bool = True) -> Report:
    """The body and status for the app's import and its datasets' (key, state) pairs."""
    if not imported:
        return {"status": "loading", "reason": "the app is still being imported"}, 503
    states = list(states)
    failed = [_named(key, state.error) for key, state in states if state.status is Status.FAILED]
    if failed:
        return {"status": "error", "reason": "; ".join(failed)}, 503
    loading = [key for key, state in states if state.status is Status.LOADING]
    if loading:
        return {"status": "loading", "reason": f"loading {', '.join(loading)}"}, 503
    body: dict[str, Any] = {"status": "ok"}
    if states:
        body["datasets"] = {key: _summary(state) for key, state in states}
    return body, 200


def _named(key: str, error: str | None) -> str:
    """The reason, led by the dataset's key unless it already names it (a failed `prepare` does)."""
    error = error or "unknown error"
    return error if error.startswith(f"{key}: ") else f"{key}: {error}"


def _summary(state: DataState) -> dict[str, Any]:
    summary: dict[str, Any] = {"rows": state.rows, "etag": state.etag}
    if state.error:  # a reload failed: still serving the previous version, say why it is not the newest
        summary["reload_error"] = state.error
    if state.warnings:  # loaded, but something in it looks wrong (bounded: at most 20 messages of 500 characters)
        summary["warnings"] = list(state.warnings)
    return summary


def add_health(server: Flask, path: str, report: Callable[[], Report]) -> None:
    """Answer GET `path` on `server` (the runtime's own Flask app, never the user's) with `report()`."""

    class Health(Resource):
        def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
            body, status = report()
            return body, status, NO_STORE

    Api(server).add_resource(Health, path, endpoint=f"health:{path}")
