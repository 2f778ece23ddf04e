"""gunicorn settings for the Dash container (a 0.5 vCPU, 1 GiB Fargate task by default)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8050')}"

# The master imports the app and loads the data once, before it listens and forks (dashapp/wsgi.py): the
# worker shares the loaded pages copy-on-write, and /health is not answered until the data is in (fine for
# the ALB, which only counts answers). One worker with threads: half a vCPU cannot run two processes' Python
# at once, so a second worker adds no throughput there, while it adds its own heap and a second reload of
# the file on every change. bench/perf, 1.7M rows: PSS 204 MiB with 1 worker, 234 MiB with 2; callbacks
# 1284 vs 1804 req/s, but only because the bench machine has 2 free cores. WEB_CONCURRENCY raises it.
preload_app = True
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_class = "gthread"
threads = 4

timeout = 30
graceful_timeout = 20  # within ECS's 30 s stopTimeout, so in-flight requests finish before SIGKILL
# Longer than the ALB's 60 s idle timeout: the ALB must be the side that closes idle connections, or it may
# send a request on a connection gunicorn has just closed and answer the visitor with a 502.
keepalive = 75

# The control socket (for gunicornc) is of no use in a Fargate task and would need a writable $HOME.
control_socket_disable = True

# Workers heartbeat through a file in this directory; /dev/shm stays writable when the task runs with a
# read-only root filesystem and no /tmp volume (gunicorn otherwise exits with "No usable temporary directory").
worker_tmp_dir = "/dev/shm"

accesslog = "-"
errorlog = "-"
# Client address (the ALB puts it in X-Forwarded-For), request line, status, bytes, duration in ms.
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    # Threads do not survive fork: the data reloader starts in each worker, not in the master.
    from dashapp import wsgi  # already imported by the master (preload_app): no second load

    wsgi.start_reloading()
