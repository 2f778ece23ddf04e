"""gunicorn settings for the Dash container (a 0.5 vCPU, 1 GiB Fargate task by default)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8050')}"

# Half a vCPU runs one process at a time; two workers keep the app answering while one is busy or being
# recycled, and each gthread worker's 4 threads overlap the I/O waits (network, S3) of concurrent requests
# without the memory of more processes (each worker holds its own copy of the data).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4

timeout = 30
graceful_timeout = 20  # within ECS's 30 s stopTimeout, so in-flight requests finish before SIGKILL
# Longer than the ALB's 60 s idle timeout: the ALB must be the side that closes idle connections, or it may
# send a request on a connection gunicorn has just closed and answer the visitor with a 502.
keepalive = 75

# The control socket (for gunicornc) is of no use in a Fargate task and would need a writable $HOME.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
# Client address (the ALB puts it in X-Forwarded-For), request line, status, bytes, duration in ms.
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms'
