"""Faults: the gunicorn master killed or stopped, a frozen worker, a stuck request, workers killed under load.

In the image gunicorn's master is PID 1 (ENTRYPOINT gunicorn). Behaviour checked here, on loopback:
- master SIGKILL: in the container the kernel ends every process of the PID namespace with PID 1, the task's
  essential container exits, ECS starts a new task and the ALB drops the target; requests in flight are lost.
  Outside a PID namespace (this test) the worker notices its parent is gone within a second and exits: no orphan
  keeps the port.
- master SIGTERM (ECS stops the task): in-flight requests finish within graceful_timeout (20 s, below ECS's 30 s
  stopTimeout), then the master exits 0.
- a request thread stuck forever: gunicorn's `timeout` does not see it with gthread (the main loop keeps sending
  the heartbeat); the runtime's watchdog replaces the worker after REQUEST_TIMEOUT_SECONDS (default 20 s).
- a frozen main loop (SIGSTOP, or a C call holding the GIL): gunicorn's `timeout` kills and replaces the worker.
- kill -9 of the worker under load: only the requests in flight in it are lost; new connections wait in the
  listen socket, which the master keeps, and the replacement serves them.

The load suite prints "faults: N cases tried, L requests lost (in flight at kill), D defects" and writes
.build/reliability/faults.json.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.runtime.conftest import FIXTURES
from tests.runtime.live import CONFIG, GUNICORN, REPO_ROOT, Server
from zerodash.images import free_port
from zerodash_runtime.settings import RuntimeSettings
from zerodash_runtime.watchdog import EXIT_STUCK, Watchdog, log_all_stacks

APP = FIXTURES / "faults"
REPORT = REPO_ROOT / ".build" / "reliability" / "faults.json"
ALB_IDLE_TIMEOUT_S = 60
ECS_STOP_TIMEOUT_S = 30
# The defaults (watchdog 20 s, gunicorn timeout 30 s) take ~1 min to check: deselected unless `-m long`.
long_run = pytest.mark.long

# --- the watchdog in-process ---------------------------------------------------------------------------------------


class _Exited(Exception):
    pass


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    if environ["PATH_INFO"] == "/work":
        time.sleep(float(environ["QUERY_STRING"] or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]


class _SlowInput(io.BytesIO):
    def read(self, *args: Any) -> bytes:
        time.sleep(0.4)  # a slow client: the watchdog must not count this
        return super().read(*args)


def _call(watchdog: Watchdog, path: str, query: str = "", body: bytes = b"", slow: bool = False) -> list[bytes]:
    stream = _SlowInput(body) if slow else io.BytesIO(body)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": stream}
    result = watchdog(environ, lambda status, headers: None)
    try:
        return list(result)
    finally:
        result.close()  # type: ignore[attr-defined]


def _watchdog(timeout_s: float, events: list[str]) -> Watchdog:
    def exit_process(code: int) -> None:
        events.append(f"exit {code}")
        raise _Exited

    return Watchdog(_app, timeout_s, drain_s=0.5, stop_worker=lambda: events.append("stop"), exit_process=exit_process)


def test_a_request_over_the_limit_logs_its_stack_and_exits_the_worker(caplog: pytest.LogCaptureFixture) -> None:
    events: list[str] = []
    watchdog = _watchdog(0.2, events)
    worker = threading.Thread(target=_call, args=(watchdog, "/work", "0.6"), daemon=True)
    worker.start()
    time.sleep(0.3)

    with caplog.at_level(logging.CRITICAL, logger="zerodash_runtime.watchdog"), pytest.raises(_Exited):
        watchdog.replace_worker(watchdog.stuck())

    assert events == ["stop", f"exit {EXIT_STUCK}"]  # the other request finished in the drain: no "lost" line
    (record,) = caplog.records
    assert record.getMessage().startswith("request POST /work stuck for ")
    assert "time.sleep(float(environ" in (record.stack_info or "")


def test_time_reading_the_body_from_a_slow_client_is_not_counted() -> None:
    events: list[str] = []
    watchdog = _watchdog(0.2, events)
    seen: list[int] = []

    def sample() -> None:
        for _ in range(8):
            seen.append(len(watchdog.stuck()))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    assert _call(watchdog, "/echo", body=b"x" * 10, slow=True) == [b"x" * 10]
    sampler.join()

    assert seen and not any(seen)
    assert watchdog.running == {}


def timeout_from_env(environ: dict[str, str]) -> float:
    return RuntimeSettings.from_env(environ).request_timeout_seconds


def test_the_timeout_comes_from_the_environment() -> None:
    assert timeout_from_env({}) == 20
    assert timeout_from_env({"REQUEST_TIMEOUT_SECONDS": "7.5"}) == 7.5
    assert timeout_from_env({"REQUEST_TIMEOUT_SECONDS": "0"}) == 0  # off
    assert timeout_from_env({"REQUEST_TIMEOUT_SECONDS": "-1"}) == 20
    assert timeout_from_env({"REQUEST_TIMEOUT_SECONDS": "soon"}) == 20
    assert Watchdog(_app, 0).start() is None


def test_all_stacks_are_one_log_line_naming_each_thread(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL, logger="zerodash_runtime.watchdog"):
        log_all_stacks("worker timed out")

    (record,) = caplog.records
    assert record.getMessage() == "worker timed out"
    assert "Thread MainThread:" in (record.stack_info or "")
    assert "in test_all_stacks_are_one_log_line_naming_each_thread" in (record.stack_info or "")


# --- gunicorn as the container runs it, on loopback ---------------------------------------------------------------


@contextmanager
def _gunicorn(tmp_path: Path, *args: str, **env: str) -> Iterator[Server]:
    """gunicorn with the runtime's config serving the fixture app; `args` override the config (e.g. --timeout)."""
    port = free_port()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DASH_", "URL_PREFIX", "APP_"))},
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
        "PORT": str(port),
        "APP_NAME": "faults",
        "ATTENTION_SECONDS": "0",
        **env,
    }
    log = tmp_path / f"gunicorn-{port}.log"
    command = [str(GUNICORN), "-c", str(CONFIG), "--bind", f"127.0.0.1:{port}", *args]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "zerodash_runtime.wsgi:application"], cwd=APP, env=environ, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_for(lambda: _status(server, "/ok") == 200, 30, server)
        yield server
    finally:
        for pid in [process.pid, *_children(process.pid)]:
            _signal(pid, signal.SIGKILL if pid != process.pid else signal.SIGTERM)
        try:
            process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _status(server: Server, path: str, timeout: float = 2) -> int | None:
    try:
        return requests.get(server.base_url + path, timeout=timeout).status_code
    except requests.RequestException:
        return None


def _wait_for(condition: Any, timeout_s: float, server: Server | None = None, step: float = 0.02) -> float:
    """Seconds until condition() is true; fails after timeout_s."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if condition():
            return time.monotonic() - start
        time.sleep(step)
    log = server.log.read_text() if server else ""
    raise AssertionError(f"not within {timeout_s} s\n{log[-4000:]}")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _signal(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)


def _worker(server: Server, timeout_s: float = 10) -> int:
    pids: list[int] = []

    def found() -> bool:
        pids[:] = _children(server.process.pid)
        return len(pids) == 1

    _wait_for(found, timeout_s, server)
    return pids[0]


def _port_free(server: Server) -> bool:
    port = int(server.base_url.rsplit(":", 1)[1])
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_sigkill_of_the_master_leaves_no_worker_holding_the_port(tmp_path: Path) -> None:
    with _gunicorn(tmp_path) as server:
        worker = _worker(server)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=5)

        gone = _wait_for(lambda: not _alive(worker), 5)

        assert _port_free(server)
        print(f"\nfaults: master SIGKILL: worker {worker} exited {gone:.2f} s later, port closed")


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(tmp_path: Path) -> None:
    with _gunicorn(tmp_path) as server, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(requests.get, server.base_url + "/slow?s=3", timeout=25)
        time.sleep(0.5)
        stopped = time.monotonic()
        server.process.send_signal(signal.SIGTERM)

        response = slow.result()
        code = server.process.wait(timeout=ECS_STOP_TIMEOUT_S)
        took = time.monotonic() - stopped

        assert (response.status_code, response.text) == (200, "slept 3.0")
        assert code == 0
        assert took < 20  # graceful_timeout, itself below ECS's 30 s stopTimeout
        assert _port_free(server)
        print(f"\nfaults: SIGTERM: the 3 s request in flight answered 200, master exited 0 after {took:.2f} s")


def test_gunicorn_timeout_does_not_see_a_stuck_request_thread(tmp_path: Path) -> None:
    """Without the watchdog, a thread waiting forever keeps its worker past gunicorn's timeout: the gap it fills."""
    with _gunicorn(tmp_path, "--timeout", "2", REQUEST_TIMEOUT_SECONDS="0") as server, ThreadPoolExecutor(1) as pool:
        worker = _worker(server)
        pool.submit(_status, server, "/stuck", 8)
        time.sleep(6)  # three times gunicorn's timeout

        assert _status(server, "/ok") == 200
        assert _children(server.process.pid) == [worker]
        assert "WORKER TIMEOUT" not in server.log.read_text()


@pytest.mark.parametrize("route", ["/stuck", "/spin"])
def test_the_watchdog_replaces_a_worker_with_a_stuck_request(tmp_path: Path, route: str) -> None:
    limit = 2.0
    with _gunicorn(tmp_path, REQUEST_TIMEOUT_SECONDS=str(limit)) as server:
        worker = _worker(server)
        started = time.monotonic()

        assert _status(server, route, timeout=30) is None  # the connection is closed: no answer
        cut = time.monotonic() - started
        assert _status(server, "/ok") == 200
        replaced = time.monotonic() - started

        assert _children(server.process.pid) not in ([], [worker])
        assert limit <= cut < limit + 3
        assert replaced < limit + 5
        lines = server.log_lines()
        (stuck,) = [line for line in lines if line["logger"] == "zerodash_runtime.watchdog"]
        assert stuck["level"] == "CRITICAL"
        assert stuck["message"].startswith(f"request GET {route} stuck for ")
        assert f"in {route.strip('/')}" in stuck["stack_info"]  # the app's frame: File ".../app.py", line n, in stuck
        assert any(f"exited with code {EXIT_STUCK}" in line["message"] for line in lines)
        print(f"\nfaults: {route}: connection closed after {cut:.2f} s, next 200 after {replaced:.2f} s")


def test_gunicorn_timeout_replaces_a_worker_whose_main_loop_is_frozen(tmp_path: Path) -> None:
    timeout = 2
    with _gunicorn(tmp_path, "--timeout", str(timeout)) as server:
        worker = _worker(server)
        stopped = time.monotonic()
        os.kill(worker, signal.SIGSTOP)

        replaced = _wait_for(lambda: _status(server, "/ok", timeout=1) == 200 and not _alive(worker), 20, server)

        assert replaced < timeout + 4  # timeout, then SIGABRT (pending while stopped), then SIGKILL a second later
        assert "WORKER TIMEOUT" in server.log.read_text()
        print(f"\nfaults: SIGSTOP worker: replaced {time.monotonic() - stopped:.2f} s later (timeout {timeout} s)")


@long_run
def test_with_the_defaults_a_frozen_worker_is_replaced_well_before_the_alb_gives_up(tmp_path: Path) -> None:
    with _gunicorn(tmp_path) as server:
        started = time.monotonic()
        assert _status(server, "/stuck", timeout=ALB_IDLE_TIMEOUT_S) is None
        stuck = time.monotonic() - started
        _wait_for(lambda: _status(server, "/ok", timeout=1) == 200, 10, server)

        worker = _worker(server)
        stopped = time.monotonic()
        os.kill(worker, signal.SIGSTOP)
        _wait_for(lambda: _status(server, "/ok", timeout=1) == 200 and not _alive(worker), ALB_IDLE_TIMEOUT_S, server)
        frozen = time.monotonic() - stopped

        assert stuck < 25 and frozen < 35
        print(f"\nfaults: defaults: stuck request cut after {stuck:.2f} s, frozen worker replaced after {frozen:.2f} s")


# --- the suite: worker kills under load ---------------------------------------------------------------------------


@dataclass
class _Outcome:
    start: float
    end: float
    ok: bool
    error: str = ""


def _one(url: str) -> _Outcome:
    start = time.monotonic()
    try:
        # A fresh connection per request, as a browser's would be after the kill: no stale kept-alive socket.
        response = requests.get(url, timeout=15, headers={"Connection": "close"})
        ok = response.status_code == 200
        error = "" if ok else f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        ok, error = False, type(exc).__name__
    return _Outcome(start, time.monotonic(), ok, error)


def test_worker_kills_under_load_lose_only_the_requests_in_flight(tmp_path: Path) -> None:
    rate, duration, kills = 20, 10.0, 3
    url_path = "/slow?s=0.05"
    with _gunicorn(tmp_path) as server, ThreadPoolExecutor(32) as pool:
        url = server.base_url + url_path
        futures = []
        kill_times: list[float] = []
        replacements: list[float] = []

        def killer() -> None:
            for _ in range(kills):
                time.sleep(duration / (kills + 1))
                worker = _worker(server)
                kill_times.append(time.monotonic())
                os.kill(worker, signal.SIGKILL)
                replacements.append(_wait_for(lambda: _status(server, "/ok", timeout=5) == 200, 30, server, 0.005))

        thread = threading.Thread(target=killer)
        begin = time.monotonic()
        thread.start()
        sent = 0
        while time.monotonic() - begin < duration:
            futures.append(pool.submit(_one, url))
            sent += 1
            time.sleep(max(0.0, begin + sent / rate - time.monotonic()))
        thread.join(timeout=60)
        outcomes = [future.result(timeout=30) for future in futures]

    failed = [o for o in outcomes if not o.ok]
    in_flight = [o for o in failed if any(o.start <= k <= o.end for k in kill_times)]
    defects = len(failed) - len(in_flight)
    summary = {
        "area": "faults",
        "cases": len(outcomes) + kills,
        "requests": len(outcomes),
        "kills": kills,
        "clear_errors": len(in_flight),  # the expected losses: requests in flight in the killed worker
        "lost_in_flight": len(in_flight),
        "defects": defects,
        "errors": sorted({o.error for o in failed}),
        "replacement_s": [round(r, 3) for r in replacements],
        "rate_per_s": rate,
        "duration_s": duration,
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"\nfaults: {summary['cases']} cases tried, {len(in_flight)} requests lost (in flight at kill), "
        f"{defects} defects (replacement kill -> next 200: {', '.join(f'{r:.3f}' for r in replacements)} s)"
    )

    assert len(kill_times) == kills
    assert defects == 0, [o for o in failed if o not in in_flight]
    assert max(replacements) < ALB_IDLE_TIMEOUT_S
