"""scripts/dev.py (`make dev APP=<name>`): an app.py app runs on loopback with the runtime, against a local S3
seeded from its data/; an app that cannot run gets one message naming it.

Speed: every fixture app's virtualenv is made with --share-packages (dev.ensure_venv): it also sees this
project's .venv, which already holds flask and the runtime's requirements, so pip finds them satisfied and
installs nothing. (`python -m venv --system-site-packages` would not do: a venv made from inside a venv
inherits the base interpreter's packages, not the outer venv's.) The apps' requirements are identical, so their
venvs are made once per session (same name, same requirements: the stamp matches). pip runs with
PIP_NO_INDEX=1 and an empty find-links directory, so nothing is downloaded and a requirement that is not
satisfied fails at once instead of waiting on an index.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
import requests

from scripts import dev
from zerodash.config import load_config

HAPPY_APP = """\
from flask import Flask

server = Flask(__name__)


@server.route("/")
def index():
    return "hello from the fixture"
"""
REQUIREMENTS = "flask\n"
DEADLINE_S = 60


@pytest.fixture(scope="session")
def dev_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dev-build")


@pytest.fixture
def offline_pip(monkeypatch, tmp_path):
    """pip may use nothing but what is installed: no index, an empty find-links directory."""
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))


def make_app(root: Path, name: str, app_py: str, *, requirements: str = REQUIREMENTS, data: dict | None = None):
    """An app.py app in root/<name>, served at /<name>/, and its configuration (cdk.json's schema)."""
    directory = root / name
    directory.mkdir()
    (directory / "app.py").write_text(app_py)
    (directory / "requirements.txt").write_text(requirements)
    for key, text in (data or {}).items():
        (directory / "data" / key).parent.mkdir(parents=True, exist_ok=True)
        (directory / "data" / key).write_text(text)
    context = {"apps": [{"name": "demo" if name != "broken" else name, "source": name, "path": f"/{name}/*"}]}
    return load_config(context.get, project_root=root)


def start(config, dev_dir: Path, stack: contextlib.ExitStack, lines: list[str]) -> dev.Running:
    options = dev.Options(port=dev.free_port(), share_packages=True, dev_dir=dev_dir, health_timeout_s=DEADLINE_S)
    return dev.start_app(stack, config.apps[0], options, report=lines.append)


def failure(config, dev_dir: Path) -> tuple[dev.DevError, list[str]]:
    lines: list[str] = []
    with contextlib.ExitStack() as stack, pytest.raises(dev.DevError) as caught:
        start(config, dev_dir, stack, lines)
    return caught.value, lines


# --------------------------------------------------------------------------- the happy path


def test_the_app_answers_its_health_path_and_its_page_under_the_prefix(tmp_path, dev_dir, offline_pip):
    config = make_app(tmp_path, "happy", HAPPY_APP, data={"table.csv": "a,b\n1,2\n"})
    lines: list[str] = []
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        running = start(config, dev_dir, stack, lines)

        health = requests.get(running.health_url, timeout=5)
        page = requests.get(running.url, timeout=5)
        outside = requests.get(running.url.replace("/happy/", "/elsewhere/"), timeout=5)
    took = time.monotonic() - started

    assert running.health_url.endswith("/happy/health")
    assert running.url.startswith("http://127.0.0.1:")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (page.status_code, page.text) == (200, "hello from the fixture")
    assert outside.status_code == 404
    assert took < DEADLINE_S
    assert any("local S3 at http://127.0.0.1:" in line and "s3://zerodash-dev-data/demo/ with 1 file(s)" in line
               for line in lines)  # fmt: skip
    assert lines[-1] == "local S3 stopped"  # everything stopped in reverse order
    with pytest.raises(requests.ConnectionError):
        requests.get(running.health_url, timeout=2)


def test_the_app_gets_the_containers_environment(tmp_path):
    config = make_app(tmp_path, "envapp", HAPPY_APP)
    env = dev.app_environment(config.apps[0], port=8123, s3_env={"BUCKET_NAME": "b"})
    assert {
        key: env[key] for key in ("PORT", "URL_PREFIX", "APP_NAME", "APP_MODULE", "DATA_PREFIX", "HEALTH_PATH")
    } == {
        "PORT": "8123",
        "URL_PREFIX": "/envapp/",
        "APP_NAME": "demo",
        "APP_MODULE": "app",
        "DATA_PREFIX": "demo/",
        "HEALTH_PATH": "/envapp/health",
    }
    assert env["BUCKET_NAME"] == "b"


# --------------------------------------------------------------------------- one clear message per broken app


def test_an_app_py_without_app_or_server_says_so(tmp_path, dev_dir, offline_pip):
    config = make_app(tmp_path, "noapp", "import flask\n\nhandler = flask.Flask(__name__)\n")

    error, _ = failure(config, dev_dir)

    message = str(error)
    assert message.startswith("app 'demo': ")
    assert str(tmp_path / "noapp" / "app.py") in message
    assert "defines neither `app` (a Dash app) nor `server`" in message
    assert error.exit_code == 2


def test_an_import_error_gives_the_file_and_the_last_frame(tmp_path, dev_dir, offline_pip):
    config = make_app(tmp_path, "boom", "import flask\n\nratio = 1 / 0\nserver = flask.Flask(__name__)\n")

    error, _ = failure(config, dev_dir)

    message = str(error)
    assert message.startswith("app 'demo': importing ")
    assert f"{tmp_path / 'boom' / 'app.py'}:3: ZeroDivisionError: division by zero" in message
    assert error.exit_code == 2


def test_requirements_that_do_not_install_name_the_app_and_show_pips_error(tmp_path, dev_dir, offline_pip):
    config = make_app(tmp_path, "broken", HAPPY_APP, requirements="zerodash-no-such-package-1f3a==0.0.1\n")
    started = time.monotonic()

    error, lines = failure(config, dev_dir)

    message = str(error)
    assert message.startswith("app 'broken': its requirements do not install (pip exited 1); pip's last lines:\n")
    assert "ERROR:" in message
    assert "zerodash-no-such-package-1f3a" in message
    assert message.rstrip().endswith("/broken/requirements.txt and run `make dev APP=broken` again")
    assert any(line.startswith("    pip: ") for line in lines)  # pip's progress was shown as it ran
    assert error.exit_code == 2
    assert time.monotonic() - started < DEADLINE_S


def test_an_unknown_app_lists_the_configured_ones(tmp_path):
    config = make_app(tmp_path, "listed", HAPPY_APP)
    with pytest.raises(dev.DevError, match=r"no app named 'nope' in cdk.json \(apps: demo\)"):
        dev.choose_app(config, "nope")
    assert dev.choose_app(config, None).name == "demo"


def test_an_image_of_the_accounts_ecr_cannot_run_locally(tmp_path):
    config = load_config({"apps": [{"name": "reports", "image": "reports:v1"}]}.get, project_root=tmp_path)
    with pytest.raises(
        dev.DevError, match=r"^app 'reports' runs reports:v1, an image in this account's ECR: `make dev`"
    ):
        dev.start_app(contextlib.ExitStack(), config.apps[0], dev.Options(), report=lambda line: None)


def test_pips_error_block_is_what_the_message_shows():
    lines = ["Looking in links: /x", "ERROR: Could not find a version", "ERROR: No matching distribution"]
    assert dev.pip_errors(lines) == lines[1:]
    assert dev.pip_errors(["a", "b"]) == ["a", "b"]
