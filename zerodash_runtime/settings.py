"""The runtime's settings, read once from the environment the ECS task definition (or `make dev`) sets.

A malformed number falls back to its default instead of raising: a typo must not keep an app from starting.
FRAME_ANCESTORS is the exception: it decides who may frame the app, and a value that cannot be read as the list of
sources it was meant to be would either open the app to framing or shut out a page that embeds it, so it raises
SettingsError, whose message names the variable (gunicorn_conf.py logs it and exits before serving).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_PORT = 8050
DEFAULT_MODULE = "app"
DEFAULT_RELOAD_SECONDS = 60.0
DEFAULT_ATTENTION_SECONDS = 300.0
DEFAULT_REQUEST_TIMEOUT_SECONDS = 20.0  # zerodash_runtime/watchdog.py: well under the ALB's 60 s
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024  # zerodash_runtime/guard.py: a Dash callback body is a few hundred bytes
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})

# A CSP host-source as the config writes it (zerodash/config.py's frameAncestors): scheme, host (optionally a
# leading "*." wildcard), optional port or "*". No path: framing is decided per origin. http is accepted for local
# runs (make dev, the tests); deployed apps are framed by https pages (a page over https cannot frame http anyway).
_HOST_SOURCE = re.compile(
    r"(?P<scheme>https?)://(?P<host>(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)"
    r"(?::(?P<port>\*|[0-9]{1,5}))?/?",
    re.IGNORECASE,
)


class SettingsError(ValueError):
    """A setting whose value the runtime must not guess at; the message names the variable and what it expects."""


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
    frame_ancestors: tuple[str, ...] = ()  # CSP sources that may frame the app, () nobody (zerodash_runtime/headers.py)
    login_required: bool = False  # the ALB authenticates the app: the login script goes on Dash pages (static/login.js)

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
            frame_ancestors=parse_frame_ancestors(env.get("FRAME_ANCESTORS", "")),
            login_required=(_text(env.get("LOGIN_REQUIRED")) or "").lower() in TRUE_WORDS,
        )


def parse_frame_ancestors(raw: str) -> tuple[str, ...]:
    """FRAME_ANCESTORS, space-separated CSP sources ("'self' https://intranet.example.com"), as a tuple without
    repeats; blank or "'none'" is () (nobody may frame the app). Raises SettingsError for anything else: a comma
    or semicolon would start another CSP directive or header value, an unquoted self matches a host named "self"."""
    sources = raw.split()
    if sources == ["'none'"]:
        return ()
    kept: list[str] = []
    for source in sources:
        if source.lower() == "'self'":
            source = "'self'"
        elif source.lower() == "'none'":
            raise SettingsError(f"FRAME_ANCESTORS: 'none' cannot be combined with other sources (got {raw.strip()!r})")
        elif source.lower() in ("self", "none"):
            raise SettingsError(f"FRAME_ANCESTORS: write {source} with its single quotes, '{source.lower()}'")
        elif not _valid_host_source(source):
            raise SettingsError(
                f"FRAME_ANCESTORS: {source!r} is not a source a page may frame the app from; give space-separated "
                "'self' or https://host[:port] (host may start with *.), or leave it empty so nobody may"
            )
        source = source.rstrip("/")  # "https://a.example.com/" is the same origin
        if source not in kept:
            kept.append(source)
    return tuple(kept)


def _valid_host_source(source: str) -> bool:
    match = _HOST_SOURCE.fullmatch(source)
    if match is None:
        return False
    port = match["port"]
    return port is None or port == "*" or 0 < int(port) < 1 << 16


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
