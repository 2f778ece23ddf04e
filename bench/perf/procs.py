"""Start a server under test, time it to its first 200, sum its memory, and stop it with all its children."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from zerodash.local_s3 import LocalS3

REPO_ROOT = Path(__file__).resolve().parents[2]
POPULATION_APP = REPO_ROOT / "examples" / "population"
START_TIMEOUT_S = 120.0
POLL_INTERVAL_S = 0.02


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    started_at: float

    def stop(self) -> None:
        # The server runs in its own session: signal its process group (itself, workers, the reloader's child).
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start(command: Sequence[str], env: Mapping[str, str], port: int, log: Path) -> Server:
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command),
            cwd=REPO_ROOT,
            env={**os.environ, **env, "PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, f"http://127.0.0.1:{port}", time.monotonic())


def seconds_to_first_200(server: Server, path: str) -> float:
    """Seconds from the server's start until `path` first answers 200."""
    deadline = server.started_at + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode} before answering 200")
        try:
            if requests.get(server.base_url + path, timeout=5).status_code == 200:
                return time.monotonic() - server.started_at
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or busy loading: ask again
            pass
        time.sleep(POLL_INTERVAL_S)
    raise TimeoutError(f"{path} did not answer 200 within {START_TIMEOUT_S} s")


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def pss_mib(root: int) -> float:
    """Proportional set size summed over `root` and its descendants: shared pages are counted once in total."""
    total_kib = 0
    for pid in process_tree(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total_kib += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total_kib / 1024


def python() -> str:
    return str(REPO_ROOT / ".venv" / "bin" / "python")


def article_command() -> list[str]:
    return [python(), "bench/perf/article_app.py"]


def zerodash_command(port: int, extra: Sequence[str] = ()) -> list[str]:
    """The population example served by ZeroDash's runtime, as in its container (app directory as cwd)."""
    gunicorn = str(REPO_ROOT / ".venv" / "bin" / "gunicorn")
    conf = str(REPO_ROOT / "zerodash_runtime" / "gunicorn_conf.py")
    # The CLI's bind overrides the config file's 0.0.0.0: benchmarks listen on loopback only.
    bind = ["--bind", f"127.0.0.1:{port}", "--chdir", str(POPULATION_APP)]
    return [gunicorn, "-c", conf, *bind, *extra, "zerodash_runtime.wsgi:application"]


def article_env(s3: LocalS3, key: str) -> dict[str, str]:
    """The article's app reads s3://BUCKET_NAME/DATA_KEY."""
    return {**s3.env(), "DATA_KEY": key}


def zerodash_env(s3: LocalS3, key: str) -> dict[str, str]:
    """The population example reading `key` from the bucket's root (DATA_FILE relative to DATA_PREFIX "")."""
    return {
        **s3.env(data_prefix=""),
        "APP_NAME": "population",
        "DATA_FILE": key,
        "PYTHONPATH": str(REPO_ROOT),  # zerodash_runtime, which the image has at /opt/zerodash
    }
