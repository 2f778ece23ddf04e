"""Load every registered dataset (gunicorn's master, before it forks) and keep them fresh (in the worker)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

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


def start_reloaders(
    interval_seconds: float | None = None, stop: threading.Event | None = None
) -> threading.Thread | None:
    """One daemon thread that checks every dataset's ETag each DATA_RELOAD_SECONDS and reloads what changed.

    Threads do not survive fork: call this in the process that serves. None when the interval is 0."""
    interval = RuntimeSettings.from_env().data_reload_seconds if interval_seconds is None else interval_seconds
    if interval <= 0:
        return None
    stop = stop or threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            for dataset in REGISTRY.all():  # datasets created after start-up are watched too
                try:
                    dataset.reload_if_changed()
                except Exception:  # the watcher must survive anything and try again next interval
                    logger.exception("checking %s for a new version failed", dataset.key)

    thread = threading.Thread(target=run, name="data-reloader", daemon=True)
    thread.start()
    return thread
