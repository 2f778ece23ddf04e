"""Fixtures for the runtime: fixture apps loaded in-process (imports, env and registries undone after each test)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.test import Client

from zerodash_runtime.data import dataset, s3
from zerodash_runtime.debug import force_debug_off
from zerodash_runtime.health import Report
from zerodash_runtime.loader import LoadedApp, load_app, prepare_environment
from zerodash_runtime.server import build_application
from zerodash_runtime.settings import RuntimeSettings

FIXTURES = Path(__file__).parent / "fixtures"
READY: Report = ({"status": "ok"}, 200)


@pytest.fixture(autouse=True)
def isolated_runtime() -> Iterator[None]:
    """Each test imports its own `app`: forget the modules, sys.path entries, env, datasets and pages it added."""
    modules, path, environ = set(sys.modules), list(sys.path), dict(os.environ)
    yield
    for name in set(sys.modules) - modules:
        if any(_is_app_file(place) for place in _places(sys.modules[name])):
            del sys.modules[name]
    sys.path[:] = path
    os.environ.clear()
    os.environ.update(environ)
    dataset.REGISTRY.clear()
    s3._clients.clear()
    dash = sys.modules.get("dash")
    if dash is not None:
        dash.page_registry.clear()


def _places(module: object) -> list[str]:
    return [getattr(module, "__file__", None) or "", *list(getattr(module, "__path__", []) or [])]


def _is_app_file(place: str) -> bool:
    return place.startswith(str(FIXTURES)) or "pytest-of-" in place


def write_app(directory: Path, source: str, name: str = "app.py") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(source)
    return directory


LoadFixture = Callable[..., LoadedApp]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> LoadFixture:
    """load(app_dir, **env): the runtime's settings from env, the environment prepared, the app imported."""

    def run(app_dir: Path, **env: str) -> LoadedApp:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = RuntimeSettings.from_env()
        prepare_environment(settings)
        return load_app(settings, app_dir)

    return run


ServeFixture = Callable[..., Client]


@pytest.fixture
def serve(load: LoadFixture) -> ServeFixture:
    """serve(app_dir, report=READY, **env): a test client for the whole runtime around the app, as wsgi.py builds it."""

    def run(app_dir: Path, report: Report = READY, **env: str) -> Client:
        loaded = load(app_dir, **env)
        force_debug_off(dash=loaded.dash, flask=loaded.flask)
        return Client(build_application(loaded, RuntimeSettings.from_env(), lambda: report))

    return run
