# ZeroDash Dash container: gunicorn serving dashapp.wsgi:server.
#
# BASE_IMAGE must provide `python3` with the venv module. The default is the
# official slim image; scripts/build_image.sh passes a debootstrap-built Debian
# bookworm base when no image can be pulled. Both stages use the same base so
# the venv's interpreter symlinks stay valid in the final image.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS builder
# Optional package index mirror, empty by default so nothing machine-specific is baked in.
ARG PIP_INDEX_URL=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/venv
COPY dashapp/requirements.txt /tmp/requirements.txt
# An optional CA bundle (secret "pip_cert") lets pip work behind a TLS-intercepting
# proxy without the certificate ending up in any layer. pip byte-compiles while
# installing, so the read-only runtime never needs to write .pyc files. pip is
# removed afterwards because only the build needs it (setuptools stays: dash declares it).
RUN --mount=type=secret,id=pip_cert \
    if [ -s /run/secrets/pip_cert ]; then export PIP_CERT=/run/secrets/pip_cert; fi; \
    if [ -z "${PIP_INDEX_URL:-}" ]; then unset PIP_INDEX_URL; fi; \
    /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt \
    && /opt/venv/bin/python -m pip uninstall --yes pip
# The test suites and C headers inside these wheels are never used at runtime: ~80 MB less to pull on a
# cold start.
RUN find /opt/venv/lib/python3*/site-packages/pandas /opt/venv/lib/python3*/site-packages/numpy \
        /opt/venv/lib/python3*/site-packages/pyarrow \
        -type d \( -name tests -o -name include \) -prune -exec rm -rf {} +

FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PORT=8050
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY dashapp/ /app/dashapp/
RUN python3 -m compileall -q /app/dashapp
USER 10001:10001
EXPOSE 8050
ENTRYPOINT ["gunicorn", "-c", "dashapp/gunicorn.conf.py"]
CMD ["dashapp.wsgi:server"]
