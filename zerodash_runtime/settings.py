"""The runtime's settings, read once from the environment the ECS task definition (or `make dev`) sets.

A malformed number falls back to its default instead of raising: a typo must not keep an app from starting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_PORT = 8050
DEFAULT_MODULE = "app"
DEFAULT_RELOAD_SECONDS = 60.0
DEFAULT_ATTENTION_SECONDS = 300.0
DEFAULT_REQUEST_TIMEOUT_SECONDS = 20.0  # zerodash_runtime/watchdog.py: well under the ALB's 60 s
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024  # zerodash_runtime/guard.py: a Dash callback body is a few hundred bytes


@dataclass(frozen=True, kw_only=True)
class RuntimeSettings:
    port: int = DEFAULT_PORT
    url_prefix: str = "/"  # always starts and ends with "/"
    app_name: str = "app"
    app_module: str = DEFAULT_MODULE  # "module" or "module:attribute"
    bucket_name: str | None = None
    data_prefix: str = ""  # "" or ends with "/"
    log_level: str = "INFO"
    data_reload_seconds: float = DEFAULT_RELOAD_SECONDS  # 0: never reload
    attention_seconds: float = DEFAULT_ATTENTION_SECONDS  # 0: never stop polling
    health_path: str = "/health"  # external path, URL_PREFIX + "health" unless HEALTH_PATH says otherwise
    request_timeout_seconds: float = DEFAULT_REQUEST_TIMEOUT_SECONDS  # 0: no watchdog
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RuntimeSettings:
        env = os.environ if environ is None else environ
        prefix = normalize_prefix(env.get("URL_PREFIX", "/"))
        return cls(
            port=int(_number(env.get("PORT"), DEFAULT_PORT)),
            url_prefix=prefix,
            app_name=_text(env.get("APP_NAME")) or "app",
            app_module=_text(env.get("APP_MODULE")) or DEFAULT_MODULE,
            bucket_name=_text(env.get("BUCKET_NAME")),
            data_prefix=normalize_data_prefix(env.get("DATA_PREFIX", "")),
            log_level=(_text(env.get("LOG_LEVEL")) or "INFO").upper(),
            data_reload_seconds=_number(env.get("DATA_RELOAD_SECONDS"), DEFAULT_RELOAD_SECONDS),
            attention_seconds=_number(env.get("ATTENTION_SECONDS"), DEFAULT_ATTENTION_SECONDS),
            health_path=_path(env.get("HEALTH_PATH")) or f"{prefix}health",
            request_timeout_seconds=_number(env.get("REQUEST_TIMEOUT_SECONDS"), DEFAULT_REQUEST_TIMEOUT_SECONDS),
            max_request_bytes=_bytes(env.get("MAX_REQUEST_BYTES"), DEFAULT_MAX_REQUEST_BYTES),
        )


def normalize_prefix(raw: str) -> str:
    """Dash wants the prefix to start and end with "/": "sales", "/sales" and "/sales/" all become "/sales/"."""
    inner = raw.strip().strip("/")
    return f"/{inner}/" if inner else "/"


def normalize_data_prefix(raw: str) -> str:
    """S3 keys have no leading "/"; "sales" and "/sales/" both become "sales/", blank stays ""."""
    inner = raw.strip().strip("/")
    return f"{inner}/" if inner else ""


def _number(raw: str | None, default: float) -> float:
    try:
        value = float(raw) if raw and raw.strip() else default
    except ValueError:
        return default
    return value if 0 <= value < float("inf") else default


def _bytes(raw: str | None, default: int) -> int:
    """A positive whole number of bytes below 1 TiB, in ASCII digits; anything else is the default."""
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 1 << 40 else default


def _text(raw: str | None) -> str | None:
    return raw.strip() if raw and raw.strip() else None


def _path(raw: str | None) -> str | None:
    text = _text(raw)
    return None if text is None else "/" + text.lstrip("/")
