"""Each example's image as ECS runs it: built by zerodash.images (docker when an engine answers, else buildah on
the debootstrap base), run at 0.5 vCPU / 1 GiB with a read-only root (only /tmp writable) as the non-root user,
answering its health path, its page rendered by headless Chromium with no console errors, at "/" and under
"/sales/". And the bad apps: each fails with one message naming the app.

Every image is built once per session (a second build of an unchanged app reuses every cached layer).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.chromium import severe_console_errors
from tests.e2e.conftest import APP_TITLE, POPULATION_APP, population_env
from zerodash import images
from zerodash.sources import REPO_ROOT, AppSource, inspect_app

pytestmark = pytest.mark.container

EXAMPLES = {"population": POPULATION_APP, "pages": "pages", "bokeh": "bokeh"}  # example folder -> app name
PREFIXES = {"root": "/", "prefixed": "/sales/"}
APP_USER_ID = "10001"
START_TIMEOUT_S = 120  # 0.5 vCPU: importing pandas, pyarrow and dash takes a while
SILENT_TIMEOUT_S = 10
WAIT_S = 20
MAX_RUNTIME_IMAGE_BYTES = 400 * 1000 * 1000  # uncompressed, as `podman images` counts MB


@dataclass(frozen=True)
class Built:
    source: AppSource
    result: images.BuildResult


@dataclass(frozen=True)
class Running:
    example: str
    prefix: str
    app: images.RunningApp
    seconds_to_health: float


BuildExample = Callable[[str], Built]


@pytest.fixture(scope="session")
def build_example() -> BuildExample:
    """Build an example's image on first use; later calls (and failures) come from the session's cache."""
    built: dict[str, Built | Exception] = {}

    def build(example: str) -> Built:
        if example not in built:
            source = inspect_app(EXAMPLES[example], source=f"examples/{example}", root=REPO_ROOT)
            try:
                built[example] = Built(source, images.build(source, progress=print))
            except (images.ImageError, RuntimeError, ValueError) as error:
                built[example] = error
        outcome = built[example]
        if isinstance(outcome, Exception):
            pytest.fail(f"building examples/{example} failed: {outcome}")
        return outcome

    return build


@pytest.fixture(
    scope="module",
    params=[(example, prefix) for example in EXAMPLES for prefix in PREFIXES.values()],
    ids=[f"{example}-{label}" for example in EXAMPLES for label in PREFIXES],
)
def running(request: pytest.FixtureRequest, build_example: BuildExample) -> Iterator[Running]:
    """The example's container under the prefix, healthy (the clock starts at `run`)."""
    example, prefix = request.param
    built = build_example(example)
    env = population_env(request.getfixturevalue("population_s3")) if example == "population" else {}
    started = time.monotonic()
    with images.run_app(built.result.image, built.source, url_prefix=prefix, env=env) as app:
        seconds = images.wait_healthy(app, timeout=START_TIMEOUT_S, started=started)
        print(f"{example} under {prefix}: first 200 on {app.health_url} after {seconds:.1f} s")
        yield Running(example, prefix, app, seconds)


def container_cli(app: images.RunningApp, *args: str) -> str:
    result = subprocess.run([*app.engine, *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# --- the images -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_image_declares_a_non_root_user(build_example: BuildExample, example: str) -> None:
    built = build_example(example)
    cli = images.engine(images.choose_builder())

    user = subprocess.run(
        [*cli, "image", "inspect", "--format", "{{.Config.User}}", built.result.image],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip

    assert user.split(":")[0] == APP_USER_ID


@pytest.mark.parametrize("example", ["population", "pages"])
def test_runtime_image_is_at_most_400_mb(build_example: BuildExample, example: str) -> None:
    size = build_example(example).result.size_bytes

    assert size <= MAX_RUNTIME_IMAGE_BYTES, f"{example}: {size / 1e6:.0f} MB"


# Run inside the image: every file Dash serves to the browser (outside debug mode) must have survived the
# build's trimming. Source maps and development bundles are left out on purpose.
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


@pytest.mark.parametrize("example", ["population", "pages"])
def test_runtime_image_keeps_every_asset_dash_serves(build_example: BuildExample, example: str) -> None:
    built = build_example(example)
    cli = images.engine(images.choose_builder())

    output = subprocess.run(
        [*cli, "run", "--rm", "--network", "none", "--read-only", "--entrypoint", "python3", built.result.image,
         "-c", ASSETS_CHECK],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    checked, _, missing = output.strip().splitlines()[-1].partition(" ")

    assert int(checked) > 10
    assert missing == ""


# --- the containers -------------------------------------------------------------------------------------------


def test_container_answers_its_health_path(running: Running) -> None:
    response = requests.get(running.app.health_url, timeout=5)

    assert response.status_code == 200
    assert running.app.health_url.endswith(f"{running.prefix}health")


def test_container_runs_as_the_non_root_user_on_a_read_only_root(running: Running) -> None:
    app = running.app

    assert container_cli(app, "exec", app.container, "id", "-u") == APP_USER_ID
    assert container_cli(app, "inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", app.container) == "true"
    probe = subprocess.run([*app.engine, "exec", app.container, "touch", "/tmp/probe", "/probe"],
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert probe.returncode != 0
    assert "/probe" in probe.stderr
    assert "/tmp/probe" not in probe.stderr  # /tmp, and only /tmp, is writable


def test_page_renders_without_console_errors(running: Running, browser: WebDriver) -> None:
    severe_console_errors(browser)  # forget what earlier pages logged

    browser.get(running.app.base_url)
    PAGE_CHECKS[running.example](browser, running)

    assert severe_console_errors(browser) == []


def test_requests_outside_the_prefix_are_not_served(running: Running) -> None:
    if running.prefix == "/":
        pytest.skip("everything is inside '/'")
    outside = running.app.base_url.replace(running.prefix, "/elsewhere/")

    assert requests.get(outside, timeout=5).status_code == 404


# What each example's page must show once rendered.

PLOT_JS = """
const plot = document.querySelector(arguments[0] + ' .js-plotly-plot');
if (!plot || !plot.data || plot.data.length === 0) return null;
return {title: plot.layout && plot.layout.title ? plot.layout.title.text : null, points: (plot.data[0].y || []).length};
"""

# Bokeh 3 draws in shadow roots: look for a canvas of a plot through them. The document comes over the session's
# WebSocket, so a drawn canvas means the WebSocket connected.
BOKEH_CANVAS_JS = """
function find(root) {
  for (const el of root.querySelectorAll('*')) {
    if (el.tagName === 'CANVAS' && el.width > 0 && el.height > 0) return true;
    if (el.shadowRoot && find(el.shadowRoot)) return true;
  }
  return false;
}
return Boolean(window.Bokeh && Bokeh.documents && Bokeh.documents.length > 0 && find(document));
"""


def plot_drawn(driver: WebDriver, selector: str) -> dict[str, object]:
    def drawn(d: WebDriver) -> dict[str, object] | bool:
        plot = d.execute_script(PLOT_JS, selector)
        return plot if plot and plot["points"] else False

    return WebDriverWait(driver, WAIT_S).until(drawn, f"no plot drawn in {selector}")


def population_page(driver: WebDriver, running: Running) -> None:
    WebDriverWait(driver, WAIT_S).until(ec.title_is(APP_TITLE))
    plot = plot_drawn(driver, "#population-graph")
    assert plot["title"] == "Population of Canada"


def pages_page(driver: WebDriver, running: Running) -> None:
    WebDriverWait(driver, WAIT_S).until(ec.text_to_be_present_in_element((By.TAG_NAME, "h2"), "multi-page"))
    # The nav's link comes from the page registry, so it carries the prefix; the live page polls its interval.
    driver.find_element(By.LINK_TEXT, "Live").click()
    WebDriverWait(driver, WAIT_S).until(ec.url_to_be(f"{running.app.base_url}live"))
    plot_drawn(driver, "#live-graph")
    clock = WebDriverWait(driver, WAIT_S).until(ec.visibility_of_element_located((By.ID, "live-clock")))
    assert re.match(r"Updated \d\d:\d\d:\d\d UTC", clock.text)


def bokeh_page(driver: WebDriver, running: Running) -> None:
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script(BOKEH_CANVAS_JS), "no Bokeh canvas drawn")
    assert driver.title == "Sliders"


PAGE_CHECKS: dict[str, Callable[[WebDriver, Running], None]] = {
    "population": population_page,
    "pages": pages_page,
    "bokeh": bokeh_page,
}


# --- bad apps -------------------------------------------------------------------------------------------------


def bad_runtime_app(directory: Path, app_py: str) -> AppSource:
    """An app.py app with the pages example's requirements (so the build reuses that example's cached layers)."""
    directory.mkdir()
    (directory / "app.py").write_text(app_py)
    shutil.copyfile(REPO_ROOT / "examples" / "pages" / "requirements.txt", directory / "requirements.txt")
    return inspect_app(directory.name, source=str(directory), root=REPO_ROOT)


def test_app_without_app_or_server_fails_the_build_naming_the_app(tmp_path: Path) -> None:
    source = bad_runtime_app(tmp_path / "no-entry", "import dash\n\nTITLE = 'no app here'\n")

    with pytest.raises(images.ImageError) as failure:
        images.build(source, progress=lambda _: None)

    first_line = str(failure.value).splitlines()[0]
    assert first_line.startswith("app 'no-entry': /app/app.py defines neither `app` (a Dash app) nor `server`")


def test_app_that_raises_on_import_fails_the_build_naming_the_app(tmp_path: Path) -> None:
    app_py = "import dash\n\nraise RuntimeError('the warehouse is unreachable')\n"
    source = bad_runtime_app(tmp_path / "broken", app_py)

    with pytest.raises(images.ImageError) as failure:
        images.build(source, progress=lambda _: None)

    first_line = str(failure.value).splitlines()[0]
    assert first_line == (
        "app 'broken': importing /app/app.py failed: /app/app.py:3: RuntimeError: the warehouse is unreachable"
    )


SILENT_DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
USER 10001:10001
# Serves files on $PORT: /health is a 404, never the 200 the load balancer waits for.
CMD ["sh", "-c", "exec python3 -m http.server \\"$PORT\\" --directory /tmp"]
"""


def test_dockerfile_app_whose_health_path_never_answers_fails_verify(tmp_path: Path) -> None:
    directory = tmp_path / "silent"
    directory.mkdir()
    (directory / "Dockerfile").write_text(SILENT_DOCKERFILE)
    source = inspect_app("silent", source=str(directory), root=REPO_ROOT)
    built = images.build(source, progress=lambda _: None)

    with pytest.raises(images.ImageError) as failure:
        images.verify(built.image, source, port=8050, health_path="/health", timeout=SILENT_TIMEOUT_S)

    message = str(failure.value)
    assert message.startswith(
        f"app 'silent': no answer on /health at port 8050 within {SILENT_TIMEOUT_S} s; last log lines:"
    )
    assert "GET /health HTTP/1.1" in message  # the app's own log says what it was asked
