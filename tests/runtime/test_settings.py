"""RuntimeSettings.from_env: the container's environment, normalized, with defaults for what is missing."""

from __future__ import annotations

import pytest

from zerodash_runtime.settings import RuntimeSettings, SettingsError


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


def test_nobody_may_frame_the_app_unless_frame_ancestors_says_who() -> None:
    assert RuntimeSettings.from_env({}).frame_ancestors == ()
    assert RuntimeSettings.from_env({"FRAME_ANCESTORS": "  "}).frame_ancestors == ()
    assert RuntimeSettings.from_env({"FRAME_ANCESTORS": "'none'"}).frame_ancestors == ()


def test_frame_ancestors_are_read_as_space_separated_sources_without_repeats() -> None:
    raw = "'self'  https://intranet.example.com https://*.corp.example.com:8443\thttps://intranet.example.com/ 'SELF'"

    assert RuntimeSettings.from_env({"FRAME_ANCESTORS": raw}).frame_ancestors == (
        "'self'",
        "https://intranet.example.com",
        "https://*.corp.example.com:8443",
    )


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("self", "write self with its single quotes, 'self'"),
        ("'none' https://a.example.com", "'none' cannot be combined"),
        ("https://a.example.com;script-src", "'https://a.example.com;script-src' is not a source"),  # a 2nd directive
        ("https://a.example.com,https://b.example.com", "is not a source"),  # commas join header values
        ("intranet.example.com", "is not a source"),  # no scheme: the config always gives one
        ("https:", "is not a source"),  # every https page
        ("*", "is not a source"),
        ("https://a.example.com/embed", "is not a source"),
        ("https://a.example.com:70000", "is not a source"),
        ("'unsafe-inline'", "is not a source"),
    ],
)
def test_a_bad_frame_ancestors_is_a_startup_error_naming_the_variable(raw: str, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        RuntimeSettings.from_env({"FRAME_ANCESTORS": raw})

    assert str(raised.value).startswith("FRAME_ANCESTORS: ")
    assert says in str(raised.value)


@pytest.mark.parametrize(("raw", "required"), [("1", True), ("true", True), (" YES ", True), ("0", False), ("", False)])
def test_login_required_is_a_flag(raw: str, required: bool) -> None:
    assert RuntimeSettings.from_env({"LOGIN_REQUIRED": raw}).login_required is required
    assert RuntimeSettings.from_env({}).login_required is False
