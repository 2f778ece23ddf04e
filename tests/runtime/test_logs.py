"""JSON logs: every line one JSON object with time, level, logger, message and app."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
from collections.abc import Iterator

import pytest

from zerodash_runtime.logs import JsonFormatter, logconfig_dict


def record(name: str, message: str, args: object = None, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, args, exc_info)  # type: ignore[arg-type]


def test_a_log_line_is_one_json_object_with_the_apps_name() -> None:
    line = JsonFormatter("sales").format(record("app.data", "loaded %d rows", (3,)))

    entry = json.loads(line)
    assert "\n" not in line
    assert {k: entry[k] for k in ("level", "logger", "message", "app")} == {
        "level": "ERROR",
        "logger": "app.data",
        "message": "loaded 3 rows",
        "app": "sales",
    }
    assert entry["time"].endswith("+00:00")


def test_an_exception_is_kept_as_text_in_the_same_line() -> None:
    try:
        raise ValueError("bad value")
    except ValueError:
        line = JsonFormatter().format(record("app", "failed", exc_info=sys.exc_info()))

    assert "ValueError: bad value" in json.loads(line)["exc_info"]


def test_an_access_line_carries_status_path_and_duration_as_fields() -> None:
    atoms = {"m": "GET", "U": "/sales/", "s": "200", "M": "12", "{x-forwarded-for}i": "-", "r": "GET /sales/ HTTP/1.1"}

    entry = json.loads(JsonFormatter().format(record("gunicorn.access", '"%(r)s" %(s)s', atoms)))

    assert entry["message"] == '"GET /sales/ HTTP/1.1" 200'
    assert (entry["status"], entry["path"], entry["duration_ms"], entry["method"]) == ("200", "/sales/", "12", "GET")
    assert "client" not in entry


@pytest.fixture
def saved_logging() -> Iterator[None]:
    """dictConfig rewires the root and gunicorn loggers: put them back afterwards."""
    names = ("", "gunicorn.access", "gunicorn.error", "botocore", "boto3")
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level) for name in names}
    propagate = {name: logging.getLogger(name).propagate for name in names}
    yield
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate[name]


@pytest.mark.usefixtures("saved_logging")
def test_gunicorns_logconfig_writes_json_for_its_access_log() -> None:
    config = logconfig_dict("sales")
    stream = io.StringIO()
    logging.config.dictConfig(config)
    handler = logging.getLogger("gunicorn.access").handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]

    logging.getLogger("gunicorn.access").info("%(s)s", {"s": "204"})

    assert json.loads(stream.getvalue())["status"] == "204"
