"""Load every registered dataset (gunicorn's master, before it forks) and keep them fresh (in the worker)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from zerodash_runtime.data.dataset import REGISTRY, Dataset
from zerodash_runtime.settings import RuntimeSettings

logger = logging.getLogger(__name__)


def load_all(max_parallel: int = 4) -> None:
    """Load every registered dataset not loaded yet, a few at once, and return when all are done.

    The pool's threads are gone on return, so gunicorn can fork safely right after."""
    pending = [dataset for dataset in REGISTRY.all() if dataset.state.loaded_at is None]
    if not pending:
        return
    with ThreadPoolExecutor(max_workers=min(max_parallel, len(pending)), thread_name_prefix="data-load") as pool:
        list(pool.map(Dataset.load, pending))


# How long a new worker waits for its first check (a HEAD per dataset, and the reload of what changed since the
# master loaded it) before it serves: under gunicorn's 30 s worker timeout, so a slow S3 cannot get it killed.
FIRST_CHECK_SECONDS = 20.0


def start_reloaders(
    interval_seconds: float | None = None,
    stop: threading.Event | None = None,
    first_check_seconds: float = FIRST_CHECK_SECONDS,
) -> threading.Thread | None:
    """One daemon thread that checks every dataset's ETag each DATA_RELOAD_SECONDS and reloads what changed.

    A worker gunicorn forks to replace one that died inherits the data the master loaded at boot, older than what
    the dead worker served if a reload happened since. So when any dataset was loaded an interval ago or more (or
    never), the first check runs at once and this returns when it is done (or after `first_check_seconds`): the
    worker never serves older data than the one it replaces. A worker forked at boot, with data younger than an
    interval, cannot be behind (no worker has checked yet) and answers at once: a wake does not wait for an S3
    client and a HEAD request. Threads do not survive fork: call this in the process that serves. None when the
    interval is 0 (no reloads: every worker serves the master's data)."""
    interval = RuntimeSettings.from_env().data_reload_seconds if interval_seconds is None else interval_seconds
    if interval <= 0:
        return None
    stop = stop or threading.Event()
    first_done = threading.Event()

    def check_all() -> None:
        for dataset in REGISTRY.all():  # datasets created after start-up are watched too
            try:
                dataset.reload_if_changed()
            except Exception:  # the watcher must survive anything and try again next interval
                logger.exception("checking %s for a new version failed", dataset.key)

    behind = _may_be_behind(interval)

    def run() -> None:
        try:
            if behind:
                check_all()
        finally:
            first_done.set()
        while not stop.wait(interval):
            check_all()

    thread = threading.Thread(target=run, name="data-reloader", daemon=True)
    thread.start()
    if behind and not first_done.wait(first_check_seconds):
        logger.warning(
            "the first check for new data takes over %.0f s: serving the data at hand meanwhile", first_check_seconds
        )
    return thread


def _may_be_behind(interval: float) -> bool:
    """Whether some dataset's version is an interval old or more (or missing): another worker may have reloaded."""
    now = datetime.now(UTC)
    return any(
        dataset.state.loaded_at is None or (now - dataset.state.loaded_at).total_seconds() >= interval
        for dataset in REGISTRY.all()
    )
