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


@pytest.mark.parametrize("priority", [1, 2, 3, 9])
def test_priorities_1_to_9_are_reserved_for_platform_rules(priority: int) -> None:
    error = _error(apps=_apps({"name": "dashboard", "path": "/a/*", "priority": priority}))
    assert error.key == "apps[0].priority"
    assert "allowed: 10 to 50000" in str(error)


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
        apps=_apps({"name": "one", "path": "/a/*", "priority": 15}, {"name": "two", "path": "/b/*", "priority": 15})
    )
    assert error.key == "apps[1].priority"
    assert "already used by apps[0]" in str(error)


def test_scaling_defaults_match_the_lambdas_contract() -> None:
    config = _load()
    scaling = config.apps[0].scaling
    assert (scaling.idle_minutes, scaling.min_awake_minutes, scaling.min_tasks, scaling.max_tasks) == (15, 5, 1, 2)
    assert (scaling.keep_warm, scaling.target_requests_per_target, scaling.expected_start_seconds) == ((), 100, 60)


def test_platform_defaults_scale_to_zero_every_minute_and_block_bots() -> None:
    config = _load()
    assert (config.scale_to_zero, config.block_bots, config.scaler_rate_minutes) == (True, True, 1)


def test_max_tasks_defaults_to_at_least_min_tasks() -> None:
    config = _load(apps=_apps({"name": "dashboard", "minTasks": 3}))
    assert (config.apps[0].scaling.min_tasks, config.apps[0].scaling.max_tasks) == (3, 3)


def test_zero_min_tasks_is_rejected_because_sleeping_is_the_scalers_job() -> None:
    error = _error(apps=_apps({"name": "dashboard", "minTasks": 0}))
    assert error.key == "apps[0].minTasks"
    assert "allowed: 1 to 1000" in str(error)


def test_max_tasks_below_min_tasks_names_the_allowed_range() -> None:
    error = _error(apps=_apps({"name": "dashboard", "minTasks": 3, "maxTasks": 2}))
    assert error.key == "apps[0].maxTasks"
    assert "allowed: 3 to 1000" in str(error)


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("idleMinutes", 0, "1 to 1440"),
        ("minAwakeMinutes", 1441, "0 to 1440"),
        ("targetRequestsPerTarget", 0, "1 to 1000000"),
        ("expectedStartSeconds", 0, "1 to 3600"),
    ],
)
def test_scaling_numbers_out_of_range_name_the_range(key: str, value: int, allowed: str) -> None:
    error = _error(apps=_apps({"name": "dashboard", key: value}))
    assert error.key == f"apps[0].{key}"
    assert f"allowed: {allowed}" in str(error)


def test_keep_warm_window_is_read_with_its_time_zone() -> None:
    window = {"days": "mon-fri", "start": "08:00", "end": "18:00", "timeZone": "Europe/Berlin"}
    config = _load(apps=_apps({"name": "dashboard", "keepWarm": [window]}))
    assert [w.to_json() for w in config.apps[0].scaling.keep_warm] == [window]


def test_keep_warm_window_defaults_to_every_day_in_utc() -> None:
    config = _load(apps=_apps({"name": "dashboard", "keepWarm": [{"start": "22:00", "end": "02:00"}]}))
    assert config.apps[0].scaling.keep_warm[0].to_json() == {
        "days": "daily",
        "start": "22:00",
        "end": "02:00",
        "timeZone": "UTC",
    }


@pytest.mark.parametrize(
    ("window", "key", "message"),
    [
        ({"start": "8:00", "end": "18:00"}, "apps[0].keepWarm[0].start", "must be HH:MM"),
        ({"start": "08:00", "end": "24:01"}, "apps[0].keepWarm[0].end", "must be HH:MM"),
        ({"start": "24:00", "end": "08:00"}, "apps[0].keepWarm[0].start", "must be HH:MM"),
        ({"days": "weekdays", "start": "08:00", "end": "18:00"}, "apps[0].keepWarm[0].days", "'mon-fri'"),
        ({"start": "08:00", "end": "18:00", "timeZone": "CET+1"}, "apps[0].keepWarm[0].timeZone", "IANA"),
        ({"start": "08:00", "end": "08:00"}, "apps[0].keepWarm[0]", "start and end are equal"),
        ({"start": "08:00", "end": "18:00", "tz": "UTC"}, "apps[0].keepWarm[0].tz", "allowed keys are days"),
    ],
    ids=["start", "end", "start-24", "days", "time-zone", "empty", "unknown-key"],
)
def test_bad_keep_warm_window_is_rejected_by_the_lambdas_parser(window: dict[str, str], key: str, message: str) -> None:
    error = _error(apps=_apps({"name": "dashboard", "keepWarm": [window]}))
    assert error.key == key
    assert message in str(error)


def test_keep_warm_window_may_end_at_24_00_to_cover_the_whole_day() -> None:
    window = {"days": "sat,sun", "start": "00:00", "end": "24:00", "timeZone": "Europe/Berlin"}
    config = _load(apps=_apps({"name": "dashboard", "keepWarm": [window]}))
    assert config.apps[0].scaling.keep_warm[0].to_json() == window


def test_keep_warm_must_be_a_list() -> None:
    error = _error(apps=_apps({"name": "dashboard", "keepWarm": {"start": "08:00", "end": "18:00"}}))
    assert error.key == "apps[0].keepWarm"
    assert "must be a list" in str(error)


@pytest.mark.parametrize("value", ["0", "61"])
def test_scaler_rate_out_of_range_names_the_range(value: str) -> None:
    error = _error(scalerRateMinutes=value)
    assert error.key == "scalerRateMinutes"
    assert "allowed: 1 to 60" in str(error)


def test_scale_to_zero_and_block_bots_can_be_turned_off_from_the_command_line() -> None:
    config = _load(scaleToZero="false", blockBots="false")
    assert (config.scale_to_zero, config.block_bots) == (False, False)


def test_optional_parts_are_off_by_default_and_dashboards_on() -> None:
    config = _load()
    assert (config.github_repository, config.github_branch, config.github_oidc_provider_arn) == (None, "main", None)
    assert (config.alarm_email, config.dashboards) == (None, True)


def test_github_repository_branch_and_provider_are_read() -> None:
    provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    config = _load(githubRepository="octo-org/zero.dash", githubBranch="release/v1", githubOidcProviderArn=provider)
    assert (config.github_repository, config.github_branch, config.github_oidc_provider_arn) == (
        "octo-org/zero.dash",
        "release/v1",
        provider,
    )


@pytest.mark.parametrize("repository", ["zerodash", "octo/zero/dash", "octo org/zerodash", "-octo/zerodash"])
def test_github_repository_must_be_owner_slash_name(repository: str) -> None:
    assert "owner/name" in str(_error(githubRepository=repository))


@pytest.mark.parametrize("branch", ["*", "feature/*", "a..b", "/main", "main/"])
def test_github_branch_must_be_a_plain_branch_name(branch: str) -> None:
    error = _error(githubRepository="octo/zd", githubBranch=branch)
    assert error.key == "githubBranch"


@pytest.mark.parametrize("key", ["githubBranch", "githubOidcProviderArn"])
def test_github_options_without_a_repository_are_rejected(key: str) -> None:
    value = (
        "main"
        if key == "githubBranch"
        else "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    )
    assert "needs githubRepository" in str(_error(**{key: value}))


def test_oidc_provider_arn_must_be_githubs() -> None:
    error = _error(
        githubRepository="octo/zd", githubOidcProviderArn="arn:aws:iam::123456789012:oidc-provider/example.com"
    )
    assert error.key == "githubOidcProviderArn"


@pytest.mark.parametrize("email", ["ops", "ops@example", "ops @example.com", "a@b@c.com"])
def test_alarm_email_must_look_like_an_address(email: str) -> None:
    assert "is not an email address" in str(_error(alarmEmail=email))


def test_dashboards_can_be_turned_off_from_the_command_line() -> None:
    assert _load(dashboards="false").dashboards is False


def test_apps_path_follows_the_stack_prefix() -> None:
    assert _load(stackPrefix="Team-A").apps_path == "/zerodash/Team-A/apps/"


def test_waker_concurrency_defaults_to_ten_and_is_read_from_the_command_line() -> None:
    assert (_load().waker_concurrency, _load(wakerConcurrency="25").waker_concurrency) == (10, 25)


@pytest.mark.parametrize("value", ["0", "101"])
def test_waker_concurrency_out_of_range_names_the_range(value: str) -> None:
    error = _error(wakerConcurrency=value)
    assert error.key == "wakerConcurrency"
    assert "allowed: 1 to 100" in str(error)


def test_quota_defaults_are_awss_defaults() -> None:
    config = _load()
    assert (config.alb_rule_quota, config.lambda_concurrency_quota) == (100, 1000)


def _many(count: int) -> str:
    return _apps(*({"name": f"app{index}", "path": f"/app{index}/*"} for index in range(count)))


def test_51_apps_that_scale_to_zero_exceed_the_target_groups_per_load_balancer() -> None:
    error = _error(apps=_many(51), albRuleQuota="1000")
    assert error.key == "apps"
    assert "51 apps need 102 target groups (2 per app" in str(error)
    assert "allows 100" in str(error)
    assert "at most 50 apps" in str(error)


def test_50_apps_that_scale_to_zero_exceed_the_default_rule_quota() -> None:
    error = _error(apps=_many(50))
    assert error.key == "albRuleQuota"
    assert "50 apps need 103 listener rules (3 of the platform + 2 per app" in str(error)
    assert "more than albRuleQuota=100" in str(error)
    assert "Service Quotas" in str(error)


def test_50_apps_that_scale_to_zero_fit_a_raised_rule_quota() -> None:
    assert len(_load(apps=_many(50), albRuleQuota="103").apps) == 50


def test_rule_count_leaves_out_the_bot_rules_without_block_bots() -> None:
    assert len(_load(apps=_many(49), blockBots="false").apps) == 49  # 1 + 2 x 49 = 99
    error = _error(apps=_many(50), blockBots="false")
    assert "50 apps need 101 listener rules (1 of the platform" in str(error)


def test_always_on_apps_need_one_rule_and_one_target_group_each() -> None:
    assert len(_load(apps=_many(97), scaleToZero="false").apps) == 97  # 3 + 97 = 100 rules
    error = _error(apps=_many(98), scaleToZero="false")
    assert error.key == "albRuleQuota"
    assert "98 apps need 101 listener rules (3 of the platform + 1 per app: its rule)" in str(error)


def test_wakers_that_would_reserve_too_much_lambda_concurrency_are_refused() -> None:
    error = _error(apps=_many(50), albRuleQuota="103", wakerConcurrency="20")
    assert error.key == "wakerConcurrency"
    assert "50 apps x wakerConcurrency=20 + 1 (the scaler) reserve 1001" in str(error)
    assert "lambdaConcurrencyQuota=1000" in str(error)
    assert "at most 900 can be reserved" in str(error)


def test_a_raised_lambda_concurrency_quota_admits_more_reserved_concurrency() -> None:
    config = _load(apps=_many(50), albRuleQuota="103", wakerConcurrency="20", lambdaConcurrencyQuota="1101")
    assert config.waker_concurrency == 20


def test_always_on_apps_reserve_no_lambda_concurrency() -> None:
    config = _load(wakerConcurrency="100", lambdaConcurrencyQuota="100", scaleToZero="false")
    assert config.lambda_concurrency_quota == 100


@pytest.mark.parametrize(("key", "value"), [("albRuleQuota", "0"), ("lambdaConcurrencyQuota", "ten")])
def test_quota_keys_must_be_positive_whole_numbers(key: str, value: str) -> None:
    assert _error(**{key: value}).key == key
