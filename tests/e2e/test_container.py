"""The container image as ECS runs it: built by scripts/build_image.sh, run with Fargate-like limits
(0.5 CPU, 1 GiB, read-only root with only /tmp writable, the image's non-root user) against a local S3.

Uses a Docker engine when one answers, else podman (with runc, as DESIGN.md's recipe).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
import requests

from dashapp.layout import COUNTRY_DROPDOWN_ID, POPULATION_GRAPH_ID
from scripts.dev import free_port

if TYPE_CHECKING:
    from pathlib import Path

    from scripts.local_s3 import LocalS3

pytestmark = pytest.mark.container

IMAGE = "localhost/zerodash:dev"
APP_USER_ID = "10001"
APP_TITLE = "ZeroDash container"
BUILD_TIMEOUT_S = 1800
START_TIMEOUT_S = 120  # 0.5 CPU: importing pandas, pyarrow and dash takes a few seconds
STAYS_UP_FOR_S = 6
OTHER_COUNTRY = "France"
MAX_IMAGE_BYTES = 350 * 1000 * 1000  # uncompressed, as `podman images` and `docker images` count MB

T = TypeVar("T")


@cache
def engine() -> tuple[str, ...]:
    """The command that runs containers; podman is told to use runc (crun is not installed here)."""
    if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0:
        return ("docker",)
    return ("podman", "--runtime", "runc")


def container_cli(*args: str, timeout: float = 60) -> str:
    result = subprocess.run([*engine(), *args], capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join([*engine(), *args[:2]])} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def container_logs(container_id: str) -> str:
    result = subprocess.run([*engine(), "logs", container_id], capture_output=True, text=True, check=False)
    return (result.stdout + result.stderr)[-4000:]


def is_running(container_id: str) -> bool:
    return container_cli("inspect", "--format", "{{.State.Running}}", container_id) == "true"


def eventually(check: Callable[[], T | None], timeout_s: float, what: str, container_id: str) -> T:
    """Poll `check` until it returns a value; fail with the container's logs if it exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_running(container_id):
            pytest.fail(f"container exited while waiting for {what}:\n{container_logs(container_id)}")
        result = check()
        if result is not None:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}:\n{container_logs(container_id)}")


def get_json(url: str) -> tuple[int, dict[str, Any]] | None:
    """Status and JSON body, or None while nothing answers yet."""
    try:
        response = requests.get(url, timeout=5)
    except requests.RequestException:
        return None
    return response.status_code, response.json()


@pytest.fixture(scope="session")
def image(repo_root: Path) -> str:
    builder = "docker" if engine() == ("docker",) else "buildah"
    subprocess.run(
        [str(repo_root / "scripts" / "build_image.sh"), IMAGE],
        cwd=repo_root,
        env={**os.environ, "CONTAINER_BUILDER": builder},
        timeout=BUILD_TIMEOUT_S,
        check=True,
    )
    # The ID, not the tag: another checkout building the same tag meanwhile must not swap the image under test.
    return container_cli("image", "inspect", "--format", "{{.Id}}", IMAGE)


StartContainer = Callable[[dict[str, str]], tuple[str, str]]


@pytest.fixture(scope="module")
def start_container(image: str) -> Iterator[StartContainer]:
    """Start containers with ECS-like limits; returns (container id, base URL). All are removed at the end."""
    started: list[str] = []

    def start(env: dict[str, str]) -> tuple[str, str]:
        port = free_port()
        env_args = [arg for name, value in {**env, "PORT": str(port)}.items() for arg in ("-e", f"{name}={value}")]
        # podman mounts its own tmpfs dirs on a read-only root unless told not to; ECS only gives what is declared.
        podman_only = ["--read-only-tmpfs=false"] if engine()[0] == "podman" else []
        container_id = container_cli(
            "run",
            "--detach",
            "--name",
            f"zerodash-e2e-{uuid.uuid4().hex[:8]}",
            "--network",
            "host",
            "--cpus",
            "0.5",
            "--memory",
            "1g",
            "--read-only",
            *podman_only,
            "--tmpfs",
            "/tmp",
            *env_args,
            image,
            # The image's CMD is the app; bind loopback only since the container shares the host network.
            "--bind",
            f"127.0.0.1:{port}",
            "dashapp.wsgi:server",
        )
        started.append(container_id)
        return container_id, f"http://127.0.0.1:{port}/"

    yield start
    for container_id in started:
        subprocess.run([*engine(), "rm", "--force", container_id], capture_output=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def healthy_container(start_container: StartContainer, sample_s3: LocalS3) -> tuple[str, str]:
    container_id, base_url = start_container({**sample_s3.env(), "APP_TITLE": APP_TITLE})

    def healthy() -> dict[str, Any] | None:
        answer = get_json(f"{base_url}health")
        return answer[1] if answer and answer[0] == 200 else None

    body = eventually(healthy, START_TIMEOUT_S, "/health 200", container_id)
    assert body["status"] == "ok"
    return container_id, base_url


def test_image_is_at_most_350_mb(image: str) -> None:
    size = int(container_cli("image", "inspect", "--format", "{{.Size}}", image))

    assert size <= MAX_IMAGE_BYTES, f"{image} is {size / 1e6:.0f} MB, the goal is {MAX_IMAGE_BYTES / 1e6:.0f} MB"


# Run inside the image: every file Dash serves to the browser (outside debug mode) must have survived the
# image's trimming. Source maps and development bundles are left out on purpose.
ASSETS_CHECK = """
import importlib, os
from dash import Dash, _dash_renderer, dash_table, dcc, html
Dash(__name__)  # adds plotly.js, which dcc.Graph loads on demand, to dcc's resources
checked, missing = 0, []
for module in (dcc, html, dash_table, _dash_renderer):
    resources = [*getattr(module, "_js_dist", []), *getattr(module, "_css_dist", [])]
    for resource in resources + getattr(module, "_js_dist_dependencies", []):
        paths = resource.get("relative_package_path") or []
        paths = paths.get("prod", []) if isinstance(paths, dict) else paths
        for path in [paths] if isinstance(paths, str) else paths:
            if resource.get("dev_only") or path.endswith(".map"):
                continue
            checked += 1
            package = os.path.dirname(importlib.import_module(resource["namespace"]).__file__)
            if not os.path.isfile(os.path.join(package, path)):
                missing.append(resource["namespace"] + "/" + path)
print(checked, " ".join(missing))
"""


def test_image_keeps_every_asset_dash_serves(image: str) -> None:
    output = container_cli("run", "--rm", "--network", "none", "--entrypoint", "python3", image, "-c", ASSETS_CHECK)
    checked, _, missing = output.splitlines()[-1].partition(" ")

    assert int(checked) > 10
    assert missing == ""


def test_container_runs_as_the_images_non_root_user(healthy_container: tuple[str, str]) -> None:
    container_id, _ = healthy_container

    assert container_cli("exec", container_id, "id", "-u") == APP_USER_ID


def test_container_serves_the_page_and_its_layout(healthy_container: tuple[str, str]) -> None:
    container_id, base_url = healthy_container

    page = requests.get(base_url, timeout=5)
    assert page.status_code == 200
    assert f"<title>{APP_TITLE}</title>" in page.text

    # With two workers the one answering may still be loading its copy of the data: wait for the dashboard.
    def dashboard_layout() -> str | None:
        layout = requests.get(f"{base_url}_dash-layout", timeout=5)
        return layout.text if layout.status_code == 200 and POPULATION_GRAPH_ID in layout.text else None

    layout = eventually(dashboard_layout, 30, "the dashboard layout", container_id)
    assert COUNTRY_DROPDOWN_ID in layout


def test_container_serves_javascript_compressed(healthy_container: tuple[str, str]) -> None:
    _, base_url = healthy_container
    page = requests.get(base_url, timeout=5).text
    scripts = re.findall(r'<script src="/(_dash-component-suites/[^"]+\.js[^"]*)"', page)
    assert scripts, "the page loads no JavaScript from the app"

    for accepted, encoding in (("gzip, deflate, br", "br"), ("gzip", "gzip")):
        response = requests.get(f"{base_url}{scripts[0]}", headers={"Accept-Encoding": accepted}, timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding


def test_container_answers_the_country_callback(healthy_container: tuple[str, str]) -> None:
    container_id, base_url = healthy_container
    dependencies = requests.get(f"{base_url}_dash-dependencies", timeout=5).json()
    callback = next(dep for dep in dependencies if dep["output"] == f"{POPULATION_GRAPH_ID}.figure")
    payload = {
        "output": callback["output"],
        "outputs": {"id": POPULATION_GRAPH_ID, "property": "figure"},
        "inputs": [{"id": COUNTRY_DROPDOWN_ID, "property": "value", "value": OTHER_COUNTRY}],
        "changedPropIds": [f"{COUNTRY_DROPDOWN_ID}.value"],
        "state": [],
    }

    def population_figure() -> dict[str, Any] | None:
        response = requests.post(f"{base_url}_dash-update-component", json=payload, timeout=10)
        assert response.status_code == 200, response.text[:500]
        figure = response.json()["response"][POPULATION_GRAPH_ID]["figure"]
        return figure if figure["data"] else None  # an empty figure is the "still loading" message

    figure = eventually(population_figure, 30, "the callback's figure", container_id)

    assert figure["layout"]["title"]["text"] == f"Population of {OTHER_COUNTRY}"
    assert figure["data"][0]["name"] == OTHER_COUNTRY


def test_container_with_missing_data_reports_why_and_stays_up(
    start_container: StartContainer, sample_s3: LocalS3
) -> None:
    missing_key = "no-such-file.csv"
    container_id, base_url = start_container(sample_s3.env(data_key=missing_key))

    def load_error() -> dict[str, Any] | None:
        answer = get_json(f"{base_url}health")
        return answer[1] if answer and answer[0] == 503 and answer[1].get("status") == "error" else None

    body = eventually(load_error, START_TIMEOUT_S, "/health 503 with an error", container_id)
    assert missing_key in body["reason"]

    # A bad configuration must not crash-loop the task: it keeps explaining itself.
    time.sleep(STAYS_UP_FOR_S)
    assert is_running(container_id), container_logs(container_id)
    status, later = get_json(f"{base_url}health") or (None, {})
    assert status == 503
    assert later["status"] == "error"
