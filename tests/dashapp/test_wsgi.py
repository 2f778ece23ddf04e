"""The gunicorn entry point builds the app from the environment."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import pytest
from flask import Flask

from tests.dashapp.helpers import LOAD_TIMEOUT_SECONDS


@pytest.fixture
def wsgi_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """dashapp.wsgi freshly imported with URL_PREFIX=/sales/ and no BUCKET_NAME."""
    monkeypatch.setenv("URL_PREFIX", "/sales/")
    monkeypatch.setenv("DATA_KEY", "gapminder.csv")
    monkeypatch.delitem(sys.modules, "dashapp.wsgi", raising=False)
    module = importlib.import_module("dashapp.wsgi")
    assert module.store.wait(LOAD_TIMEOUT_SECONDS)
    return module


def test_wsgi_exposes_the_flask_server(wsgi_module: ModuleType) -> None:
    assert isinstance(wsgi_module.server, Flask)


def test_wsgi_app_reads_its_settings_from_the_environment(wsgi_module: ModuleType) -> None:
    response = wsgi_module.server.test_client().get("/sales/health")

    assert response.status_code == 503
    assert response.get_json()["reason"].startswith("BUCKET_NAME is not set")


def test_wsgi_loads_the_data_before_the_server_starts(wsgi_module: ModuleType) -> None:
    assert wsgi_module.store.wait(0)


@pytest.fixture
def reload_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_RELOAD_SECONDS", "0")


def test_reloader_is_not_started_when_data_reload_seconds_is_zero(
    reload_disabled: None, wsgi_module: ModuleType
) -> None:
    assert wsgi_module.start_reloading() is None
