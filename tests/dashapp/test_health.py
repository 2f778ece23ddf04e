"""/health: 200 with a summary only once the data is loaded, otherwise 503 with the reason."""

from __future__ import annotations

import threading

import pandas as pd

from dashapp.app import create_app
from dashapp.data import DataLoadError
from dashapp.store import DataStore
from tests.dashapp.conftest import AppFactory
from tests.dashapp.helpers import LOAD_TIMEOUT_SECONDS, SAMPLE_FRAME, settings_for


def test_health_is_503_loading_while_the_data_loads() -> None:
    release = threading.Event()
    store = DataStore()

    def slow_load() -> pd.DataFrame:
        release.wait(LOAD_TIMEOUT_SECONDS)
        return SAMPLE_FRAME

    app = create_app(settings_for("gapminder.csv"), store=store, load_data=slow_load)
    try:
        response = app.server.test_client().get("/health")
    finally:
        release.set()
        store.wait(LOAD_TIMEOUT_SECONDS)

    assert response.status_code == 503
    assert response.get_json() == {"status": "loading"}


def test_health_is_200_with_rows_and_countries_once_loaded(loaded_app: AppFactory) -> None:
    app, _ = loaded_app(settings_for("gapminder.csv"), load_data=lambda: SAMPLE_FRAME)

    response = app.server.test_client().get("/health")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "rows": 5, "countries": 2}


def test_health_is_503_error_with_the_reason_when_loading_failed(loaded_app: AppFactory) -> None:
    def failing_load() -> pd.DataFrame:
        raise DataLoadError("s3://b/k not found: upload the file or fix DATA_KEY")

    app, _ = loaded_app(settings_for("gapminder.csv"), load_data=failing_load)

    response = app.server.test_client().get("/health")

    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "reason": "s3://b/k not found: upload the file or fix DATA_KEY"}


def test_health_is_not_cached(loaded_app: AppFactory) -> None:
    app, _ = loaded_app(settings_for("gapminder.csv"), load_data=lambda: SAMPLE_FRAME)

    response = app.server.test_client().get("/health")

    assert response.headers["Cache-Control"] == "no-store"


def test_health_is_served_under_the_url_prefix(loaded_app: AppFactory) -> None:
    app, _ = loaded_app(settings_for("gapminder.csv", url_prefix="/sales/"), load_data=lambda: SAMPLE_FRAME)

    response = app.server.test_client().get("/sales/health")

    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_health_stays_200_and_reports_the_reload_error_while_serving_the_old_data(loaded_app: AppFactory) -> None:
    app, store = loaded_app(settings_for("gapminder.csv"), load_data=lambda: SAMPLE_FRAME)
    store.set_failed("s3://b/k is not valid CSV: fix the file and upload it again")

    response = app.server.test_client().get("/health")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "rows": 5,
        "countries": 2,
        "reload_error": "s3://b/k is not valid CSV: fix the file and upload it again",
    }
