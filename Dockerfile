# ZeroDash Dash container: gunicorn serving dashapp.wsgi:server.
#
# BASE_IMAGE must provide `python3` with the venv module. The default is the
# official slim image; scripts/build_image.sh passes a debootstrap-built Debian
# bookworm base when no image can be pulled, and as RUNTIME_IMAGE a copy of it
# without package managers and the like. Both must hold the same python3 so the
# venv's interpreter symlinks stay valid in the final image.
ARG BASE_IMAGE=python:3.11-slim-bookworm
ARG RUNTIME_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS builder
# Optional package index mirror, empty by default so nothing machine-specific is baked in.
ARG PIP_INDEX_URL=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/venv
COPY dashapp/requirements.txt /tmp/requirements.txt
# An optional CA bundle (secret "pip_cert") lets pip work behind a TLS-intercepting
# proxy without the certificate ending up in any layer. pip and setuptools are removed
# afterwards: only the build needs them (dash declares setuptools but never imports it).
RUN --mount=type=secret,id=pip_cert \
    if [ -s /run/secrets/pip_cert ]; then export PIP_CERT=/run/secrets/pip_cert; fi; \
    if [ -z "${PIP_INDEX_URL:-}" ]; then unset PIP_INDEX_URL; fi; \
    /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt \
    && /opt/venv/bin/python -m pip uninstall --yes setuptools pip
# binutils for `strip`, in this stage only: the final stage has no build tools.
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null
# What the app never loads, ~190 MB less to pull on a cold start:
# - test suites, C/Cython sources and headers, type stubs, static libraries;
# - pyarrow's Flight, S3/GCS/Azure/HDFS filesystems (data comes through botocore), ORC, Parquet encryption,
#   Substrait's Python module and its C++ test module (the libraries pyarrow.lib links against stay);
# - botocore's models of every service but S3 and the ones its credential providers call;
# - plotly's Jupyter extension and widget bundle (its plotly.min.js stays: Dash serves it to dcc.Graph);
# - dash's source maps (dynamic resources: only a browser's dev tools ask for them) and its development
#   bundles (only served with debug=True, which dashapp forbids);
# - debug symbols in pyarrow's shared libraries (not in auditwheel-patched ones like numpy.libs: strip breaks
#   their ELF layout);
# - the sources of the installed packages: each is byte-compiled next to its source (compileall -b) and the
#   source removed, so imports need no writable cache (tracebacks still give file, line and function).
RUN set -eu; cd /opt/venv/lib/python3*/site-packages; \
    find pandas numpy pyarrow -type d \( -name tests -o -name include -o -name includes -o -name src \) \
        -prune -exec rm -rf {} +; \
    find . -type f \( -name '*.pyx' -o -name '*.pxi' -o -name '*.pxd' -o -name '*.h' -o -name '*.hpp' \
        -o -name '*.cc' -o -name '*.cpp' -o -name '*.a' -o -name '*.pyi' \) -delete; \
    rm -rf pyarrow/libarrow_flight.so* pyarrow/_flight.* pyarrow/flight.py pyarrow/libarrow_python_flight.so* \
        pyarrow/libarrow_s3.so* pyarrow/_s3fs.* pyarrow/_gcsfs.* pyarrow/_azurefs.* pyarrow/_hdfs.* \
        pyarrow/_orc.* pyarrow/orc.py pyarrow/_dataset_orc.* pyarrow/_parquet_encryption.* \
        pyarrow/_dataset_parquet_encryption.* pyarrow/libarrow_python_parquet_encryption.so* \
        pyarrow/_substrait.* pyarrow/substrait.py pyarrow/_pyarrow_cpp_tests.* \
        pyarrow/libarrow_python.so pyarrow/libarrow_python.so.*.*.*; \
    find botocore/data -mindepth 1 -maxdepth 1 -type d ! -name s3 ! -name sts ! -name sso ! -name sso-oidc \
        -exec rm -rf {} +; \
    rm -f botocore/data/s3/*/examples-1.json; \
    rm -rf plotly/labextension plotly/package_data/widgetbundle.js; \
    find dash -name '*.js.map' -delete; \
    rm -f dash/dash-renderer/build/*.dev.js dash/dcc/proptypes.js; \
    for f in dash/deps/*.js; do case $f in *.min.js) ;; *) if [ -f "${f%.js}.min.js" ]; then rm "$f"; fi ;; esac; done; \
    find pyarrow -type f -name '*.so*' -exec strip --strip-unneeded {} +; \
    find . -name __pycache__ -type d -prune -exec rm -rf {} +; \
    /opt/venv/bin/python -m compileall -q -b . >/dev/null || true; \
    find . -type f -name '*.py' -exec sh -c 'for f; do if [ -f "${f}c" ]; then rm "$f"; fi; done' sh {} +

FROM ${RUNTIME_IMAGE}
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
