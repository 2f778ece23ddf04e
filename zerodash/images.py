"""Build, push and check the container image of each app that ZeroDash builds (kinds "runtime" and "dockerfile").

- `stage_context(source, dest)`: the build context. A runtime app gets dest/app (its files, without data/),
  dest/zerodash_runtime (the runtime package) and dest/Dockerfile (zerodash_runtime/build/Dockerfile); a
  Dockerfile app is built from its own directory, so nothing is staged.
- `build(source)`: docker when an engine answers, else buildah on the debootstrap base images that
  `scripts/build_image.sh --base-only` makes (cached under .build/). A failed build raises `ImageError` naming
  the app, with the last lines of the builder's output (for a runtime app, the runtime check's message).
- `push(image, destination)`: to an ECR repository (credentials from ECR's GetAuthorizationToken via boto3).
- `verify(image, source)`: run the image as Fargate would (0.5 vCPU, 1 GiB, read-only root, only /tmp
  writable, the image's non-root user) and wait for its health path to answer 200.

    python -m zerodash.images build APP...     (an app name from cdk.json, or a directory)
    python -m zerodash.images verify APP...
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import requests

from zerodash.sources import (
    REPO_ROOT,
    RUNTIME_DIR,
    AppSource,
    SourceError,
    content_tag,
    image_files,
    inspect_app,
    runtime_files,
)

Builder = Literal["docker", "buildah"]
Progress = Callable[[str], None]

RUNTIME_DOCKERFILE = RUNTIME_DIR / "build" / "Dockerfile"
BUILD_IMAGE_SCRIPT = REPO_ROOT / "scripts" / "build_image.sh"
LOCAL_REPOSITORY = "localhost/zerodash"
USER_ID = "10001"  # the runtime image's user; verify runs every image as it, like the task definition
DEFAULT_PORT = 8050
FARGATE_CPUS = "0.5"
FARGATE_MEMORY = "1g"
BUILD_TIMEOUT_S = 1800
VERIFY_TIMEOUT_S = 120.0
POLL_INTERVAL_S = 0.25
ERROR_LINES = 8
# pip's site configuration directory (XDG_CONFIG_DIRS' default): an empty directory is all a build leaves there.
PIP_CONFIG_MOUNT = "/etc/xdg/pip"
STEP_LINE = re.compile(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: |^#\d+ \[")
ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
# Builder chatter that says nothing about why a build failed.
NOISE = re.compile(
    r"^(?:time=\S+ level=(?:warning|info)|WARN\[|Getting image source|Copying |Writing manifest|--> |Using cache )"
)


class ImageError(RuntimeError):
    """A build, push or check failed; the message names the app and says what went wrong."""

    def __init__(self, app: str, message: str) -> None:
        super().__init__(f"app {app!r}: {message}")
        self.app = app


@dataclass(frozen=True)
class BuildResult:
    image: str  # repository:tag
    tag: str
    seconds: float
    size_bytes: int  # uncompressed, as the engine counts it


@dataclass(frozen=True)
class BaseImages:
    """What the buildah build starts from: BASE_IMAGE (build stages) and RUNTIME_IMAGE (the final stage)."""

    base: str
    runtime: str


# --- the build context -------------------------------------------------------------------------------------------


def stage_context(source: AppSource, dest: Path) -> Path:
    """The directory to build `source` from: `dest`, filled, for a runtime app; the app's own for a Dockerfile app."""
    if source.kind == "dockerfile" and source.directory is not None:
        return source.directory
    if source.kind != "runtime" or source.directory is None:
        raise ImageError(source.name, f"a {source.kind!r} app has no build context: its image is pushed elsewhere")
    if not RUNTIME_DOCKERFILE.is_file():
        raise ImageError(
            source.name, f"the runtime's Dockerfile is missing ({RUNTIME_DOCKERFILE.relative_to(REPO_ROOT)})"
        )
    dest.mkdir(parents=True, exist_ok=True)
    _copy_files(source.directory, image_files(source), dest / "app")
    _copy_files(RUNTIME_DIR, runtime_files(), dest / "zerodash_runtime")
    shutil.copyfile(RUNTIME_DOCKERFILE, dest / "Dockerfile")
    return dest


def _copy_files(base: Path, files: Sequence[Path], dest: Path) -> None:
    for relative in files:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(base / relative, target)


# --- builders ----------------------------------------------------------------------------------------------------


@cache
def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def choose_builder(builder: str | None = None) -> Builder:
    """`builder`, else $CONTAINER_BUILDER, else docker when its engine answers, else buildah."""
    choice = builder or os.environ.get("CONTAINER_BUILDER") or ("docker" if docker_answers() else "buildah")
    if choice not in ("docker", "buildah"):
        raise ValueError(f"unknown builder {choice!r}: expected docker or buildah")
    if shutil.which(choice) is None:
        raise ValueError(f"{choice} is not installed (apt-get install podman buildah debootstrap runc uidmap)")
    return choice  # type: ignore[return-value]


def engine(builder: Builder) -> list[str]:
    """The command that runs and inspects images: docker, or podman (sharing buildah's storage) with runc."""
    return ["docker"] if builder == "docker" else ["podman", "--runtime", "runc"]


def base_images() -> BaseImages:
    """Make (or reuse) the debootstrap base images through scripts/build_image.sh --base-only, once per process
    (builds running in parallel threads wait for the first)."""
    with _BASE_LOCK:
        return _base_images()


_BASE_LOCK = threading.Lock()


@cache
def _base_images() -> BaseImages:
    result = subprocess.run(
        [str(BUILD_IMAGE_SCRIPT), "--base-only"], capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"scripts/build_image.sh --base-only failed:\n{_tail(result.stderr, ERROR_LINES)}")
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return BaseImages(base=values["BASE_IMAGE"], runtime=values["RUNTIME_IMAGE"])


def build_args(source: AppSource, builder: Builder) -> dict[str, str]:
    args = {"APP_NAME": source.name}
    if source.kind == "runtime":
        args["APP_MODULE"] = source.module
    if builder == "buildah":  # docker pulls the Dockerfile's own default base
        bases = base_images()
        args |= {"BASE_IMAGE": bases.base, "RUNTIME_IMAGE": bases.runtime}
    if os.environ.get("PIP_INDEX_URL"):
        args["PIP_INDEX_URL"] = os.environ["PIP_INDEX_URL"]
    return args


def build_command(
    builder: Builder, context: Path, image: str, args: Mapping[str, str], *, scratch: Path, no_cache: bool = False
) -> list[str]:
    """The builder's command line; `scratch` is a directory for files the build mounts (removed afterwards)."""
    options = [arg for name, value in args.items() for arg in ("--build-arg", f"{name}={value}")]
    options += pip_cert_options(builder, scratch)
    if no_cache:
        options.append("--no-cache")
    dockerfile = str(context / "Dockerfile")
    if builder == "docker":
        return ["docker", "build", *options, "-f", dockerfile, "-t", image, str(context)]
    return ["buildah", "bud", "--isolation", "chroot", "--network", "host", "--layers", *options,
            "-f", dockerfile, "-t", image, str(context)]  # fmt: skip


def pip_cert_options(builder: Builder, scratch: Path) -> list[str]:
    """Let pip trust $PIP_CERT (a CA bundle, e.g. behind a TLS-intercepting proxy) without it reaching a layer.

    As the build secret "pip_cert" for Dockerfiles that mount it; with buildah also bind-mounted, with a pip.conf
    naming it, into every RUN step, so any Dockerfile's pip trusts it. Nothing is passed when PIP_CERT is unset.
    """
    pip_cert = os.environ.get("PIP_CERT", "")
    if not pip_cert or not Path(pip_cert).is_file():
        return []
    options = ["--secret", f"id=pip_cert,src={pip_cert}"]
    if builder == "buildah":
        config = scratch / "pip"
        config.mkdir()
        shutil.copyfile(pip_cert, config / "ca.crt")
        (config / "pip.conf").write_text(f"[global]\ncert = {PIP_CONFIG_MOUNT}/ca.crt\n")
        options += ["--volume", f"{config}:{PIP_CONFIG_MOUNT}:ro"]
    return options


def local_image(source: AppSource, tag: str | None = None) -> str:
    """Where a local build is tagged: localhost/zerodash/<app>:<content tag>."""
    return f"{LOCAL_REPOSITORY}/{source.name}:{tag or content_tag(source)}"


def build(
    source: AppSource,
    tag: str | None = None,
    *,
    builder: str | None = None,
    progress: Progress = print,
    no_cache: bool = False,
) -> BuildResult:
    """Build `source` as localhost/zerodash/<name>:<tag> (default tag: its content tag)."""
    chosen = choose_builder(builder)
    tag = tag or content_tag(source)
    image = local_image(source, tag)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"zerodash-{source.name}-") as work:
        context = stage_context(source, Path(work) / "context")
        args = build_args(source, chosen)
        command = build_command(chosen, context, image, args, scratch=Path(work), no_cache=no_cache)
        progress(f"app {source.name!r}: building {image} with {chosen}")
        _run_build(source, command, progress)
    seconds = time.monotonic() - started
    result = BuildResult(image=image, tag=tag, seconds=seconds, size_bytes=image_size(image, chosen))
    progress(f"app {source.name!r}: built {image} in {seconds:.0f} s, {result.size_bytes / 1e6:.0f} MB")
    return result


def _run_build(source: AppSource, command: list[str], progress: Progress) -> None:
    """Run the builder, passing its steps to `progress`; on failure raise with its last meaningful lines."""
    last: deque[str] = deque(maxlen=200)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    assert process.stdout is not None
    with process:
        for line in process.stdout:
            line = line.rstrip()
            last.append(line)
            if STEP_LINE.match(line):
                progress(f"  {line[:160]}")
        code = process.wait(timeout=BUILD_TIMEOUT_S)
    if code != 0:
        raise ImageError(source.name, build_failure(source.name, f"{command[0]} exit {code}", list(last)))


def build_failure(app: str, exit_status: str, output: Sequence[str]) -> str:
    """What a failed build says: the app's own message when a step printed one (the runtime check's
    "app 'NAME': ..."), then the builder's last meaningful lines."""
    lines = [line for line in output if line.strip() and not NOISE.match(line)]
    tail = "\n".join(f"  {line}" for line in lines[-ERROR_LINES:])
    own = f"app {app!r}: "
    reported = [line.strip().removeprefix(own) for line in lines if line.strip().startswith(own)]
    if reported:
        return f"{reported[-1]}\n(the image build stopped there, {exit_status}; its last lines:)\n{tail}"
    return f"the image build failed ({exit_status}); its last lines:\n{tail}"


def image_size(image: str, builder: Builder | None = None) -> int:
    output = _check_output([*engine(builder or choose_builder()), "image", "inspect", "--format", "{{.Size}}", image])
    return int(output.strip())


# --- push --------------------------------------------------------------------------------------------------------


def ecr_password(registry: str, ecr_client: object | None = None) -> str:
    """The password `aws ecr get-login-password` prints, from GetAuthorizationToken (user name: AWS)."""
    match = ECR_HOST.match(registry)
    if match is None:
        raise ValueError(f"{registry!r} is not an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com)")
    if ecr_client is None:
        import boto3

        ecr_client = boto3.client("ecr", region_name=match["region"])
    data = ecr_client.get_authorization_token()["authorizationData"][0]  # type: ignore[attr-defined]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    if user != "AWS" or not password:
        raise RuntimeError("ECR returned an authorization token that is not AWS:<password>")
    return password


def push(
    image: str,
    destination: str,
    *,
    builder: str | None = None,
    ecr_client: object | None = None,
    progress: Progress = print,
) -> str:
    """Push local `image` to `destination` (<registry>/<repository>:<tag>), logging in to ECR registries first."""
    chosen = choose_builder(builder)
    registry = destination.split("/", 1)[0]
    password = ecr_password(registry, ecr_client) if ECR_HOST.match(registry) else None
    progress(f"pushing {image} to {destination}")
    # The password goes through stdin, never the command line (where any user's `ps` would show it).
    if password is not None:
        _check_output([chosen, "login", "--username", "AWS", "--password-stdin", registry], stdin=password)
    if chosen == "docker":
        _check_output(["docker", "tag", image, destination])
        _check_output(["docker", "push", destination], timeout=BUILD_TIMEOUT_S)
    else:
        _check_output(["buildah", "push", image, f"docker://{destination}"], timeout=BUILD_TIMEOUT_S)
    return destination


# --- verify ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningApp:
    """A container started by `run_app`: `base_url` is where URL_PREFIX is reached from this machine."""

    name: str
    container: str
    base_url: str
    health_url: str
    port: int  # the port the app listens on inside the container (its PORT)
    engine: tuple[str, ...] = field(repr=False)

    def logs(self, lines: int = 20) -> str:
        result = subprocess.run(
            [*self.engine, "logs", self.container], capture_output=True, text=True, timeout=30, check=False
        )
        return _tail(result.stdout + result.stderr, lines)

    def is_running(self) -> bool:
        result = subprocess.run(
            [*self.engine, "inspect", "--format", "{{.State.Running}}", self.container],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        return result.stdout.strip() == "true"


def run_command(
    image: str,
    source: AppSource,
    *,
    port: int,
    host_port: int,
    url_prefix: str,
    env: Mapping[str, str],
    container: str,
    cli: Sequence[str],
) -> list[str]:
    """`run` as Fargate runs a task, reachable on 127.0.0.1:host_port only.

    A runtime app shares the host's network (so it reaches a local S3 on loopback) and gunicorn binds loopback;
    any other app gets its own network namespace (as a Fargate task its own ENI) with `port` published on
    loopback, whatever address it binds inside.
    """
    environment = {"APP_NAME": source.name, "URL_PREFIX": url_prefix, "PORT": str(port), **env}
    if source.kind == "runtime":
        network = ["--network", "host"]
        environment["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{port}"
    else:
        network = ["--publish", f"127.0.0.1:{host_port}:{port}"]
    # podman mounts tmpfs dirs of its own on a read-only root unless told not to; ECS gives only what is declared.
    podman_only = ["--read-only-tmpfs=false"] if cli[0] == "podman" else []
    env_args = [arg for name, value in environment.items() for arg in ("-e", f"{name}={value}")]
    return [*cli, "run", "--detach", "--name", container, *network, "--read-only", *podman_only,
            "--tmpfs", "/tmp", "--user", USER_ID, "--cpus", FARGATE_CPUS, "--memory", FARGATE_MEMORY,
            *env_args, image]  # fmt: skip


@contextmanager
def run_app(
    image: str,
    source: AppSource,
    *,
    port: int | None = None,
    url_prefix: str = "/",
    health_path: str | None = None,
    env: Mapping[str, str] | None = None,
    builder: str | None = None,
) -> Iterator[RunningApp]:
    """Start `image` like a Fargate task; the container is removed on exit."""
    cli = engine(choose_builder(builder))
    host_port = free_port()
    # A runtime app listens on the host's network: any free port will do. Others keep their own port.
    port = host_port if source.kind == "runtime" else (port or DEFAULT_PORT)
    container = f"zerodash-{source.name}-{uuid.uuid4().hex[:8]}"
    command = run_command(
        image,
        source,
        port=port,
        host_port=host_port,
        url_prefix=url_prefix,
        env=env or {},
        container=container,
        cli=cli,
    )
    _check_output(command, timeout=120)
    base_url = f"http://127.0.0.1:{host_port}{url_prefix}"
    health = health_path or f"{url_prefix}health"
    try:
        yield RunningApp(source.name, container, base_url, f"http://127.0.0.1:{host_port}{health}", port, tuple(cli))
    finally:
        grace = ["--time", "2"] if cli[0] == "podman" else []  # docker's rm --force kills at once
        subprocess.run([*cli, "rm", "--force", *grace, container], capture_output=True, timeout=60, check=False)


def wait_healthy(app: RunningApp, *, timeout: float = VERIFY_TIMEOUT_S, started: float | None = None) -> float:
    """Seconds from `started` (default: now) until the health path answers 200; raise ImageError otherwise."""
    started = time.monotonic() if started is None else started
    deadline = started + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(app.health_url, timeout=5).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        if not app.is_running():
            message = f"the container exited before {_path(app.health_url)} answered; last log lines:\n{app.logs()}"
            raise ImageError(app.name, message)
        time.sleep(POLL_INTERVAL_S)
    where = f"{_path(app.health_url)} at port {app.port}"
    raise ImageError(app.name, f"no answer on {where} within {timeout:.0f} s; last log lines:\n{app.logs()}")


def verify(
    image: str,
    source: AppSource,
    *,
    port: int | None = None,
    health_path: str | None = None,
    timeout: float = VERIFY_TIMEOUT_S,
    url_prefix: str = "/",
    env: Mapping[str, str] | None = None,
    builder: str | None = None,
) -> float:
    """Run `image` as Fargate would and return the seconds from `run` to the first 200 on its health path."""
    started = time.monotonic()
    with run_app(
        image, source, port=port, url_prefix=url_prefix, health_path=health_path, env=env, builder=builder
    ) as app:
        return wait_healthy(app, timeout=timeout, started=started)


# --- helpers -----------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A port the OS reports free on 127.0.0.1 (another process could still take it before it is bound)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_output(command: Sequence[str], *, timeout: float = 120, stdin: str | None = None) -> str:
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:3])} ... failed (exit {result.returncode}):\n{_tail(result.stderr, 10)}"
        )
    return result.stdout


def _tail(text: str, lines: int) -> str:
    return "\n".join(f"  {line}" for line in text.strip().splitlines()[-lines:])


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


# --- command line ------------------------------------------------------------------------------------------------


def resolve_app(spec: str, root: Path = REPO_ROOT) -> AppSource:
    """An app name from cdk.json's `apps`, or a directory (named after it)."""
    import json

    path = Path(spec)
    if path.is_dir():
        return inspect_app(path.resolve().name, source=str(path.resolve()), root=root)
    apps = json.loads((root / "cdk.json").read_text())["context"].get("apps", [])
    for entry in apps:
        if entry.get("name") == spec:
            return inspect_app(
                spec, source=entry.get("source"), image=entry.get("image"), module=entry.get("module"), root=root
            )
    known = ", ".join(entry.get("name", "?") for entry in apps) or "none"
    raise SourceError(spec, f"no such app in cdk.json (apps: {known}) and no such directory")


def configured_apps(root: Path = REPO_ROOT) -> list[str]:
    import json

    return [entry["name"] for entry in json.loads((root / "cdk.json").read_text())["context"].get("apps", [])]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zerodash.images", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("build", "verify"))
    parser.add_argument("apps", nargs="*", help="app names from cdk.json, or directories (default: every app)")
    parser.add_argument("--builder", choices=("docker", "buildah"), default=None)
    parser.add_argument("--no-cache", action="store_true", help="build every layer again")
    parser.add_argument("--url-prefix", default="/", help="verify: the URL_PREFIX to run under")
    parser.add_argument("--timeout", type=float, default=VERIFY_TIMEOUT_S, help="verify: seconds to wait for 200")
    parser.add_argument("--health-path", default=None, help="verify: default URL_PREFIX + 'health'")
    parser.add_argument(
        "-e", "--env", action="append", default=[], metavar="NAME=VALUE", help="verify: extra container environment"
    )
    args = parser.parse_args(argv)
    try:
        sources = [resolve_app(spec) for spec in args.apps or configured_apps()]
        for source in sources:
            if not source.builds:
                print(f"app {source.name!r}: brings its image ({source.image}), nothing to build")
                continue
            result = build(source, builder=args.builder, no_cache=args.no_cache)
            if args.action == "verify":
                env = dict(item.split("=", 1) for item in args.env)
                seconds = verify(
                    result.image,
                    source,
                    url_prefix=args.url_prefix,
                    health_path=args.health_path,
                    timeout=args.timeout,
                    env=env,
                    builder=args.builder,
                )
                print(f"app {source.name!r}: {result.image} answered its health path after {seconds:.1f} s")
    except (SourceError, ImageError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
