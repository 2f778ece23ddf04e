"""gunicorn's settings for the container."""

from __future__ import annotations

import runpy
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from gunicorn.config import Config

import dashapp

CONF_PATH = Path(__file__).resolve().parents[2] / "dashapp" / "gunicorn.conf.py"
ALB_IDLE_TIMEOUT_SECONDS = 60


def load_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in ("PORT", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace = runpy.run_path(str(CONF_PATH))
    return {name: value for name, value in namespace.items() if not name.startswith("_") and name != "os"}


def test_every_name_in_the_file_is_a_gunicorn_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(load_conf(monkeypatch)) <= set(Config().settings)


def test_defaults_bind_port_8050_with_one_gthread_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)

    assert (conf["bind"], conf["workers"], conf["worker_class"], conf["threads"]) == ("0.0.0.0:8050", 1, "gthread", 4)


def test_port_and_web_concurrency_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch, PORT="9000", WEB_CONCURRENCY="3")

    assert (conf["bind"], conf["workers"]) == ("0.0.0.0:9000", 3)


def test_keepalive_outlasts_the_alb_idle_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_conf(monkeypatch)["keepalive"] > ALB_IDLE_TIMEOUT_SECONDS


def test_logs_go_to_the_container_output_and_code_is_never_reloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)

    assert (conf["accesslog"], conf["errorlog"]) == ("-", "-")
    assert not conf.get("reload", False)


def test_app_and_data_are_loaded_once_in_the_master_and_shared_with_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_conf(monkeypatch)["preload_app"] is True


def test_each_worker_starts_its_data_reloader_after_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[bool] = []
    fake_wsgi = types.ModuleType("dashapp.wsgi")
    fake_wsgi.start_reloading = lambda: started.append(True)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dashapp.wsgi", fake_wsgi)
    monkeypatch.setattr(dashapp, "wsgi", fake_wsgi, raising=False)

    load_conf(monkeypatch)["post_worker_init"](worker=None)

    assert started == [True]


def test_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)

    assert (conf["timeout"], conf["graceful_timeout"]) == (30, 20)


def test_control_socket_is_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_conf(monkeypatch)["control_socket_disable"] is True
