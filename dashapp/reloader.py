"""Reload the data when its S3 object changes: poll the ETag, load a new version aside, swap it in.

The server keeps serving the current data while a new version loads, and keeps it if the new version fails
(the failure is reported on /health as `reload_error`). A task whose first load failed recovers the same way
once a fixed file is uploaded, with no restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from dashapp.data import DataLoadError, Dataset
from dashapp.store import DataStore, load_into

logger = logging.getLogger(__name__)


def watch_for_changes(
    store: DataStore,
    *,
    current_etag: Callable[[], str],
    load: Callable[[], Dataset],
    interval_seconds: float,
    stop: threading.Event | None = None,
) -> threading.Thread | None:
    """Every `interval_seconds`, reload when `current_etag()` differs from the version last tried.

    Returns the daemon thread, or None when `interval_seconds` is 0 (reloading disabled).
    """
    if interval_seconds <= 0:
        return None
    stop = stop or threading.Event()

    def run() -> None:
        tried = store.snapshot().etag  # a bad version is tried once, not downloaded again every interval
        check_error: str | None = None  # shown on /health until a check succeeds again
        while not stop.wait(interval_seconds):
            try:
                etag = current_etag()
            except DataLoadError as error:
                check_error = str(error)
            except Exception as error:  # the watcher must survive anything and try again next interval
                check_error = f"unexpected error while checking the data ({type(error).__name__}: {error})"
            else:
                if check_error is not None:
                    store.clear_reload_error(check_error)
                    check_error = None
                    if store.snapshot().data is None:
                        tried = None  # the check's error replaced the load's: load again to show the real state
            if check_error is not None:
                logger.warning("Cannot check the data for changes: %s", check_error)
                store.set_failed(check_error)
                continue
            if etag == tried:
                continue
            tried = etag
            logger.info("The data changed (ETag %s): reloading", etag)
            load_into(store, load)

    thread = threading.Thread(target=run, name="data-reloader", daemon=True)
    thread.start()
    return thread
