"""The gunicorn entry point: `gunicorn -c zerodash_runtime/gunicorn_conf.py zerodash_runtime.wsgi:application`.

gunicorn imports this module once, in its master, before it listens and forks (preload_app): the user's app
is imported and its datasets loaded here, and the worker inherits both.

An app that does not import ends the process (exit 2) after logging the one-line reason. Serving /health 503
instead was considered: the task would then run until the ALB's health checks fail, ECS would stop it with
"Task failed ELB health checks" (misleading) and a deploy would only roll back after the grace period. Exiting
makes ECS stop the task at once with "Essential container in task exited" and exit code 2, the deployment
circuit breaker counts the failure immediately, and the reason is the last line of the task's log. Data that
fails to load is different: the app imported, the data may be fixed by an upload, so the server keeps running
and /health says why (503) until a reload succeeds.
"""

from __future__ import annotations

import gc

# Start-up makes mostly long-lived objects (modules, data): collecting garbage while importing them is wasted
# time on a cold start (~10% of the population example's imports). prepare_for_fork() turns the collector back on.
gc.disable()

import logging  # noqa: E402
import threading  # noqa: E402

from zerodash_runtime.data import datasets, load_all, start_reloaders  # noqa: E402
from zerodash_runtime.debug import force_debug_off  # noqa: E402
from zerodash_runtime.health import Report, health_report  # noqa: E402
from zerodash_runtime.loader import AppLoadError, load_app, prepare_environment  # noqa: E402
from zerodash_runtime.logs import configure_logging  # noqa: E402
from zerodash_runtime.memory import prepare_for_fork  # noqa: E402
from zerodash_runtime.server import build_application  # noqa: E402
from zerodash_runtime.settings import RuntimeSettings  # noqa: E402
from zerodash_runtime.watchdog import Watchdog  # noqa: E402

EXIT_APP_LOAD = 2
logger = logging.getLogger("zerodash_runtime")

settings = RuntimeSettings.from_env()
configure_logging(settings.app_name, settings.log_level)
prepare_environment(settings)
try:
    loaded = load_app(settings)
except AppLoadError as error:
    gc.enable()
    logger.critical("%s", error, exc_info=error.__cause__)  # one JSON line: the reason, then the traceback
    raise SystemExit(EXIT_APP_LOAD) from None
force_debug_off(dash=loaded.dash, flask=loaded.flask)
for warning in loaded.warnings:
    logger.warning("%s", warning)
load_all()


def report() -> Report:
    return health_report((dataset.key, dataset.state) for dataset in datasets())


# Outermost: a request stuck anywhere (the app, /health) gets its worker replaced (zerodash_runtime/watchdog.py).
watchdog = Watchdog(build_application(loaded, settings, report), settings.request_timeout_seconds)
application = watchdog
prepare_for_fork()
logger.info("serving %s under %s (health at %s)", loaded.describe(), settings.url_prefix, settings.health_path)


def start_in_worker() -> threading.Thread | None:
    """gunicorn's post_worker_init: threads do not survive fork; the reloader and the watchdog start here."""
    watchdog.start()
    return start_reloaders(settings.data_reload_seconds)
