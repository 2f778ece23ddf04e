"""Replace a worker whose request is stuck, well before the ALB gives up on it (its idle timeout: 60 s).

gunicorn's `timeout` does not see a stuck request with the gthread worker: the heartbeat comes from the worker's
main loop, which keeps running while a request thread sleeps forever, waits on a deadlock or loops in Python. Such
a thread holds one of the worker's threads for good, and enough of them stall the task while /health stays 200.

The watchdog counts the time each request spends in the app's own code: from the WSGI call to the end of the
response, minus the time spent reading the request body from the client and the time gunicorn spends writing the
response to it (a slow client is the HTTP layer's business, and must not be able to kill the worker). A request
over REQUEST_TIMEOUT_SECONDS (default 20; 0 turns the watchdog off) gets the stack of its thread logged, then the
worker stops accepting (SIGTERM to itself, gunicorn's graceful stop), gives the other requests in it up to
DRAIN_SECONDS to finish, and exits with EXIT_STUCK; gunicorn's master forks a fresh worker. Meanwhile new
connections wait in the listen socket, which the master holds. Lost: the stuck request (its client gets a closed
connection, the ALB a 502) and any other request still running after the drain.

A thread stuck while holding the GIL (a C extension in an endless loop) stops the watchdog too, but also the main
loop: gunicorn's `timeout` (30 s) then kills the worker.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from zerodash_runtime.settings import DEFAULT_REQUEST_TIMEOUT_SECONDS

DRAIN_SECONDS = 5.0
# Any non-zero code except 3 and 4, which make gunicorn's master halt the whole server (worker boot or app load
# failure). 70 is EX_SOFTWARE.
EXIT_STUCK = 70

logger = logging.getLogger("zerodash_runtime.watchdog")
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class _Request:
    thread: int
    description: str
    spent: float = 0.0  # time in app code before the current stretch
    since: float | None = None  # start of the current stretch in app code; None while waiting on the client

    def elapsed(self, now: float) -> float:
        return self.spent + (now - self.since if self.since is not None else 0.0)


@dataclass
class _Clock:
    """One request's stopwatch: runs in app code, paused while the request waits on its client."""

    watchdog: Watchdog
    request: _Request
    done: bool = field(default=False)

    def pause(self) -> None:
        now = self.watchdog.clock()
        with self.watchdog.lock:
            if self.request.since is not None:
                self.request.spent += now - self.request.since
                self.request.since = None

    def resume(self) -> None:
        with self.watchdog.lock:
            if not self.done:
                self.request.since = self.watchdog.clock()

    def stop(self) -> None:
        with self.watchdog.lock:
            self.done = True
            self.watchdog.running.pop(id(self.request), None)


class _Input:
    """wsgi.input with the clock paused while the body is read from the client."""

    def __init__(self, stream: Any, clock: _Clock) -> None:
        self._stream, self._clock = stream, clock

    def _paused(self, method: str, *args: Any) -> Any:
        self._clock.pause()
        try:
            return getattr(self._stream, method)(*args)
        finally:
            self._clock.resume()

    def read(self, *args: Any) -> bytes:
        return self._paused("read", *args)

    def readline(self, *args: Any) -> bytes:
        return self._paused("readline", *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return self._paused("readlines", *args)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Body:
    """The response body: the clock runs while the app makes a chunk, not while gunicorn sends it."""

    def __init__(self, body: Iterable[bytes], clock: _Clock) -> None:
        self._body, self._clock = body, clock
        self._iterator: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        self._clock.resume()
        try:
            if self._iterator is None:
                self._iterator = iter(self._body)
            return next(self._iterator)
        finally:
            self._clock.pause()

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                self._clock.resume()
                close()
        finally:
            self._clock.stop()


class Watchdog:
    """WSGI middleware timing every request in app code, plus the thread (started in the worker) that watches."""

    def __init__(
        self,
        app: WSGIApp,
        timeout_s: float = DEFAULT_REQUEST_TIMEOUT_SECONDS,
        *,
        drain_s: float = DRAIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        stop_worker: Callable[[], None] | None = None,
        exit_process: Callable[[int], None] = os._exit,
    ) -> None:
        self.app, self.timeout_s, self.drain_s, self.clock = app, timeout_s, drain_s, clock
        self.stop_worker = stop_worker or (lambda: os.kill(os.getpid(), signal.SIGTERM))
        self.exit_process = exit_process
        self.lock = threading.Lock()
        self.running: dict[int, _Request] = {}
        self.thread: threading.Thread | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = _Request(threading.get_ident(), _describe(environ), since=self.clock())
        clock = _Clock(self, request)
        with self.lock:
            self.running[id(request)] = request
        if "wsgi.input" in environ:
            environ["wsgi.input"] = _Input(environ["wsgi.input"], clock)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            clock.stop()
            raise
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
            clock.stop()  # a file gunicorn sends with sendfile: no app code runs any more
            return body
        clock.pause()
        return _Body(body, clock)

    def start(self) -> threading.Thread | None:
        """Start watching (in the worker: threads do not survive gunicorn's fork). None when turned off."""
        if self.timeout_s <= 0 or self.thread is not None:
            return None
        self.thread = threading.Thread(target=self._watch, name="zerodash-watchdog", daemon=True)
        self.thread.start()
        return self.thread

    def stuck(self) -> list[tuple[_Request, float]]:
        now = self.clock()
        with self.lock:
            timed = [(request, request.elapsed(now)) for request in self.running.values()]
        return [(request, elapsed) for request, elapsed in timed if elapsed > self.timeout_s]

    def _watch(self) -> None:
        interval = min(1.0, max(self.timeout_s / 10, 0.05))
        while True:
            time.sleep(interval)
            stuck = self.stuck()
            if stuck:
                self.replace_worker(stuck)
                return

    def replace_worker(self, stuck: list[tuple[_Request, float]]) -> None:
        """Log where each stuck request is, let the others finish (up to drain_s), then exit the worker."""
        frames = sys._current_frames()
        for request, elapsed in stuck:
            frame = frames.get(request.thread)
            stack = "".join(traceback.format_stack(frame)) if frame is not None else "(thread gone)"
            _log_with_stack(
                logging.CRITICAL,
                "request %s stuck for %.1f s (REQUEST_TIMEOUT_SECONDS=%g): replacing the worker (pid %s); "
                "stack_info: where its thread is",
                (request.description, elapsed, self.timeout_s, os.getpid()),
                f"Stack (most recent call last):\n{stack}",
            )
        stuck_ids = {id(request) for request, _ in stuck}
        self.stop_worker()
        deadline = self.clock() + self.drain_s
        while self.clock() < deadline:
            with self.lock:
                others = [request for key, request in self.running.items() if key not in stuck_ids]
            if not others:
                break
            time.sleep(0.05)
        else:
            with self.lock:
                lost = [r.description for key, r in self.running.items() if key not in stuck_ids]
            if lost:
                logger.error("%d other request(s) still running after %g s, lost: %s", len(lost), self.drain_s, lost)
        for handler in logging.getLogger().handlers + logging.getLogger("gunicorn.error").handlers:
            handler.flush()
        self.exit_process(EXIT_STUCK)


def log_all_stacks(message: str) -> None:
    """One CRITICAL line: `message`, with every thread's stack (gunicorn's worker_abort hook)."""
    frames = sys._current_frames()
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    stacks = "".join(
        f"Thread {names.get(ident, ident)}:\n{''.join(traceback.format_stack(frame))}"
        for ident, frame in frames.items()
    )
    _log_with_stack(logging.CRITICAL, message, (), stacks)


def _log_with_stack(level: int, message: str, args: tuple[Any, ...], stack: str) -> None:
    """A log line whose stack_info is `stack` (another thread's), not the logging call's own."""
    record = logger.makeRecord(logger.name, level, __file__, 0, message, args, None, sinfo=stack.rstrip("\n"))
    logger.handle(record)


def _describe(environ: dict[str, Any]) -> str:
    path = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
    return f"{environ.get('REQUEST_METHOD', '?')} {path[:200]}"
