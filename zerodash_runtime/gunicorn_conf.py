"""gunicorn settings for app.py apps (a 0.5 vCPU, 1 GiB Fargate task by default); measured in bench/."""

import logging
import os

from zerodash_runtime.logs import configure_logging as _configure_logging
from zerodash_runtime.logs import logconfig_dict as _logconfig_dict
from zerodash_runtime.settings import RuntimeSettings, SettingsError

EXIT_BAD_SETTING = 2  # as for an app that does not import (zerodash_runtime/wsgi.py): the task cannot serve

try:
    _settings = RuntimeSettings.from_env()
except SettingsError as _error:
    # One JSON line naming the variable, before gunicorn has set its logging up; raised from here, a traceback
    # under gunicorn's "Failed to read config file" would bury it.
    _configure_logging(os.environ.get("APP_NAME") or "app")
    logging.getLogger("zerodash_runtime").critical("%s", _error)
    raise SystemExit(EXIT_BAD_SETTING) from None

bind = f"0.0.0.0:{_settings.port}"

# The master imports the app and loads its data once, before it listens and forks (zerodash_runtime/wsgi.py):
# the worker shares the loaded pages copy-on-write. One worker with threads: half a vCPU cannot run two
# processes' Python at once, so a second worker adds no throughput there, only its own heap and a second reload
# of every dataset. WEB_CONCURRENCY raises it for bigger tasks.
preload_app = True
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_class = "gthread"
# A thread is held for as long as its client takes to send the request: four clients sending a byte a second
# held all of 4 threads and a normal callback waited 20-25 s (issue 11). The ALB forwards requests as they
# arrive, so the task must absorb slow clients. Idle threads cost ~no memory (RSS unchanged at 300 MiB):
# 32 keep a normal user's callback p99 at ~7 ms under 8 slow clients and 4 x 100 MiB bodies
# (bench/perf/http_abuse.py). GUNICORN_THREADS raises it.
threads = int(os.environ.get("GUNICORN_THREADS", "32"))

timeout = 30
# gunicorn's request-line and header bounds, stated (its defaults): a longer line or header is refused with 4xx
# before the app runs. Bodies are bounded by zerodash_runtime/guard.py (MAX_REQUEST_BYTES).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
graceful_timeout = 20  # within ECS's 30 s stopTimeout, so in-flight requests finish before SIGKILL
# Longer than the ALB's 60 s idle timeout: the ALB must be the side that closes idle connections, or it may
# send a request on a connection gunicorn has just closed and answer the visitor with a 502.
keepalive = 75

# The control socket (for gunicornc) is of no use in a Fargate task and would need a writable $HOME.
control_socket_disable = True

# Workers heartbeat through a file in this directory; /dev/shm stays writable with a read-only root filesystem
# and no /tmp volume (gunicorn otherwise exits with "No usable temporary directory").
worker_tmp_dir = "/dev/shm"

# Every log line JSON on stdout, the access log included (logconfig_dict enables it; accesslog stays unset so
# gunicorn adds no plain-text handler of its own).
logconfig_dict = _logconfig_dict(_settings.app_name, _settings.log_level)
loglevel = _settings.log_level.lower()
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    from zerodash_runtime import wsgi  # imported by the master already (preload_app): nothing loads twice

    wsgi.start_in_worker()


def worker_abort(worker):
    """gunicorn's `timeout` fired (the worker's main loop froze, e.g. a C call holding the GIL): log every thread's
    stack before the worker exits, so the log says where it hung. A request thread stuck while the main loop runs
    is the watchdog's case (zerodash_runtime/watchdog.py), not this one."""
    from zerodash_runtime.watchdog import log_all_stacks

    log_all_stacks(f"worker (pid {worker.pid}) timed out after {worker.cfg.timeout} s (gunicorn timeout): replacing it")
