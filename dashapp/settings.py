"""The app's settings, read once from the environment the ECS task definition sets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_TITLE = "Population by country"
DEFAULT_RELOAD_SECONDS = 60.0


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What the app needs to know; a missing bucket or key is reported by the data loader, not raised here,
    so that a misconfigured task still starts and explains itself on the page and on /health."""

    bucket_name: str | None
    data_key: str | None
    app_title: str = DEFAULT_TITLE
    url_prefix: str = "/"
    log_level: str = "INFO"
    data_reload_seconds: float = DEFAULT_RELOAD_SECONDS  # how often to check the data for a new version; 0: never

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            bucket_name=_non_empty(env.get("BUCKET_NAME")),
            data_key=_non_empty(env.get("DATA_KEY")),
            app_title=_non_empty(env.get("APP_TITLE")) or DEFAULT_TITLE,
            url_prefix=normalize_prefix(env.get("URL_PREFIX", "/")),
            log_level=(_non_empty(env.get("LOG_LEVEL")) or "INFO").upper(),
            data_reload_seconds=reload_seconds(env.get("DATA_RELOAD_SECONDS")),
        )


def reload_seconds(raw: str | None) -> float:
    """DATA_RELOAD_SECONDS: 0 disables reloading; unset, blank or not a number >= 0 is the default, so a typo
    cannot keep the app from starting."""
    try:
        seconds = float(raw) if raw and raw.strip() else DEFAULT_RELOAD_SECONDS
    except ValueError:
        return DEFAULT_RELOAD_SECONDS
    return seconds if 0 <= seconds < float("inf") else DEFAULT_RELOAD_SECONDS


def normalize_prefix(raw: str) -> str:
    """Dash wants the prefix to start and end with "/": "sales", "/sales" and "/sales/" all become "/sales/"."""
    inner = raw.strip().strip("/")
    return f"/{inner}/" if inner else "/"


def _non_empty(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()
