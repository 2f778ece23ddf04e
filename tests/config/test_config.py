"""The configuration schema (zerodash/config.py): defaults, values from the command line, and every bad value
rejected with one message naming the key as written in cdk.json ("apps[1].cpu") and what is allowed.
Pure Python: no synthesis. Apps live in a temporary project: a runtime app (app.py + requirements.txt) and a
Dockerfile app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.constructs.retention import retention_days
from zerodash.config import (
    CATCH_ALL_PRIORITY,
    DEFAULT_PORT,
    LOG_RETENTION_DAYS,
    MAX_ENVIRONMENT_BYTES,
    AppConfig,
    ConfigError,
    KeepWarmConfig,
    ScalingConfig,
    SecretRef,
    ZeroDashConfig,
    load_config,
)
from zerodash.sources import REPO_ROOT, content_tag

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with apps/sales (app.py + requirements.txt) and apps/bokeh (a Dockerfile)."""
    sales = tmp_path / "apps" / "sales"
    sales.mkdir(parents=True)
    (sales / "app.py").write_text("import dash\napp = dash.Dash(__name__)\n")
    (sales / "requirements.txt").write_text("dash==3.0.0\n")
    bokeh = tmp_path / "apps" / "bokeh"
    bokeh.mkdir()
    (bokeh / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "cdk.json").write_text("{}")
    return tmp_path


def _apps(*apps: dict[str, Any]) -> str:
    """The apps list as `-c apps='[...]'` passes it: a JSON string."""
    return json.dumps(list(apps))


def _app(**keys: Any) -> dict[str, Any]:
    return {"name": "sales", "source": "apps/sales", **keys}


def _many(count: int) -> str:
    return _apps(*(_app(name=f"app{index}", path=f"/app{index}/*") for index in range(count)))


@pytest.fixture
def load(project: Path) -> Any:
    def load(**context: Any) -> ZeroDashConfig:
        context.setdefault("apps", _apps(_app()))
        return load_config(context.get, project_root=project)

    return load


@pytest.fixture
def error(load: Any) -> Any:
    def error(**context: Any) -> ConfigError:
        with pytest.raises(ConfigError) as caught:
            load(**context)
        return caught.value

    return error


def _app_error(error: Any, *apps: dict[str, Any], **context: Any) -> ConfigError:
    return error(apps=_apps(*apps), **context)


# Defaults ------------------------------------------------------------------------------------------------


def test_default_app_is_the_population_example_at_the_root_as_the_catch_all_rule() -> None:
    config = load_config({}.get)
    app = config.apps[0]
    assert (app.name, app.source, app.path, app.priority, app.url_prefix) == (
        "dashboard",
        "examples/population",
        "/*",
        CATCH_ALL_PRIORITY,
        "/",
    )
    assert (app.app_source.kind, app.app_source.directory) == ("runtime", REPO_ROOT / "examples" / "population")


def test_project_root_defaults_to_the_repository_and_is_not_a_context_key() -> None:
    assert load_config({}.get).project_root == REPO_ROOT
    assert "projectRoot" not in ZeroDashConfig.context_keys()


def test_defaults_are_cheap_and_keep_data(load: Any) -> None:
    config = load()
    assert (config.nat_gateways, config.retain_data, config.sample_data, config.private_tasks) == (0, True, True, False)


def test_app_defaults_port_health_path_title_and_size(load: Any) -> None:
    app = load(apps=_apps(_app(path="/sales/*"))).apps[0]
    assert (app.port, app.health_path, app.health_check_path, app.title) == (
        DEFAULT_PORT,
        "/sales/health",
        "/sales/health",
        "sales",
    )
    assert (app.cpu, app.memory_mib, app.stickiness_minutes, app.health_check_grace_seconds) == (512, 1024, 10, 60)


def test_app_defaults_bring_nothing_extra(load: Any) -> None:
    app = load().apps[0]
    assert (app.command, app.environment, app.secrets, app.read_prefixes, app.module) == (None, {}, {}, (), None)


def test_scaling_defaults_are_the_lambdas_defaults(load: Any) -> None:
    scaling = load().apps[0].scaling
    assert (scaling.idle_minutes, scaling.min_awake_minutes, scaling.min_tasks, scaling.max_tasks) == (15, 5, 1, 2)
    assert (scaling.keep_warm, scaling.target_requests_per_target, scaling.expected_start_seconds) == ((), 100, 60)


def test_platform_defaults_scale_to_zero_every_minute_and_block_bots(load: Any) -> None:
    config = load()
    assert (config.scale_to_zero, config.block_bots, config.scaler_rate_minutes) == (True, True, 1)


def test_optional_parts_are_off_by_default_and_dashboards_on(load: Any) -> None:
    config = load()
    assert (config.github_repository, config.github_branch, config.github_oidc_provider_arn) == (None, "main", None)
    assert (config.alarm_email, config.dashboards) == (None, True)


def test_quota_defaults_are_awss_defaults(load: Any) -> None:
    config = load()
    assert (config.alb_rule_quota, config.lambda_concurrency_quota, config.waker_concurrency) == (100, 1000, 10)


def test_python_callers_get_the_same_defaults_by_attribute_name(project: Path) -> None:
    app = AppConfig(name="sales", source=str(project / "apps" / "sales"), memory_mib=2048)
    assert (app.memory_mib, app.health_path, app.scaling) == (2048, "/health", ScalingConfig())


# Values from the command line (strings) -------------------------------------------------------------------


def test_string_booleans_and_numbers_from_the_command_line_are_parsed(load: Any) -> None:
    config = load(retainData="FALSE", sampleData="true", natGateways="2", wakerConcurrency="25")
    assert (config.retain_data, config.sample_data, config.nat_gateways, config.waker_concurrency) == (
        False,
        True,
        2,
        25,
    )


def test_apps_given_as_a_json_string_with_string_numbers_are_parsed(load: Any) -> None:
    app = load(apps=_apps(_app(cpu="1024", memory="2048", port="9000", minTasks="2"))).apps[0]
    assert (app.cpu, app.memory_mib, app.port, app.scaling.min_tasks) == (1024, 2048, 9000, 2)


def test_apps_given_as_a_list_are_parsed(load: Any) -> None:
    assert load(apps=[_app()]).apps[0].name == "sales"


def test_an_empty_string_from_the_command_line_means_not_given(load: Any) -> None:
    config = load(natGateways="", alarmEmail="", githubBranch="")
    assert (config.nat_gateways, config.alarm_email, config.github_branch) == (0, None, "main")


@pytest.mark.parametrize("value", [None, "", "  "])
def test_null_or_an_empty_string_in_an_app_entry_is_an_error_not_the_default(error: Any, value: Any) -> None:
    assert error(apps=_apps(_app(cpu=value))).key == "apps[0].cpu"


def test_scaling_keys_sit_in_the_app_entry_and_max_tasks_follows_min_tasks(load: Any) -> None:
    scaling = load(apps=_apps(_app(minTasks=3, idleMinutes=30))).apps[0].scaling
    assert (scaling.min_tasks, scaling.max_tasks, scaling.idle_minutes) == (3, 3, 30)


def test_scaling_is_not_a_key_of_its_own_in_cdk_json(error: Any) -> None:
    assert _app_error(error, _app(scaling={"idleMinutes": 3})).key == "apps[0].scaling"


# Removed keys ---------------------------------------------------------------------------------------------


def test_image_tag_was_removed_because_tags_are_content_hashes(error: Any) -> None:
    caught = error(imageTag="abc123")
    assert caught.key == "imageTag"
    assert "each app's tag is a hash of its source" in str(caught)


def test_data_key_was_removed_in_favour_of_the_apps_data_directory(error: Any) -> None:
    caught = _app_error(error, _app(dataKey="gapminder.csv"))
    assert caught.key == "apps[0].dataKey"
    assert "put the file in the app's data/ directory and read it with zerodash_runtime.data.Dataset" in str(caught)


# source / image / module ----------------------------------------------------------------------------------


def test_a_source_directory_with_app_py_is_built_with_the_runtime(load: Any, project: Path) -> None:
    app = load().apps[0]
    assert (app.app_source.kind, app.app_source.directory, app.app_source.module) == (
        "runtime",
        project / "apps" / "sales",
        "app",
    )


def test_a_source_directory_with_a_dockerfile_is_built_as_it_is(load: Any) -> None:
    assert load(apps=_apps(_app(source="apps/bokeh"))).apps[0].app_source.kind == "dockerfile"


def test_a_built_apps_image_tag_is_the_content_hash_of_its_source(load: Any) -> None:
    app = load().apps[0]
    assert app.image_tag == content_tag(app.app_source)
    assert app.image_tag.startswith("src-")


def test_an_image_app_runs_the_named_image_and_its_tag_is_the_references_version(load: Any) -> None:
    app = load(apps=_apps({"name": "sales", "image": f"team/sales@{DIGEST}"})).apps[0]
    assert (app.app_source.kind, app.image_tag, app.app_source.builds) == ("image", DIGEST, False)


def test_module_names_another_entry_point(load: Any, project: Path) -> None:
    (project / "apps" / "sales" / "main.py").write_text("server = None\n")
    assert load(apps=_apps(_app(module="main:server"))).apps[0].app_source.module == "main:server"


def test_a_source_relative_to_the_project_root_is_looked_up_there(load: Any, project: Path) -> None:
    assert load().project_root == project


@pytest.mark.parametrize(
    ("entry", "key", "message"),
    [
        ({"name": "sales"}, "apps[0].source", 'give exactly one of "source"'),
        (_app(image="team/sales:1.0"), "apps[0].source", 'give exactly one of "source"'),
        (_app(source="apps/missing"), "apps[0].source", "'apps/missing' is not a directory"),
        (_app(source="apps"), "apps[0].source", "has neither app.py nor a Dockerfile"),
        ({"name": "sales", "image": "team/sales:latest"}, "apps[0].image", "not 'latest'"),
        ({"name": "sales", "image": "Team Sales"}, "apps[0].image", '"repository:tag"'),
        ({"name": "sales", "image": "team/sales:1.0", "module": "app"}, "apps[0].module", "not to an image"),
        (_app(module="nowhere:app"), "apps[0].module", "has no nowhere.py"),
        (_app(source="apps/bokeh", module="app"), "apps[0].module", "Dockerfile decides how the app starts"),
    ],
    ids=[
        "neither",
        "both",
        "missing-dir",
        "empty-dir",
        "latest",
        "bad-image",
        "module-image",
        "no-module",
        "module-dockerfile",
    ],
)
def test_a_bad_source_or_image_names_the_app_and_the_key(error: Any, entry: dict, key: str, message: str) -> None:
    caught = _app_error(error, entry)
    assert caught.key == key
    assert "app 'sales'" in str(caught)
    assert message in str(caught)


def test_a_source_without_requirements_says_what_to_list(error: Any, project: Path) -> None:
    (project / "apps" / "sales" / "requirements.txt").unlink()
    caught = error()
    assert (caught.key, "has no requirements.txt" in str(caught)) == ("apps[0].source", True)


def test_source_must_be_a_string(error: Any) -> None:
    assert _app_error(error, _app(source=["apps/sales"])).key == "apps[0].source"


# port / healthPath / command --------------------------------------------------------------------------------


def test_port_and_health_path_are_read(load: Any) -> None:
    app = load(apps=_apps(_app(port=5006, healthPath="/sales/ready"))).apps[0]
    assert (app.port, app.health_path) == (5006, "/sales/ready")


@pytest.mark.parametrize("port", [80, 1023, 65536, 0])
def test_port_outside_the_unprivileged_range_names_the_range(error: Any, port: int) -> None:
    caught = _app_error(error, _app(port=port))
    assert caught.key == "apps[0].port"
    assert "allowed: 1024 to 65535" in str(caught)


@pytest.mark.parametrize("path", ["health", "/he alth", "/health?full=1", "/" + "h" * 1024, "/h\u00e9"])
def test_bad_health_path_says_what_a_health_path_looks_like(error: Any, path: str) -> None:
    caught = _app_error(error, _app(healthPath=path))
    assert caught.key == "apps[0].healthPath"
    assert 'starting with "/"' in str(caught)
    assert "at most 1024 characters" in str(caught)


def test_command_overrides_the_images_cmd(load: Any) -> None:
    app = load(apps=_apps(_app(source="apps/bokeh", command=["bokeh", "serve", "sliders.py"]))).apps[0]
    assert app.command == ("bokeh", "serve", "sliders.py")


@pytest.mark.parametrize(
    ("command", "key"),
    [("bokeh serve", "apps[0].command"), ([], "apps[0].command"), (["bokeh", ""], "apps[0].command[1]")],
    ids=["string", "empty", "empty-part"],
)
def test_command_must_be_a_non_empty_list_of_non_empty_strings(error: Any, command: Any, key: str) -> None:
    caught = _app_error(error, _app(command=command))
    assert caught.key == key
    assert "non-empty" in str(caught)


# environment / secrets ----------------------------------------------------------------------------------------


def test_environment_is_read(load: Any) -> None:
    assert load(apps=_apps(_app(environment={"LOG_LEVEL": "DEBUG", "_X1": ""}))).apps[0].environment == {
        "LOG_LEVEL": "DEBUG",
        "_X1": "",
    }


@pytest.mark.parametrize(
    "name", ["PORT", "URL_PREFIX", "APP_NAME", "APP_TITLE", "APP_MODULE", "BUCKET_NAME", "DATA_PREFIX", "HEALTH_PATH"]
)
def test_environment_may_not_set_what_zerodash_sets(error: Any, name: str) -> None:
    caught = _app_error(error, _app(environment={name: "x"}))
    assert caught.key == f"apps[0].environment.{name}"
    assert f"ZeroDash sets {name}" in str(caught)


@pytest.mark.parametrize("name", ["1ST", "MY-VAR", "A B", ""])
def test_environment_names_must_be_variable_names(error: Any, name: str) -> None:
    caught = _app_error(error, _app(environment={name: "x"}))
    assert caught.key.startswith("apps[0].environment")
    assert "letters, digits and _, not starting with a digit" in str(caught)


def test_environment_values_must_be_strings(error: Any) -> None:
    caught = _app_error(error, _app(environment={"WORKERS": 2}))
    assert caught.key == "apps[0].environment.WORKERS"
    assert 'quote numbers and booleans: "2"' in str(caught)


def test_environment_must_be_an_object(error: Any) -> None:
    assert _app_error(error, _app(environment=["A=1"])).key == "apps[0].environment"


def test_environment_may_not_override_the_ecs_credentials_endpoint(error: Any) -> None:
    caught = _app_error(error, _app(environment={"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/x"}))
    assert "ECS sets" in str(caught)


def test_runtime_apps_may_not_set_the_dash_prefix_the_runtime_sets(error: Any, load: Any) -> None:
    variables = {"DASH_REQUESTS_PATHNAME_PREFIX": "/sales/"}
    caught = _app_error(error, _app(environment=variables))
    assert caught.key == "apps[0].environment.DASH_REQUESTS_PATHNAME_PREFIX"
    assert "the runtime sets" in str(caught)
    assert load(apps=_apps(_app(source="apps/bokeh", environment=variables))).apps[0].environment == variables


def test_environment_size_is_bounded(error: Any) -> None:
    caught = _app_error(error, _app(environment={"BIG": "x" * MAX_ENVIRONMENT_BYTES}))
    assert caught.key == "apps[0].environment"
    assert f"at most {MAX_ENVIRONMENT_BYTES}" in str(caught)


def test_secrets_are_parsed_into_references(load: Any) -> None:
    secrets = {
        "DB_PASSWORD": "secretsmanager:sales/db:password",
        "API_TOKEN": "secretsmanager:sales-api",
        "MAPS_KEY": "ssm:/sales/maps-key",
    }
    assert load(apps=_apps(_app(secrets=secrets))).apps[0].secrets == {
        "DB_PASSWORD": SecretRef(kind="secretsmanager", name="sales/db", json_key="password"),
        "API_TOKEN": SecretRef(kind="secretsmanager", name="sales-api"),
        "MAPS_KEY": SecretRef(kind="ssm", name="/sales/maps-key"),
    }


def test_a_secret_may_be_named_by_its_complete_arn_with_a_json_key(load: Any) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sales/db-AbCdEf"
    config = load(apps=_apps(_app(secrets={"DB": f"secretsmanager:{arn}:password", "RAW": f"secretsmanager:{arn}"})))
    assert config.apps[0].secrets == {
        "DB": SecretRef(kind="secretsmanager", name=arn, json_key="password"),
        "RAW": SecretRef(kind="secretsmanager", name=arn),
    }


def test_a_secret_reference_prints_as_written(load: Any) -> None:
    secrets = load(apps=_apps(_app(secrets={"A": "secretsmanager:db:user", "B": "ssm:token"}))).apps[0].secrets
    assert [str(ref) for ref in secrets.values()] == ["secretsmanager:db:user", "ssm:token"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("vault:sales/db", '"secretsmanager:<name>"'),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:db", '"secretsmanager:<name>"'),
        ("secretsmanager:", "1-512 of letters"),
        ("secretsmanager:db:", "the JSON key"),
        ("secretsmanager:db:a b", "the JSON key"),
        ("ssm:sales/key", "then starting with /"),
        ("ssm:/aws/key", "not starting with aws or ssm"),
        ("ssm:", "the parameter name"),
        ("secretsmanager:arn:aws:s3:::bucket", "a secret's ARN is"),
        ("secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:k:x", "a secret's ARN is"),
    ],
)
def test_bad_secret_reference_shows_the_grammar(error: Any, value: str, message: str) -> None:
    caught = _app_error(error, _app(secrets={"DB_PASSWORD": value}))
    assert caught.key == "apps[0].secrets.DB_PASSWORD"
    assert message in str(caught)


def test_secret_names_follow_the_environment_rules(error: Any) -> None:
    caught = _app_error(error, _app(secrets={"PORT": "ssm:/x"}))
    assert (caught.key, "ZeroDash sets PORT" in str(caught)) == ("apps[0].secrets.PORT", True)


def test_a_variable_is_either_plain_or_secret(error: Any) -> None:
    caught = _app_error(error, _app(environment={"TOKEN": "x"}, secrets={"TOKEN": "ssm:/token"}))
    assert caught.key == "apps[0].secrets.TOKEN"
    assert "also in environment" in str(caught)


# readPrefixes / data prefix -------------------------------------------------------------------------------------


def test_each_app_reads_its_own_prefix_and_the_extra_prefixes_it_lists(load: Any) -> None:
    app = load(apps=_apps(_app(readPrefixes=["shared/", "reference/maps/"]))).apps[0]
    assert (app.data_prefix, app.read_prefixes) == ("sales/", ("shared/", "reference/maps/"))


@pytest.mark.parametrize("prefix", ["shared", "/shared/", "sha red/", "shared/*/", "../x/", "a//", ""])
def test_bad_read_prefix_says_what_a_prefix_looks_like(error: Any, prefix: str) -> None:
    caught = _app_error(error, _app(readPrefixes=[prefix]))
    assert caught.key == "apps[0].readPrefixes[0]"
    assert 'an S3 prefix such as "shared/"' in str(caught)


def test_read_prefixes_may_not_be_another_apps_prefix(error: Any) -> None:
    caught = _app_error(error, _app(readPrefixes=["hr/reports/"]), _app(name="hr", path="/hr/*"))
    assert caught.key == "apps[0].readPrefixes"
    assert "app 'hr''s prefix (apps[1])" in str(caught)
    assert '"shared/"' in str(caught)


def test_read_prefixes_inside_the_apps_own_prefix_are_refused_as_redundant(error: Any) -> None:
    caught = _app_error(error, _app(readPrefixes=["sales/archive/"]))
    assert (caught.key, "which it reads anyway" in str(caught)) == ("apps[0].readPrefixes", True)


def test_read_prefixes_are_bounded(error: Any) -> None:
    caught = _app_error(error, _app(readPrefixes=[f"p{index}/" for index in range(11)]))
    assert (caught.key, "at most 10" in str(caught)) == ("apps[0].readPrefixes", True)


# Size, names, paths, priorities --------------------------------------------------------------------------------


def test_cpu_memory_pair_fargate_does_not_offer_lists_the_allowed_memory(error: Any) -> None:
    caught = _app_error(error, _app(cpu=256, memory=4096))
    assert caught.key == "apps[0].memory"
    assert "allowed: 512, 1024, 2048" in str(caught)


def test_unsupported_cpu_lists_the_fargate_cpu_values(error: Any) -> None:
    caught = _app_error(error, _app(cpu=300))
    assert caught.key == "apps[0].cpu"
    assert str(caught) == "apps[0].cpu: 300 is not allowed; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384"


def test_the_error_names_the_app_entry_it_is_in(error: Any) -> None:
    caught = _app_error(error, _app(path="/a/*"), _app(name="hr", path="/b/*", cpu=300))
    assert caught.key == "apps[1].cpu"


@pytest.mark.parametrize("priority", [1, 2, 3, 9])
def test_priorities_1_to_9_are_reserved_for_platform_rules(error: Any, priority: int) -> None:
    caught = _app_error(error, _app(path="/a/*", priority=priority))
    assert caught.key == "apps[0].priority"
    assert "allowed: 10 to 50000" in str(caught)


def test_priority_defaults_to_ten_times_the_position_except_for_the_catch_all(load: Any) -> None:
    config = load(apps=_apps(_app(path="/a/*"), _app(name="hr", path="/b/*"), _app(name="home", path="/*")))
    assert [app.priority for app in config.apps] == [10, 20, CATCH_ALL_PRIORITY]


def test_apps_with_a_default_priority_keep_what_their_source_resolved_to(load: Any) -> None:
    app = load(apps=_apps(_app(path="/a/*"))).apps[0]
    assert (app.priority, app.app_source.kind) == (10, "runtime")


@pytest.mark.parametrize("name", ["Dashboard", "my_app", "-app", "app-", "9app", "a" * 33, ""])
def test_non_dns_safe_app_name_explains_the_allowed_characters(error: Any, name: str) -> None:
    caught = _app_error(error, _app(name=name))
    assert caught.key == "apps[0].name"
    assert "DNS-safe" in str(caught)
    assert "lowercase letters, digits and -" in str(caught)


def test_missing_app_name_is_required(error: Any) -> None:
    caught = _app_error(error, {"source": "apps/sales"})
    assert str(caught) == "apps[0].name: is required"


@pytest.mark.parametrize("path", ["/sales", "sales/*", "/sa les/*", "/*/*"])
def test_malformed_app_path_shows_the_allowed_forms(error: Any, path: str) -> None:
    caught = _app_error(error, _app(path=path))
    assert caught.key == "apps[0].path"
    assert '"/sales/*"' in str(caught)


def test_title_is_bounded(error: Any) -> None:
    assert _app_error(error, _app(title="x" * 201)).key == "apps[0].title"


@pytest.mark.parametrize(
    ("second", "key"),
    [
        (_app(path="/b/*"), "apps[1].name"),
        (_app(name="hr", path="/a/*"), "apps[1].path"),
        (_app(name="hr", path="/b/*", priority=15), "apps[1].priority"),
    ],
    ids=["name", "path", "priority"],
)
def test_duplicates_name_the_first_user(error: Any, second: dict[str, Any], key: str) -> None:
    caught = _app_error(error, _app(path="/a/*", priority=15), second)
    assert caught.key == key
    assert "already used by apps[0]" in str(caught)


def test_apps_that_are_not_json_are_rejected(error: Any) -> None:
    caught = error(apps="[{name: dashboard}")
    assert (caught.key, "not valid JSON" in str(caught)) == ("apps", True)


@pytest.mark.parametrize("apps", ["[]", "{}", '"dashboard"'])
def test_apps_must_be_a_non_empty_list(error: Any, apps: str) -> None:
    caught = error(apps=apps)
    assert (caught.key, "non-empty list" in str(caught)) == ("apps", True)


def test_an_app_entry_must_be_an_object(error: Any) -> None:
    caught = error(apps='["sales"]')
    assert caught.key == "apps[0]"


def test_unknown_app_key_lists_the_allowed_keys(error: Any) -> None:
    caught = _app_error(error, _app(memoryMb=1024))
    assert caught.key == "apps[0].memoryMb"
    assert "allowed keys are name, source, image, module, path, title" in str(caught)
    assert "healthPath, command, environment, secrets, readPrefixes" in str(caught)


def test_attribute_names_are_not_context_keys(error: Any) -> None:
    assert _app_error(error, _app(memory_mib=1024)).key == "apps[0].memory_mib"


def test_messages_carry_no_pydantic_boilerplate(error: Any) -> None:
    caught = _app_error(error, _app(source=5))
    assert "pydantic" not in str(caught)
    assert "errors.pydantic.dev" not in str(caught)
    assert "\n" not in str(caught)


# Scaling ---------------------------------------------------------------------------------------------------------


def test_zero_min_tasks_is_rejected_because_sleeping_is_the_scalers_job(error: Any) -> None:
    caught = _app_error(error, _app(minTasks=0))
    assert (caught.key, "allowed: 1 to 1000" in str(caught)) == ("apps[0].minTasks", True)


def test_max_tasks_below_min_tasks_names_the_allowed_range(error: Any) -> None:
    caught = _app_error(error, _app(minTasks=3, maxTasks=2))
    assert (caught.key, "allowed: 3 to 1000" in str(caught)) == ("apps[0].maxTasks", True)


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("idleMinutes", 0, "1 to 1440"),
        ("minAwakeMinutes", 1441, "0 to 1440"),
        ("targetRequestsPerTarget", 0, "1 to 1000000"),
        ("expectedStartSeconds", 0, "1 to 3600"),
        ("stickinessMinutes", 0, "1 to 10080"),
        ("healthCheckGraceSeconds", -1, "0 to 2147483647"),
    ],
)
def test_numbers_out_of_range_name_the_range(error: Any, key: str, value: int, allowed: str) -> None:
    caught = _app_error(error, _app(**{key: value}))
    assert caught.key == f"apps[0].{key}"
    assert f"allowed: {allowed}" in str(caught)


@pytest.mark.parametrize("value", ["ten", 1.5, True, [1]])
def test_non_numeric_count_is_not_a_whole_number(error: Any, value: Any) -> None:
    caught = _app_error(error, _app(idleMinutes=value))
    assert (caught.key, "not a whole number" in str(caught)) == ("apps[0].idleMinutes", True)


def test_keep_warm_window_is_read_with_its_time_zone(load: Any) -> None:
    window = {"days": "mon-fri", "start": "08:00", "end": "18:00", "timeZone": "Europe/Berlin"}
    config = load(apps=_apps(_app(keepWarm=[window])))
    assert [w.to_json() for w in config.apps[0].scaling.keep_warm] == [window]


def test_keep_warm_window_defaults_to_every_day_in_utc(load: Any) -> None:
    config = load(apps=_apps(_app(keepWarm=[{"start": "22:00", "end": "02:00"}])))
    assert config.apps[0].scaling.keep_warm[0] == KeepWarmConfig(start="22:00", end="02:00")
    assert config.apps[0].scaling.keep_warm[0].to_json()["days"] == "daily"
    assert config.apps[0].scaling.keep_warm[0].time_zone == "UTC"


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
        ("08:00-18:00", "apps[0].keepWarm[0]", "must be an object"),
    ],
    ids=["start", "end", "start-24", "days", "time-zone", "empty", "unknown-key", "not-an-object"],
)
def test_bad_keep_warm_window_is_rejected_by_the_lambdas_parser(
    error: Any, window: Any, key: str, message: str
) -> None:
    caught = _app_error(error, _app(keepWarm=[window]))
    assert caught.key == key
    assert message in str(caught)


def test_keep_warm_window_may_end_at_24_00_to_cover_the_whole_day(load: Any) -> None:
    window = {"days": "sat,sun", "start": "00:00", "end": "24:00", "timeZone": "Europe/Berlin"}
    assert load(apps=_apps(_app(keepWarm=[window]))).apps[0].scaling.keep_warm[0].to_json() == window


def test_keep_warm_must_be_a_list(error: Any) -> None:
    caught = _app_error(error, _app(keepWarm={"start": "08:00", "end": "18:00"}))
    assert (caught.key, "must be a list" in str(caught)) == ("apps[0].keepWarm", True)


def test_policy_json_is_what_the_lambdas_read(load: Any) -> None:
    scaling = load(apps=_apps(_app(idleMinutes=30, minTasks=2, maxTasks=4))).apps[0].scaling
    assert scaling.policy_json() == {
        "idleMinutes": 30,
        "minAwakeMinutes": 5,
        "minTasks": 2,
        "maxTasks": 4,
        "keepWarm": [],
        "expectedStartSeconds": 60,
    }


# Platform keys ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("natGateways", "3", "allowed: 0 to 2"),
        ("natGateways", "-1", "allowed: 0 to 2"),
        ("ecrKeepImages", "0", "allowed: 1 to 1000"),
        ("scalerRateMinutes", "61", "allowed: 1 to 60"),
        ("wakerConcurrency", "101", "allowed: 1 to 100"),
        ("logRetentionDays", "10", "allowed: 1, 3, 5, 7, 14, 30"),
        ("albRuleQuota", "0", "allowed: 1 to 10000"),
        ("lambdaConcurrencyQuota", "ten", "not a whole number"),
    ],
)
def test_platform_numbers_out_of_range_name_the_key_and_range(error: Any, key: str, value: str, allowed: str) -> None:
    caught = error(**{key: value})
    assert caught.key == key
    assert allowed in str(caught)


@pytest.mark.parametrize("key", ["retainData", "sampleData", "scaleToZero", "blockBots", "dashboards"])
def test_bad_boolean_lists_true_and_false(error: Any, key: str) -> None:
    caught = error(**{key: "yes"})
    assert (caught.key, "allowed: true, false" in str(caught)) == (key, True)


@pytest.mark.parametrize("days", LOG_RETENTION_DAYS)
def test_every_allowed_log_retention_maps_to_a_cloudwatch_period(days: int) -> None:
    assert retention_days(days) is not None


def test_apps_path_follows_the_stack_prefix(load: Any) -> None:
    assert load(stackPrefix="Team-A").apps_path == "/zerodash/Team-A/apps/"


@pytest.mark.parametrize("prefix", ["1team", "team_a", "a" * 65])
def test_bad_stack_prefix_is_refused(error: Any, prefix: str) -> None:
    assert error(stackPrefix=prefix).key == "stackPrefix"


def test_github_repository_branch_and_provider_are_read(load: Any) -> None:
    provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    config = load(githubRepository="octo-org/zero.dash", githubBranch="release/v1", githubOidcProviderArn=provider)
    assert (config.github_repository, config.github_branch, config.github_oidc_provider_arn) == (
        "octo-org/zero.dash",
        "release/v1",
        provider,
    )


@pytest.mark.parametrize("repository", ["zerodash", "octo/zero/dash", "octo org/zerodash", "-octo/zerodash"])
def test_github_repository_must_be_owner_slash_name(error: Any, repository: str) -> None:
    assert "owner/name" in str(error(githubRepository=repository))


@pytest.mark.parametrize("branch", ["*", "feature/*", "a..b", "/main", "main/"])
def test_github_branch_must_be_a_plain_branch_name(error: Any, branch: str) -> None:
    assert error(githubRepository="octo/zd", githubBranch=branch).key == "githubBranch"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("githubBranch", "main"),
        ("githubOidcProviderArn", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
    ],
)
def test_github_options_without_a_repository_are_rejected(error: Any, key: str, value: str) -> None:
    caught = error(**{key: value})
    assert (caught.key, "needs githubRepository" in str(caught)) == (key, True)


def test_oidc_provider_arn_must_be_githubs(error: Any) -> None:
    caught = error(githubRepository="octo/zd", githubOidcProviderArn="arn:aws:iam::123456789012:oidc-provider/x.com")
    assert caught.key == "githubOidcProviderArn"


@pytest.mark.parametrize("email", ["ops", "ops@example", "ops @example.com", "a@b@c.com"])
def test_alarm_email_must_look_like_an_address(error: Any, email: str) -> None:
    assert "is not an email address" in str(error(alarmEmail=email))


# Quotas ------------------------------------------------------------------------------------------------------------


def test_51_apps_that_scale_to_zero_exceed_the_target_groups_per_load_balancer(error: Any) -> None:
    caught = error(apps=_many(51), albRuleQuota="1000")
    assert caught.key == "apps"
    assert "51 apps need 102 target groups (2 per app" in str(caught)
    assert "allows 100" in str(caught)
    assert "at most 50 apps" in str(caught)


def test_50_apps_that_scale_to_zero_exceed_the_default_rule_quota(error: Any) -> None:
    caught = error(apps=_many(50))
    assert caught.key == "albRuleQuota"
    assert "50 apps need 103 listener rules (3 of the platform + 2 per app" in str(caught)
    assert "more than albRuleQuota=100" in str(caught)
    assert "Service Quotas" in str(caught)


def test_50_apps_that_scale_to_zero_fit_a_raised_rule_quota(load: Any) -> None:
    assert len(load(apps=_many(50), albRuleQuota="103").apps) == 50


def test_rule_count_leaves_out_the_bot_rules_without_block_bots(load: Any, error: Any) -> None:
    assert len(load(apps=_many(49), blockBots="false").apps) == 49  # 1 + 2 x 49 = 99
    assert "50 apps need 101 listener rules (1 of the platform" in str(error(apps=_many(50), blockBots="false"))


def test_always_on_apps_need_one_rule_and_one_target_group_each(load: Any, error: Any) -> None:
    assert len(load(apps=_many(97), scaleToZero="false").apps) == 97  # 3 + 97 = 100 rules
    caught = error(apps=_many(98), scaleToZero="false")
    assert caught.key == "albRuleQuota"
    assert "98 apps need 101 listener rules (3 of the platform + 1 per app: its rule)" in str(caught)


def test_wakers_that_would_reserve_too_much_lambda_concurrency_are_refused(error: Any) -> None:
    caught = error(apps=_many(50), albRuleQuota="103", wakerConcurrency="20")
    assert caught.key == "wakerConcurrency"
    assert "50 apps x wakerConcurrency=20 + 1 (the scaler) reserve 1001" in str(caught)
    assert "lambdaConcurrencyQuota=1000" in str(caught)
    assert "at most 900 can be reserved" in str(caught)


def test_a_raised_lambda_concurrency_quota_admits_more_reserved_concurrency(load: Any) -> None:
    config = load(apps=_many(50), albRuleQuota="103", wakerConcurrency="20", lambdaConcurrencyQuota="1101")
    assert config.waker_concurrency == 20


def test_always_on_apps_reserve_no_lambda_concurrency(load: Any) -> None:
    config = load(wakerConcurrency="100", lambdaConcurrencyQuota="100", scaleToZero="false")
    assert config.lambda_concurrency_quota == 100
