"""The loader finds what to serve in the user's module, and says in one line why it cannot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.runtime.conftest import FIXTURES, LoadFixture, write_app
from zerodash_runtime.loader import AppLoadError, prepare_environment
from zerodash_runtime.settings import RuntimeSettings

FLASK_APP = "from flask import Flask\n\nserver = Flask(__name__)\n"


def test_a_dash_app_named_app_is_served_through_its_flask_server(load: LoadFixture) -> None:
    loaded = load(FIXTURES / "ticker")

    assert loaded.attribute == "app"
    assert loaded.dash is not None
    assert loaded.wsgi is loaded.dash.server


def test_a_flask_app_named_server_is_served_as_it_is(load: LoadFixture) -> None:
    loaded = load(FIXTURES / "flask_own_health")

    assert (loaded.attribute, loaded.dash, loaded.wsgi) == ("server", None, loaded.flask)


def test_module_colon_attribute_names_another_module_and_object(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, FLASK_APP.replace("server =", "web ="), name="dashboard.py")

    loaded = load(tmp_path, APP_MODULE="dashboard:web")

    assert loaded.attribute == "web"
    assert loaded.module_file == str(tmp_path / "dashboard.py")


def test_a_module_named_like_one_already_imported_is_refused(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, FLASK_APP, name="site.py")

    with pytest.raises(AppLoadError, match=r"'site' is also the name of .*site\.py, imported before the app: rename"):
        load(tmp_path, APP_MODULE="site:server")


def test_a_plain_wsgi_callable_is_accepted(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, "def server(environ, start_response):\n    return [b'']\n")

    loaded = load(tmp_path)

    assert (loaded.dash, loaded.flask) == (None, None)


def test_a_directory_without_the_module_says_where_it_looked(load: LoadFixture, tmp_path: Path) -> None:
    with pytest.raises(AppLoadError) as raised:
        load(tmp_path, APP_NAME="sales")

    assert str(raised.value) == (
        f"app 'sales': no module 'app' in {tmp_path} (looked for app.py or app/__init__.py): "
        "add app.py, or set the app's module to 'module:attribute'"
    )


def test_a_module_without_app_or_server_names_the_file_and_both_names(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, "title = 'nothing to serve'\n")

    with pytest.raises(AppLoadError, match=r"app 'sales': .*app\.py defines neither `app` .* nor `server`"):
        load(tmp_path, APP_NAME="sales")


def test_a_missing_override_attribute_is_named(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, FLASK_APP)

    with pytest.raises(AppLoadError, match=r"app\.py has no attribute `web` \(module is 'app:web'\)"):
        load(tmp_path, APP_MODULE="app:web")


def test_an_import_error_gives_the_last_frame_and_the_exception(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, "import os\n\nrate = 1 / 0\n")

    with pytest.raises(AppLoadError) as raised:
        load(tmp_path, APP_NAME="sales")

    file = tmp_path / "app.py"
    assert str(raised.value) == f"app 'sales': importing {file} failed: {file}:3: ZeroDivisionError: division by zero"


def test_an_error_inside_a_library_also_names_the_apps_own_line(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, "import json\n\nconfig = json.loads('{')\n")

    with pytest.raises(AppLoadError) as raised:
        load(tmp_path)

    assert "json" in str(raised.value).split("failed: ")[1].split(":")[0]  # the last frame is json's
    assert f"(from {tmp_path / 'app.py'}:3)" in str(raised.value)


def test_a_missing_dependency_says_to_add_it_to_requirements(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, "import not_installed_anywhere\n")

    with pytest.raises(AppLoadError, match=r"No module named 'not_installed_anywhere'.*requirements\.txt"):
        load(tmp_path)


def test_a_syntax_error_gives_the_file_and_line_that_do_not_parse(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, "x = 1\ndef broken(:\n")

    with pytest.raises(AppLoadError, match=rf"{tmp_path / 'app.py'}:2: SyntaxError"):
        load(tmp_path)


def test_an_object_that_cannot_be_served_is_named_with_its_type(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, "app = 'hello'\n")

    with pytest.raises(AppLoadError, match=r"`app` in .*app\.py is a str, not a Dash app"):
        load(tmp_path)


def test_preparing_the_environment_sets_the_dash_prefixes_and_drops_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASH_DEBUG", "true")
    monkeypatch.setenv("DASH_URL_BASE_PATHNAME", "/elsewhere/")
    monkeypatch.setenv("FLASK_DEBUG", "1")

    prepare_environment(RuntimeSettings.from_env({"URL_PREFIX": "/sales/"}))

    assert os.environ["DASH_REQUESTS_PATHNAME_PREFIX"] == "/sales/"
    assert os.environ["DASH_ROUTES_PATHNAME_PREFIX"] == "/"
    assert not {"DASH_DEBUG", "DASH_URL_BASE_PATHNAME", "FLASK_DEBUG"} & set(os.environ)


def test_a_dash_app_that_sets_its_own_prefix_gets_a_warning(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, "from dash import Dash\n\napp = Dash(__name__, routes_pathname_prefix='/mine/')\n")

    loaded = load(tmp_path, URL_PREFIX="/sales/")

    assert len(loaded.warnings) == 1
    assert "remove url_base_pathname" in loaded.warnings[0]


def test_a_dash_app_that_sets_url_base_pathname_is_told_to_remove_it(load: LoadFixture, tmp_path: Path) -> None:
    write_app(tmp_path, "from dash import Dash\n\napp = Dash(__name__, url_base_pathname='/mine/')\n")

    with pytest.raises(AppLoadError) as raised:
        load(tmp_path, URL_PREFIX="/sales/")

    assert "\n" not in str(raised.value)
    assert str(raised.value).endswith("remove url_base_pathname from Dash(...): the runtime gives Dash the prefix")
