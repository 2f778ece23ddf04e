"""RuntimeSettings.from_env: the container's environment, normalized, with defaults for what is missing."""

from __future__ import annotations

import pytest

from zerodash_runtime.settings import RuntimeSettings


@pytest.mark.parametrize("raw", ["sales", "/sales", "/sales/", " sales/ "])
def test_url_prefix_is_normalized_to_slashes_on_both_ends(raw: str) -> None:
    assert RuntimeSettings.from_env({"URL_PREFIX": raw}).url_prefix == "/sales/"


def test_empty_environment_gives_the_defaults() -> None:
    settings = RuntimeSettings.from_env({})

    assert (settings.port, settings.url_prefix, settings.app_module, settings.health_path) == (
        8050,
        "/",
        "app",
        "/health",
    )
    assert (settings.data_reload_seconds, settings.attention_seconds, settings.bucket_name) == (60, 300, None)


def test_health_path_defaults_to_the_prefix_plus_health() -> None:
    assert RuntimeSettings.from_env({"URL_PREFIX": "/sales/"}).health_path == "/sales/health"


def test_data_prefix_has_no_leading_slash_and_one_trailing_slash() -> None:
    assert RuntimeSettings.from_env({"DATA_PREFIX": "/sales"}).data_prefix == "sales/"


@pytest.mark.parametrize("raw", ["soon", "-5", "inf", ""])
def test_a_malformed_number_falls_back_to_its_default(raw: str) -> None:
    assert RuntimeSettings.from_env({"DATA_RELOAD_SECONDS": raw}).data_reload_seconds == 60


def test_zero_reload_seconds_is_kept_as_never() -> None:
    assert RuntimeSettings.from_env({"DATA_RELOAD_SECONDS": "0"}).data_reload_seconds == 0


def test_the_request_limits_come_from_the_environment_and_a_bad_value_falls_back_to_the_default() -> None:
    assert RuntimeSettings.from_env({}).max_request_bytes == 1024 * 1024
    assert RuntimeSettings.from_env({"MAX_REQUEST_BYTES": "5000000"}).max_request_bytes == 5_000_000
    for bad in ("0", "-1", "1.5", "lots", "²", str(1 << 40)):  # "²" is a digit to str.isdigit, not to int()
        assert RuntimeSettings.from_env({"MAX_REQUEST_BYTES": bad}).max_request_bytes == 1024 * 1024, bad
