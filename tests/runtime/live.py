"""Run the runtime as the container does (gunicorn with its config) on a loopback port, for the live tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zerodash.images import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
CONFIG = REPO_ROOT / "zerodash_runtime" / "gunicorn_conf.py"


def get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


def start(app_dir: Path, env: dict[str, str], log: Path) -> Server:
    """gunicorn serving `app_dir` with the runtime's config, bound to loopback; stdout and stderr go to `log`."""
    port = free_port()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DASH_", "URL_PREFIX", "APP_"))},
        "PYTHONPATH": str(REPO_ROOT),  # as /opt/zerodash in the image
        "PYTHONUNBUFFERED": "1",  # log lines reach the file as they are written, as in the image
        "PORT": str(port),
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", str(CONFIG), "--bind", f"127.0.0.1:{port}", "zerodash_runtime.wsgi:application"],
            cwd=app_dir,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(f"http://127.0.0.1:{port}", process, log)


def wait_until_ready(server: Server, path: str, timeout_s: float = 30) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {server.process.returncode}:\n{server.log.read_text()}")
        try:
            status, body = get(server.base_url + path, timeout=2)
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return status, body
        time.sleep(0.2)
    raise AssertionError(f"{path} not 200 within {timeout_s} s:\n{server.log.read_text()}")


@contextmanager
def running(app_dir: Path, env: dict[str, str], log: Path) -> Iterator[Server]:
    server = start(app_dir, env, log)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.terminate()
            try:
                server.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
