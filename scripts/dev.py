"""`make dev`: run the Dash app locally the way ECS runs it, against a local S3.

Starts a moto S3 on loopback with the sample data uploaded, then gunicorn with
the same environment variables as the ECS task, waits for /health and prints
the URL. Ctrl-C or SIGTERM stops gunicorn and the S3 server.

    .venv/bin/python -m scripts.dev          # PORT, APP_TITLE, URL_PREFIX, LOG_LEVEL honoured
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

from scripts.local_s3 import local_s3, stop_process

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "data" / "sample" / "gapminder.csv"
DEV_BUCKET = "zerodash-dev-data"
DATA_KEY = "gapminder.csv"
DEFAULT_PORT = 8050
HEALTH_TIMEOUT_S = 60.0


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port the OS reports free on 127.0.0.1 (another process could still take it before we bind)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def choose_port(preferred: int) -> int:
    if port_is_free(preferred):
        return preferred
    port = free_port()
    say(f"port {preferred} is busy, using {port} instead")
    return port


def url_prefix(raw: str) -> str:
    inner = raw.strip().strip("/")
    return f"/{inner}/" if inner else "/"


def start_gunicorn(port: int, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """gunicorn with the container's config, bound to loopback only.

    Runs in its own session so a terminal Ctrl-C reaches only the caller, which shuts it down in order.
    """
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(
        [
            str(gunicorn),
            "-c",
            "dashapp/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "dashapp.wsgi:server",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, **env, "PORT": str(port)},
        start_new_session=True,
    )


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the master (graceful), then make sure nothing of its process group is left."""
    stop_process(process)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def wait_for_health(health_url: str, process: subprocess.Popen[bytes], timeout_s: float = HEALTH_TIMEOUT_S) -> dict:
    """Poll /health until it answers 200; fail early if the server exits or reports a load error."""
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode} before /health was ready")
        try:
            response = requests.get(health_url, timeout=2)
        except requests.RequestException as error:
            last = type(error).__name__
        else:
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            if response.status_code == 200:
                return body
            if body.get("status") == "error":
                raise RuntimeError(f"app reports a data error: {body.get('reason')}")
            last = f"{response.status_code} {body or response.text[:200]}"
        time.sleep(0.25)
    raise TimeoutError(f"{health_url} not healthy after {timeout_s:.0f} s (last: {last})")


def ensure_sample_data(path: Path) -> None:
    if path.exists():
        return
    say(f"{path.relative_to(REPO_ROOT)} missing, generating it")
    subprocess.run([sys.executable, "-m", "dashapp.sample_data", str(path)], cwd=REPO_ROOT, check=True)


def raise_keyboard_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def ignore_stop_signals() -> None:
    """Once shutting down, a second Ctrl-C must not cut the cleanup short and leave children behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def serve_until_exit(process: subprocess.Popen[bytes]) -> int:
    """Block until gunicorn exits on its own (Ctrl-C / SIGTERM arrive as KeyboardInterrupt)."""
    code = process.wait()
    say(f"gunicorn exited with code {code}")
    return code or 1


def run(stack: contextlib.ExitStack) -> int:
    """Start everything, registering each stop on `stack` so it is undone in reverse order."""
    ensure_sample_data(SAMPLE_DATA)
    port = choose_port(int(os.environ.get("PORT", DEFAULT_PORT)))
    prefix = url_prefix(os.environ.get("URL_PREFIX", "/"))

    say("starting local S3 (moto)")
    stack.callback(say, "local S3 stopped")
    s3 = stack.enter_context(local_s3(DEV_BUCKET, {DATA_KEY: SAMPLE_DATA}))
    say(f"local S3 at {s3.endpoint_url} with s3://{s3.bucket}/{DATA_KEY}")

    env = {**s3.env(), "APP_TITLE": os.environ.get("APP_TITLE", "ZeroDash (dev)"), "URL_PREFIX": prefix}
    say(f"starting gunicorn on 127.0.0.1:{port}")
    started = time.monotonic()
    gunicorn = start_gunicorn(port, env)
    stack.callback(say, "gunicorn stopped")
    stack.callback(stop_gunicorn, gunicorn)

    try:
        health = wait_for_health(f"http://127.0.0.1:{port}{prefix}health", gunicorn)
    except (RuntimeError, TimeoutError) as error:
        say(str(error))
        return 1
    say(f"healthy after {time.monotonic() - started:.1f} s: {health}")
    say(f"open http://127.0.0.1:{port}{prefix}  (Ctrl-C to stop)")
    return serve_until_exit(gunicorn)


def main() -> int:
    # Installed explicitly for SIGINT too: a shell may start us with SIGINT ignored (e.g. `make dev &`).
    signal.signal(signal.SIGINT, raise_keyboard_interrupt)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    with contextlib.ExitStack() as stack:
        try:
            return run(stack)
        except KeyboardInterrupt:
            say("stopping")
            return 0
        finally:
            ignore_stop_signals()


if __name__ == "__main__":
    sys.exit(main())
