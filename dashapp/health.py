"""The health endpoint the ALB target group checks: 200 only once this worker has its data."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_restful import Api, Resource

from dashapp.store import DataState, DataStore, Status

NO_CACHE = {"Cache-Control": "no-store"}


def health_report(state: DataState) -> tuple[dict[str, Any], int]:
    """The JSON body and HTTP status for a data state."""
    if state.status is Status.READY and state.frame is not None:
        return {"status": "ok", "rows": len(state.frame), "countries": len(state.countries)}, 200
    if state.status is Status.FAILED:
        return {"status": "error", "reason": state.error}, 503
    return {"status": "loading"}, 503


class Health(Resource):
    def __init__(self, store: DataStore) -> None:
        self._store = store

    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        body, status = health_report(self._store.snapshot())
        return body, status, NO_CACHE


def register_health(server: Flask, store: DataStore, url_prefix: str) -> None:
    api = Api(server)
    api.add_resource(Health, f"{url_prefix}health", resource_class_kwargs={"store": store})
