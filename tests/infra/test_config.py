"""Configuration validation (infra/config.py): every bad value is rejected with a message naming the key and
what is allowed. Pure Python: no synthesis."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import LOG_RETENTION_DAYS, ConfigError, load_config
from infra.constructs.retention import retention_days


def _load(**context: Any):
    values = {"imageTag": "abc123", **context}
    return load_config(values.get)


def _error(**context: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        _load(**context)
    return caught.value


def _apps(*apps: dict[str, Any]) -> str:
    return json.dumps(list(apps))


def test_defaults_give_one_dashboard_at_the_root_as_the_catch_all_rule() -> None:
    config = _load()
    assert [(app.name, app.path, app.priority, app.url_prefix) for app in config.apps] == [
        ("dashboard", "/*", 50000, "/")
    ]


def test_defaults_are_cheap_and_keep_data() -> None:
    config = _load()
    assert (config.nat_gateways, config.retain_data, config.sample_data, config.private_tasks) == (0, True, True, False)


def test_missing_image_tag_names_the_key_and_how_to_pass_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({}.get)
    assert caught.value.key == "imageTag"
    assert "-c imageTag=" in str(caught.value)


@pytest.mark.parametrize("tag", ["latest", "-bad", "has space", "x" * 129])
def test_malformed_image_tag_is_rejected_with_the_tag_grammar(tag: str) -> None:
    error = _error(imageTag=tag)
    assert error.key == "imageTag"
    assert "A-Z a-z 0-9 _ . -" in str(error)


def test_cpu_memory_pair_fargate_does_not_offer_lists_the_allowed_memory() -> None:
    error = _error(apps=_apps({"name": "dashboard", "cpu": 256, "memory": 4096}))
    assert error.key == "apps[0].memory"
    assert "allowed: 512, 1024, 2048" in str(error)


def test_unsupported_cpu_lists_the_fargate_cpu_values() -> None:
    error = _error(apps=_apps({"name": "dashboard", "cpu": 300}))
    assert error.key == "apps[0].cpu"
    assert "allowed: 256, 512, 1024, 2048, 4096, 8192, 16384" in str(error)


@pytest.mark.parametrize("value", ["3", "-1"])
def test_nat_gateways_out_of_range_names_the_range(value: str) -> None:
    error = _error(natGateways=value)
    assert error.key == "natGateways"
    assert "allowed: 0 to 2" in str(error)


@pytest.mark.parametrize("value", ["0", "-5"])
def test_non_positive_ecr_keep_images_names_the_range(value: str) -> None:
    error = _error(ecrKeepImages=value)
    assert error.key == "ecrKeepImages"
    assert "allowed: 1 to 1000" in str(error)


def test_non_numeric_count_is_not_a_whole_number() -> None:
    error = _error(ecrKeepImages="ten")
    assert error.key == "ecrKeepImages"
    assert "not a whole number" in str(error)


def test_log_retention_cloudwatch_does_not_offer_lists_the_allowed_periods() -> None:
    error = _error(logRetentionDays="10")
    assert error.key == "logRetentionDays"
    assert "allowed: 1, 3, 5, 7, 14, 30" in str(error)


def test_priority_1_is_reserved_for_robots_txt() -> None:
    error = _error(apps=_apps({"name": "dashboard", "path": "/a/*", "priority": 1}))
    assert error.key == "apps[0].priority"
    assert "allowed: 2 to 50000" in str(error)


@pytest.mark.parametrize("name", ["Dashboard", "my_app", "-app", "app-", "9app", "a" * 33, ""])
def test_non_dns_safe_app_name_explains_the_allowed_characters(name: str) -> None:
    error = _error(apps=_apps({"name": name}))
    assert error.key == "apps[0].name"
    assert "DNS-safe" in str(error)
    assert "lowercase letters, digits and -" in str(error)


@pytest.mark.parametrize("path", ["/sales", "sales/*", "/sa les/*", "/*/*"])
def test_malformed_app_path_shows_the_allowed_forms(path: str) -> None:
    error = _error(apps=_apps({"name": "dashboard", "path": path}))
    assert error.key == "apps[0].path"
    assert '"/sales/*"' in str(error)


def test_duplicate_app_name_names_the_first_user() -> None:
    error = _error(apps=_apps({"name": "sales", "path": "/a/*"}, {"name": "sales", "path": "/b/*"}))
    assert error.key == "apps[1].name"
    assert "already used by apps[0]" in str(error)


def test_duplicate_app_path_names_the_first_user() -> None:
    error = _error(apps=_apps({"name": "one", "path": "/a/*"}, {"name": "two", "path": "/a/*"}))
    assert error.key == "apps[1].path"
    assert "already used by apps[0]" in str(error)


def test_apps_that_are_not_json_are_rejected() -> None:
    error = _error(apps="[{name: dashboard}")
    assert error.key == "apps"
    assert "not valid JSON" in str(error)


@pytest.mark.parametrize("apps", ["[]", "{}", '"dashboard"'])
def test_apps_must_be_a_non_empty_list(apps: str) -> None:
    error = _error(apps=apps)
    assert error.key == "apps"
    assert "non-empty list" in str(error)


def test_unknown_app_key_lists_the_allowed_keys() -> None:
    error = _error(apps=_apps({"name": "dashboard", "memoryMb": 1024}))
    assert error.key == "apps[0].memoryMb"
    assert "allowed keys are name, path, title, cpu, memory, dataKey" in str(error)


@pytest.mark.parametrize("key", ["retainData", "sampleData"])
def test_bad_boolean_lists_true_and_false(key: str) -> None:
    error = _error(**{key: "yes"})
    assert error.key == key
    assert "allowed: true, false" in str(error)


def test_string_booleans_and_numbers_from_the_command_line_are_parsed() -> None:
    config = _load(retainData="FALSE", sampleData="true", natGateways="2")
    assert (config.retain_data, config.sample_data, config.nat_gateways) == (False, True, 2)


@pytest.mark.parametrize("days", LOG_RETENTION_DAYS)
def test_every_allowed_log_retention_maps_to_a_cloudwatch_period(days: int) -> None:
    assert retention_days(days) is not None


def test_duplicate_rule_priority_names_the_first_user() -> None:
    error = _error(
        apps=_apps({"name": "one", "path": "/a/*", "priority": 5}, {"name": "two", "path": "/b/*", "priority": 5})
    )
    assert error.key == "apps[1].priority"
    assert "already used by apps[0]" in str(error)
