"""Settings from the environment the task definition sets."""

from __future__ import annotations

import pytest

from dashapp.settings import DEFAULT_TITLE, Settings, normalize_prefix


def test_settings_read_every_variable() -> None:
    settings = Settings.from_env(
        {
            "BUCKET_NAME": "data-bucket",
            "DATA_KEY": "sales/2024.parquet",
            "APP_TITLE": "Sales",
            "URL_PREFIX": "/sales/",
            "LOG_LEVEL": "debug",
        }
    )

    assert settings == Settings(
        bucket_name="data-bucket",
        data_key="sales/2024.parquet",
        app_title="Sales",
        url_prefix="/sales/",
        log_level="DEBUG",
    )


def test_settings_default_title_prefix_and_log_level() -> None:
    settings = Settings.from_env({"BUCKET_NAME": "b", "DATA_KEY": "k.csv"})

    assert (settings.app_title, settings.url_prefix, settings.log_level) == (DEFAULT_TITLE, "/", "INFO")


def test_missing_or_blank_bucket_and_key_are_none_so_the_loader_can_explain() -> None:
    settings = Settings.from_env({"BUCKET_NAME": "  "})

    assert (settings.bucket_name, settings.data_key) == (None, None)


@pytest.mark.parametrize("raw", ["sales", "/sales", "sales/", "/sales/", " /sales/ "])
def test_url_prefix_gets_leading_and_trailing_slash(raw: str) -> None:
    assert normalize_prefix(raw) == "/sales/"


@pytest.mark.parametrize("raw", ["", "/", "//"])
def test_empty_url_prefix_is_the_root(raw: str) -> None:
    assert normalize_prefix(raw) == "/"


@pytest.mark.parametrize(("raw", "seconds"), [(None, 60.0), ("", 60.0), ("30", 30.0), ("0", 0.0), ("2.5", 2.5)])
def test_data_reload_interval_comes_from_the_environment(raw: str | None, seconds: float) -> None:
    env = {} if raw is None else {"DATA_RELOAD_SECONDS": raw}

    assert Settings.from_env(env).data_reload_seconds == seconds


@pytest.mark.parametrize("raw", ["soon", "-5", "inf", "nan"])
def test_invalid_data_reload_interval_falls_back_to_the_default(raw: str) -> None:
    assert Settings.from_env({"DATA_RELOAD_SECONDS": raw}).data_reload_seconds == 60.0
