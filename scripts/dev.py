"""`make dev APP=<name>`: run one app locally the way ECS runs it, against a local S3.

    .venv/bin/python -m scripts.dev [--app NAME] [--port N] [--share-packages] [--reinstall]

The app is an entry of cdk.json's `apps` (default: the first), read with the same schema as the CDK app (no
AWS). What happens depends on what the app brings:

- a source directory with app.py (the "runtime" kind): a moto S3 on loopback with the app's data/ uploaded under
  its DATA_PREFIX ("<name>/"), as a deploy does; a virtualenv under .build/dev/<name>/ with the app's
  requirements.txt and the runtime's own (reinstalled only when they change); `python -m zerodash_runtime.check`
  (the check the image build runs); then the runtime's gunicorn, with the container's config and environment,
  on 127.0.0.1. It prints the URL once the health path answers 200.
- a source directory with a Dockerfile: the image is built with zerodash.images (docker, else buildah) and run
  as zerodash.images checks images (Fargate's 0.5 vCPU / 1 GiB, read-only root, user 10001, the container
  environment), its `port` published on a free loopback port; it must answer its health path with 200. Its own
  network cannot reach the local S3, so its data/ is not served locally (said when it has one).
- an image another pipeline pushed: pulled and run like a Dockerfile app when it names a registry host and
  docker or podman is here; an image of the account's own ECR is not pulled (that needs AWS), and that is said.

Ctrl-C or SIGTERM stops the server, the container and the S3. Exit codes: 0 stopped by the user, 1 the server
stopped or never got healthy, 2 configuration, requirements or import errors (one message naming the app).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from zerodash.images import free_port
from zerodash.local_s3 import directory_files, local_s3, stop_process

if TYPE_CHECKING:  # the schema imports pydantic: loaded only when the config is read
    from zerodash.config import AppConfig, ZeroDashConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME_PACKAGE = REPO_ROOT / "zerodash_runtime"
RUNTIME_REQUIREMENTS = RUNTIME_PACKAGE / "build" / "requirements.txt"
DEV_DIR = REPO_ROOT / ".build" / "dev"
DEV_BUCKET = "zerodash-dev-data"
HEALTH_TIMEOUT_S = 60.0
TAIL_LINES = 12
STAMP_FILE = ".zerodash-requirements"
SHARED_PTH = "zerodash-shared-packages.pth"

Say = Callable[[str], None]


class DevError(Exception):
    """What stops `make dev`, as one message for the user; exit code 2 (app or configuration) or 1 (server)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


# --------------------------------------------------------------------------- configuration


def read_config(root: Path | None = None) -> ZeroDashConfig:
    """The configuration from cdk.json's context in `root` (default: the project), parsed by the schema the CDK
    app uses (no AWS)."""
    root = root or REPO_ROOT
    from zerodash.config import ConfigError, load_config
    from zerodash.sources import SourceError

    try:
        context = json.loads((root / "cdk.json").read_text()).get("context", {})
    except (OSError, ValueError) as error:
        raise DevError(f"cannot read {root / 'cdk.json'}: {error}") from None
    try:
        return load_config(context.get, project_root=root)
    except (ConfigError, SourceError) as error:
        raise DevError(f"cdk.json: {error}") from None


def choose_app(config: ZeroDashConfig, name: str | None) -> AppConfig:
    """The app called `name`, or the first one."""
    if not config.apps:
        raise DevError("cdk.json has no apps")
    if not name:
        return config.apps[0]
    for app in config.apps:
        if app.name == name:
            return app
    names = ", ".join(app.name for app in config.apps)
    raise DevError(f"no app named {name!r} in cdk.json (apps: {names}): run `make dev APP=<name>`")


def app_environment(app: AppConfig, *, port: int, s3_env: Mapping[str, str]) -> dict[str, str]:
    """The environment the ECS task gives the app's container (plan: "Container environment"), on a local S3."""
    env = {
        **s3_env,
        "PORT": str(port),
        "URL_PREFIX": app.url_prefix,
        "APP_NAME": app.name,
        "APP_TITLE": app.title,
        "DATA_PREFIX": app.data_prefix,
        "HEALTH_PATH": app.health_path,
        "FRAME_ANCESTORS": " ".join(app.frame_ancestors),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        **dict(app.environment),
    }
    if app.app_source.kind == "runtime":
        env["APP_MODULE"] = app.app_source.module
    if app.auth is not None:
        env["LOGIN_REQUIRED"] = "1"  # locally nobody logs in; the page's reload-into-login code runs as on AWS
    # ECS resolves secrets when a task starts; locally they come from the caller's environment, if set there.
    for name in app.secrets:
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def missing_secrets(app: AppConfig) -> list[str]:
    return [name for name in app.secrets if name not in os.environ]


# --------------------------------------------------------------------------- ports and processes


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def choose_port(preferred: int, *, report: Say = say) -> int:
    if port_is_free(preferred):
        return preferred
    port = free_port()
    report(f"port {preferred} is busy, using {port} instead")
    return port


def stop_group(process: subprocess.Popen[Any]) -> None:
    """SIGTERM the leader (graceful), then make sure nothing of its process group is left."""
    stop_process(process)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def wait_for_health(
    url: str,
    *,
    alive: Callable[[], int | None],
    what: str,
    timeout_s: float = HEALTH_TIMEOUT_S,
) -> float:
    """Poll `url` until it answers 200 (returns the seconds it took); DevError if `what` exits or it never does.

    `alive()` is None while the server runs, else its exit code.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        code = alive()
        if code is not None:
            raise DevError(f"{what} exited with code {code} before {url} answered (its log is above)", exit_code=1)
        try:
            response = requests.get(url, timeout=2)
        except requests.RequestException as error:
            last = type(error).__name__
        else:
            if response.status_code == 200:
                return time.monotonic() - started
            last = f"{response.status_code} {response.text[:200].strip()}"
            if '"status": "error"' in response.text or '"status":"error"' in response.text:
                raise DevError(f"{what} reports an error on {url}: {last}", exit_code=1)
        time.sleep(0.25)
    raise DevError(f"{url} did not answer 200 within {timeout_s:.0f} s (last: {last})", exit_code=1)


# --------------------------------------------------------------------------- the app's virtualenv


@dataclass(frozen=True)
class AppVenv:
    directory: Path

    @property
    def python(self) -> Path:
        return self.directory / "bin" / "python"


def requirements_stamp(requirements: Sequence[Path], *, shared: Path | None) -> str:
    """Changes when a requirements file, the interpreter or the shared packages do: then pip runs again."""
    digest = hashlib.sha256(f"{sys.version}\0{shared}\0".encode())
    for path in requirements:
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def shared_site_packages() -> Path:
    """The site-packages of the interpreter running this script (the project's .venv under `make dev`)."""
    return Path(sysconfig.get_paths()["purelib"])


def ensure_venv(
    app_name: str,
    requirements: Sequence[Path],
    *,
    directory: Path,
    share_packages: bool = False,
    reinstall: bool = False,
    report: Say = say,
) -> AppVenv:
    """A virtualenv at `directory` with `requirements` installed; pip runs only when they changed.

    share_packages: the venv also sees the project .venv's packages, after its own (a .pth line), so pip finds
    most requirements already satisfied: a fast first run, but an app that forgets a requirement the project
    happens to have then runs here and not in its image. `python -m venv --system-site-packages` would not do
    it: a venv made from inside another venv inherits the base interpreter's site-packages, not the outer venv's.
    """
    venv = AppVenv(directory)
    shared = shared_site_packages() if share_packages else None
    stamp = requirements_stamp(requirements, shared=shared)
    stamp_path = directory / STAMP_FILE
    if not reinstall and venv.python.exists() and stamp_path.is_file() and stamp_path.read_text() == stamp:
        report(f"requirements unchanged: reusing {_shown(directory)}")
        return venv
    if not venv.python.exists():
        report(f"creating the virtualenv {_shown(directory)}")
        directory.parent.mkdir(parents=True, exist_ok=True)
        # Without a pip of its own (ensurepip takes many seconds): this script's pip installs into it (--python).
        created = subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(directory)], capture_output=True, text=True, check=False
        )
        if created.returncode != 0:
            raise DevError(f"app {app_name!r}: cannot create {directory}: {created.stderr.strip()}")
    stamp_path.unlink(missing_ok=True)
    purelib = _venv_purelib(venv)
    (purelib / SHARED_PTH).unlink(missing_ok=True)
    if shared is not None:
        (purelib / SHARED_PTH).write_text(f"{shared}\n")
    listed = ", ".join(_shown(path) for path in requirements)
    report(f"installing {listed} (pip)")
    command = [sys.executable, "-m", "pip", "--python", str(venv.python), "install", "--progress-bar", "off"]
    for path in requirements:
        command += ["-r", str(path)]
    code, tail = _stream(command, prefix="    pip: ", report=report)
    if code != 0:
        raise DevError(
            f"app {app_name!r}: its requirements do not install (pip exited {code}); pip's last lines:\n"
            + "\n".join(f"    {line}" for line in pip_errors(tail))
            + f"\nFix {_shown(requirements[0])} and run `make dev APP={app_name}` again"
        )
    stamp_path.write_text(stamp)
    return venv


def pip_errors(lines: Sequence[str]) -> list[str]:
    """pip's error block ("ERROR: ..." onwards) from its last lines, else those lines."""
    for index, line in enumerate(lines):
        if line.startswith(("ERROR:", "error:")):
            return list(lines[index:])
    return list(lines)


def _venv_purelib(venv: AppVenv) -> Path:
    found = sorted(venv.directory.glob("lib/python3*/site-packages"))
    if not found:
        raise DevError(f"{venv.directory} has no lib/python3*/site-packages: delete it and run again")
    return found[0]


def _stream(command: Sequence[str], *, prefix: str, report: Say, cwd: Path | None = None) -> tuple[int, list[str]]:
    """Run `command`, showing each output line (stdout and stderr) as progress; (exit code, last lines)."""
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    with subprocess.Popen(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd
    ) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip()
            if line:
                tail.append(line)
                report(prefix + line)
    return process.returncode, list(tail)


# --------------------------------------------------------------------------- runtime apps (app.py)


def runtime_path(directory: Path = DEV_DIR / "runtime") -> Path:
    """A directory holding only `zerodash_runtime` (a link to the package), for PYTHONPATH: as in the image,
    where /opt/zerodash holds the runtime and nothing else of this project, the app cannot import infra or zerodash.
    """
    link = directory / "zerodash_runtime"
    if link.is_symlink() and link.resolve() == RUNTIME_PACKAGE.resolve():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    try:
        link.symlink_to(RUNTIME_PACKAGE, target_is_directory=True)
    except OSError:  # no symlinks (some filesystems): a copy, refreshed on every start
        shutil.copytree(RUNTIME_PACKAGE, link, ignore=shutil.ignore_patterns("__pycache__"))
    return directory


def runtime_env(env: Mapping[str, str], runtime_dir: Path) -> dict[str, str]:
    """The process environment: the caller's, minus what would leak the project's Python into the app's."""
    base = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**base, **env, "PYTHONPATH": str(runtime_dir), "PYTHONDONTWRITEBYTECODE": "1"}


def check_app(app: AppConfig, venv: AppVenv, env: Mapping[str, str], *, report: Say = say) -> None:
    """`python -m zerodash_runtime.check` in the app's directory, as the image build runs it."""
    report(f"checking that {app.app_source.module} imports (python -m zerodash_runtime.check)")
    result = subprocess.run(
        [str(venv.python), "-m", "zerodash_runtime.check"],
        cwd=app.app_source.directory,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        message = (result.stderr.strip() or result.stdout.strip()).splitlines()
        detail = "\n".join(message[-TAIL_LINES:]) or f"exit code {result.returncode}"
        if app.name not in detail:
            detail = f"app {app.name!r}: {detail}"
        raise DevError(detail)
    for line in (result.stdout + result.stderr).splitlines():  # what will be served, its datasets, warnings
        report(f"    {line}")


def start_gunicorn(
    app: AppConfig, venv: AppVenv, port: int, env: Mapping[str, str], runtime_dir: Path
) -> subprocess.Popen:
    """The runtime's gunicorn with the container's config, bound to loopback only.

    Its own session, so a terminal Ctrl-C reaches only this script, which then stops it in order.
    """
    # `python -m gunicorn`: with --share-packages gunicorn may be the project's, which has no script in this venv.
    command = [str(venv.python), "-m", "gunicorn", "-c", str(runtime_dir / "zerodash_runtime" / "gunicorn_conf.py")]
    command += ["--bind", f"127.0.0.1:{port}"]  # command-line settings win over the config file's
    if not Path("/dev/shm").is_dir():  # the config's worker_tmp_dir (Linux); e.g. macOS has none
        command += ["--worker-tmp-dir", tempfile.gettempdir()]
    return subprocess.Popen(
        [*command, "zerodash_runtime.wsgi:application"],
        cwd=app.app_source.directory,
        env=dict(env),
        start_new_session=True,
    )


@dataclass(frozen=True)
class Running:
    """A started app: its URL, the health URL that answered, and how to wait for it to stop."""

    url: str
    health_url: str
    wait: Callable[[], int]


@dataclass(frozen=True)
class Options:
    port: int | None = None
    share_packages: bool = False
    reinstall: bool = False
    health_timeout_s: float = HEALTH_TIMEOUT_S
    dev_dir: Path = DEV_DIR


def start_local_s3(stack: contextlib.ExitStack, app: AppConfig, *, report: Say) -> dict[str, str]:
    """A moto S3 with the app's data/ under its DATA_PREFIX; the environment that points the app at it."""
    files = directory_files(_data_dir(app), app.data_prefix)
    report("starting the local S3 (moto)")
    stack.callback(report, "local S3 stopped")
    s3 = stack.enter_context(local_s3(DEV_BUCKET, files))
    shown = f"{len(files)} file(s) from data/" if files else "no data/ directory"
    report(f"local S3 at {s3.endpoint_url}: s3://{s3.bucket}/{app.data_prefix} with {shown}")
    return s3.env()


def start_runtime_app(stack: contextlib.ExitStack, app: AppConfig, options: Options, *, report: Say = say) -> Running:
    """Everything for an app.py app, each stop registered on `stack`; returns once the health path answers."""
    source = app.app_source
    requirements = [source.directory / "requirements.txt", RUNTIME_REQUIREMENTS]
    s3_env = start_local_s3(stack, app, report=report)
    venv = ensure_venv(
        app.name,
        requirements,
        directory=options.dev_dir / app.name / "venv",
        share_packages=options.share_packages,
        reinstall=options.reinstall,
        report=report,
    )
    runtime_dir = runtime_path(options.dev_dir / "runtime")
    port = choose_port(options.port or app.port, report=report)
    env = runtime_env(app_environment(app, port=port, s3_env=s3_env), runtime_dir)
    check_app(app, venv, env, report=report)

    report(f"starting gunicorn on 127.0.0.1:{port} (the runtime's config, as in the container)")
    gunicorn = start_gunicorn(app, venv, port, env, runtime_dir)
    stack.callback(report, "gunicorn stopped")
    stack.callback(stop_group, gunicorn)
    health_url = f"http://127.0.0.1:{port}{app.health_path}"
    took = wait_for_health(health_url, alive=gunicorn.poll, what="gunicorn", timeout_s=options.health_timeout_s)
    report(f"healthy after {took:.1f} s")
    return Running(url=f"http://127.0.0.1:{port}{app.url_prefix}", health_url=health_url, wait=gunicorn.wait)


# --------------------------------------------------------------------------- Dockerfile and image apps


def start_container_app(
    stack: contextlib.ExitStack, app: AppConfig, image: str, options: Options, *, report: Say = say
) -> Running:
    """Run `image` as zerodash.images runs it for its check (Fargate's limits, read-only root, user 10001), its
    `port` published on a free loopback port; returns once its health path answers 200 (DevError otherwise)."""
    from zerodash import images

    if data_files := directory_files(_data_dir(app), app.data_prefix):
        report(
            f"note: {len(data_files)} file(s) in data/ are not served locally to a container app: it has its own "
            "network and cannot reach the local S3 on this machine's loopback"
        )
    env = app_environment(app, port=app.port, s3_env={})
    report(f"starting {image} (port {app.port} inside the container)")
    running = stack.enter_context(
        images.run_app(
            image, app.app_source, port=app.port, url_prefix=app.url_prefix, health_path=app.health_path, env=env
        )
    )
    stack.callback(report, "container stopped")
    try:
        took = images.wait_healthy(running, timeout=options.health_timeout_s)
    except images.ImageError as error:
        raise DevError(
            f"{error}\nDoes the app listen on port {app.port} (its `port`) and answer {app.health_path} (its "
            "`healthPath`) with 200?",
            exit_code=1,
        ) from None
    report(f"healthy after {took:.1f} s")

    def wait() -> int:
        while running.is_running():
            time.sleep(1)
        report(f"the container stopped; its last log lines:\n{running.logs()}")
        return 1

    return Running(url=running.base_url, health_url=running.health_url, wait=wait)


def build_image(app: AppConfig, *, report: Say = say) -> str:
    """Build the Dockerfile app's image with zerodash.images (docker, else buildah); its local reference."""
    from zerodash import images

    try:
        return images.build(app.app_source, app.image_tag, progress=report).image
    except (images.ImageError, ValueError, RuntimeError) as error:
        message = str(error) if app.name in str(error) else f"app {app.name!r}: {error}"
        raise DevError(message) from None


def pull_image(app: AppConfig, *, report: Say = say) -> str:
    """The image of an "image" app, pulled; DevError saying why it cannot run here otherwise."""
    from zerodash import images

    image = app.app_source.image
    if image.registry is None:
        raise DevError(
            f"app {app.name!r} runs {image}, an image in this account's ECR: `make dev` does not pull from AWS. "
            "Log in and pull it yourself (`aws ecr get-login-password | docker login --username AWS "
            "--password-stdin <account>.dkr.ecr.<region>.amazonaws.com`, then `docker pull "
            f"<account>.dkr.ecr.<region>.amazonaws.com/{image}`), or give the app a `source` directory to run it "
            "with `make dev`"
        )
    try:
        cli = images.engine(images.choose_builder())
    except ValueError as error:
        raise DevError(
            f"app {app.name!r} runs the image {image}: pulling it needs docker or podman ({error})"
        ) from None
    report(f"pulling {image}")
    if subprocess.run([*cli, "pull", str(image)], check=False).returncode != 0:
        raise DevError(f"app {app.name!r}: cannot pull {image} (is the registry reachable, and are you logged in?)")
    return str(image)


def start_app(stack: contextlib.ExitStack, app: AppConfig, options: Options, *, report: Say = say) -> Running:
    kind = app.app_source.kind
    if kind == "runtime":
        return start_runtime_app(stack, app, options, report=report)
    image = pull_image(app, report=report) if kind == "image" else build_image(app, report=report)
    return start_container_app(stack, app, image, options, report=report)


def _data_dir(app: AppConfig) -> Path | None:
    from zerodash.sources import data_directory

    return data_directory(app.app_source)


# --------------------------------------------------------------------------- main


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def raise_keyboard_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def ignore_stop_signals() -> None:
    """Once shutting down, a second Ctrl-C must not cut the cleanup short and leave children behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default=None, help="an app of cdk.json (default: the first)")
    parser.add_argument("--port", type=int, default=None, help="app.py apps: local port (default: the app's `port`)")
    parser.add_argument(
        "--share-packages",
        action="store_true",
        help="let the app's virtualenv see the project's .venv packages: faster, but less like the image",
    )
    parser.add_argument("--reinstall", action="store_true", help="run pip even if the requirements did not change")
    parser.add_argument("--health-timeout", type=float, default=HEALTH_TIMEOUT_S, help="seconds (default 60)")
    return parser.parse_args(argv)


def run(
    stack: contextlib.ExitStack, args: argparse.Namespace, *, config: ZeroDashConfig | None = None, report: Say = say
) -> int:
    config = config if config is not None else read_config()
    app = choose_app(config, args.app)
    report(f"app {app.name!r} ({app.app_source.kind}) at {app.url_prefix}")
    for name in missing_secrets(app):
        report(f"note: secret {name} is not resolved locally: set {name} in your environment to pass it")
    options = Options(
        port=args.port,
        share_packages=args.share_packages,
        reinstall=args.reinstall,
        health_timeout_s=args.health_timeout,
    )
    running = start_app(stack, app, options, report=report)
    report(f"open {running.url}  (Ctrl-C to stop)")
    code = running.wait()
    report(f"the app exited with code {code}")
    return code or 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Installed explicitly for SIGINT too: a shell may start us with SIGINT ignored (e.g. `make dev &`).
    signal.signal(signal.SIGINT, raise_keyboard_interrupt)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    with contextlib.ExitStack() as stack:
        try:
            return run(stack, args)
        except DevError as error:
            print(f"dev: error: {error}", file=sys.stderr, flush=True)
            return error.exit_code
        except KeyboardInterrupt:
            say("stopping")
            return 0
        finally:
            ignore_stop_signals()


if __name__ == "__main__":
    sys.exit(main())
