"""Issue 11's configuration defects, each pinned: one ConfigError naming the key, never a traceback or a default;
unreachable rules refused; the limits a value can break checked; the population example's title escaped."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.examples.conftest import served_by_runtime
from tests.examples.population.helpers import BUCKET, DATA_PREFIX, DIRECTORY
from zerodash.config import SSM_STANDARD_BYTES, ConfigError, load_config

POPULATION = {"name": "dashboard", "source": "examples/population"}
HOSTILE_TITLE = "</title><script>alert(1)</script>"


def _error(**context: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(context.get)
    assert len(str(caught.value)) < 1300
    return caught.value


def _apps(*apps: dict[str, Any]) -> str:
    return json.dumps(list(apps))


@pytest.mark.parametrize(
    "value", ["--1", "²", "١٢", "1" * 5000, pytest.param(10**5000, id="huge-int"), "1.5", 1.5, True, [1], {"a": 1}, " "]
)
def test_a_bad_number_is_one_error_naming_the_key(value: Any) -> None:
    assert _error(natGateways=value).key == "natGateways"
    assert _error(apps=[{**POPULATION, "priority": value}]).key == "apps[0].priority"


@pytest.mark.parametrize(("key", "value"), [("path", False), ("path", 0), ("title", ""), ("source", ""), ("cpu", None)])
def test_a_wrong_type_null_or_empty_value_is_an_error_not_the_default(key: str, value: Any) -> None:
    assert _error(apps=_apps({**POPULATION, key: value})).key == f"apps[0].{key}"


@pytest.mark.parametrize("path", ["/a/../*", "/./*", "/a/./b/*", "//*", "/a//*"])
def test_paths_with_dot_segments_or_empty_segments_are_refused(path: str) -> None:
    assert _error(apps=_apps({**POPULATION, "path": path})).key == "apps[0].path"


def test_a_catch_all_evaluated_before_another_app_is_refused() -> None:
    apps = _apps({**POPULATION, "path": "/*", "priority": 10}, {**POPULATION, "name": "sales", "path": "/sales/*"})
    caught = _error(apps=apps)
    assert caught.key == "apps[0].priority"
    assert "apps[1] ('sales', '/sales/*', priority 20) is never reached" in caught.message


def test_a_shorter_prefix_evaluated_before_a_longer_one_is_refused() -> None:
    apps = _apps({**POPULATION, "path": "/sales/*"}, {**POPULATION, "name": "eu", "path": "/sales/eu/*"})
    caught = _error(apps=apps)
    assert caught.key == "apps[1].priority"
    assert "apps[0] ('dashboard', '/sales/*') is evaluated before it" in caught.message


def test_a_longer_prefix_first_is_accepted() -> None:
    apps = _apps({**POPULATION, "path": "/sales/eu/*"}, {**POPULATION, "name": "sales", "path": "/sales/*"})
    assert [app.priority for app in load_config({"apps": apps}.get).apps] == [10, 20]


def test_a_huge_time_zone_is_an_error_not_an_os_error() -> None:
    window = {"start": "08:00", "end": "09:00", "timeZone": "1" * 5000}
    assert _error(apps=_apps({**POPULATION, "keepWarm": [window]})).key == "apps[0].keepWarm[0].timeZone"


def test_an_app_object_beyond_ssm_s_4_kb_is_refused_at_load() -> None:
    windows = [{"start": "08:00", "end": "09:00", "timeZone": "America/Argentina/Buenos_Aires"}] * 60
    caught = _error(apps=_apps({**POPULATION, "keepWarm": windows}))
    assert caught.key == "apps[0]"
    assert str(SSM_STANDARD_BYTES) in caught.message


def test_101_always_on_apps_are_refused_for_target_groups() -> None:
    apps = _apps(*({**POPULATION, "name": f"a{index}", "path": f"/a{index}/*"} for index in range(101)))
    assert _error(apps=apps, scaleToZero="false").key == "apps"


def test_a_command_beyond_the_task_definition_s_share_is_refused() -> None:
    assert _error(apps=_apps({**POPULATION, "command": ["x" * 40_000]})).key == "apps[0].command"


def test_the_population_index_escapes_a_hostile_title(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "DATA_FILE"):
        monkeypatch.delenv(name, raising=False)
    env = {"URL_PREFIX": "/", "APP_NAME": "population", "APP_TITLE": HOSTILE_TITLE, "BUCKET_NAME": BUCKET}
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        with served_by_runtime(DIRECTORY, {**env, "DATA_PREFIX": DATA_PREFIX}) as served:
            page = served.client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
