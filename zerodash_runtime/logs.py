"""JSON logs: one object per line (time, level, logger, message, app), which CloudWatch Logs Insights and
`aws logs filter-log-events --filter-pattern '{ $.level = "ERROR" }'` query without parsing rules."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

FORMATTER_PATH = "zerodash_runtime.logs.JsonFormatter"

# gunicorn's access-log atoms worth a field of their own: request line parts, status, duration, client.
ACCESS_FIELDS = {"m": "method", "U": "path", "s": "status", "M": "duration_ms", "{x-forwarded-for}i": "client"}


class JsonFormatter(logging.Formatter):
    def __init__(self, app_name: str = "app") -> None:
        super().__init__()
        self.app_name = app_name

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "app": self.app_name,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            for atom, name in ACCESS_FIELDS.items():
                value = record.args.get(atom)
                if value not in (None, "-"):
                    entry[name] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def logconfig_dict(app_name: str, level: str = "INFO") -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its error and access logs and the app's own loggers, all as JSON on stdout."""
    level = level if level in logging.getLevelNamesMapping() else "INFO"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": FORMATTER_PATH, "app_name": app_name}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            # propagate False: the root handler would print each line a second time
            "gunicorn.error": {"level": level, "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
            "botocore": {"level": "DEBUG" if level == "DEBUG" else "WARNING"},  # its INFO lines are noise
            "boto3": {"level": "DEBUG" if level == "DEBUG" else "WARNING"},
        },
    }


def configure_logging(app_name: str, level: str = "INFO") -> None:
    """JSON logs outside gunicorn (`check`, tests); inside it gunicorn has applied `logconfig_dict` already."""
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(app_name))
    logging.basicConfig(level=logging.getLevelNamesMapping().get(level, logging.INFO), handlers=[handler])
