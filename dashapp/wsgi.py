"""The gunicorn entry point: `gunicorn -c dashapp/gunicorn.conf.py dashapp.wsgi:server`.

gunicorn imports this module once, in its master, before it forks the worker (preload_app): the data is
loaded here, before the server listens, and the worker inherits it. A failed load still starts the server,
which then explains the failure on the page and on /health.
"""

from __future__ import annotations

import gc

# Start-up makes only long-lived objects (modules, the data): collecting garbage while importing them is
# wasted time on a cold start (~10% of the imports). prepare_for_fork() turns the collector back on.
gc.disable()

import functools  # noqa: E402
import threading  # noqa: E402

from dashapp.app import create_app, s3_loader  # noqa: E402
from dashapp.data import object_etag, s3_client  # noqa: E402
from dashapp.logging_setup import configure_logging  # noqa: E402
from dashapp.memory import prepare_for_fork  # noqa: E402
from dashapp.reloader import watch_for_changes  # noqa: E402
from dashapp.settings import Settings  # noqa: E402
from dashapp.store import DataStore  # noqa: E402

settings = Settings.from_env()
configure_logging(settings.log_level)
store = DataStore()
app = create_app(settings, store=store, wait_for_data=True)
server = app.server
prepare_for_fork()


def start_reloading() -> threading.Thread | None:
    """Watch the S3 object and reload it when it changes; call it in the process that serves (after fork).

    Threads do not survive fork, so gunicorn's post_worker_init hook calls this in the worker.
    """
    # The worker's own client (connections are not shared across fork), made on the first check, in the
    # reloader's thread: making it here would delay the worker's first answer by a quarter of a second.
    client = functools.cache(s3_client)
    return watch_for_changes(
        store,
        current_etag=lambda: object_etag(settings.bucket_name, settings.data_key, s3=client()),
        load=s3_loader(settings),
        interval_seconds=settings.data_reload_seconds,
    )
