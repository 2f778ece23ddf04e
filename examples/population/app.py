"""`create_app(settings)`: the Dash app with its page, callbacks, /health and robots.txt, loading its data."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pandas as pd
from dash import Dash
from flask import Flask

from dashapp import layout
from dashapp.callbacks import register_callbacks
from dashapp.data import REQUIRED_COLUMNS, Dataset, fetch_dataset
from dashapp.health import register_health
from dashapp.robots import register_robots
from dashapp.settings import Settings
from dashapp.store import DataStore, load_in_background, load_into

logger = logging.getLogger(__name__)

# flask-compress (Dash's compress=True) for what compresses well: the JS bundles (plotly.js is 4.6 MB, 1.4 MB
# with gzip), CSS, the page and JSON such as the layout (the dropdown lists every country). Brotli where the
# browser takes it, else gzip. Bodies under 4 KB are sent as they are: a callback's figure of one country
# (~2.5 KB) would save ~1.5 KB for ~90 us of the half vCPU, ~10% of the callback throughput.
COMPRESSION_CONFIG = {
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript", "application/json"],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 4,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 4096,
}


def create_app(
    settings: Settings,
    *,
    store: DataStore | None = None,
    load_data: Callable[[], pd.DataFrame] | None = None,
    wait_for_data: bool = False,
) -> Dash:
    """Build the app and load its data: in the background by default, so the server answers at once
    (/health 503 "loading"), or before returning with `wait_for_data` (gunicorn's master before it forks).

    `store` and `load_data` default to a new store and reading s3://BUCKET_NAME/DATA_KEY; tests pass their own.
    """
    store = store or DataStore()
    server = Flask(__name__)
    server.config.update(COMPRESSION_CONFIG)  # read once, when Dash sets flask-compress up
    app = Dash(
        __name__,
        server=server,
        compress=True,
        title=settings.app_title,
        routes_pathname_prefix=settings.url_prefix,
        requests_pathname_prefix=settings.url_prefix,
        add_log_handler=False,  # log through the root logger like the rest of the app
        enable_mcp=False,
    )
    _disable_debug(app)
    app.validation_layout = layout.validation_layout(settings.app_title)
    app.layout = lambda: layout.page(store.snapshot(), settings.app_title)
    register_callbacks(app, store)
    register_health(app.server, store, settings.url_prefix)
    register_robots(app.server, settings.url_prefix)

    load = s3_loader(settings) if load_data is None else (lambda: Dataset(load_data(), None))
    if wait_for_data:
        load_into(store, load)
    else:
        load_in_background(store, load)
        logger.info("Loading data in the background")
    logger.info("App %r created under %s", settings.app_title, settings.url_prefix)
    return app


def s3_loader(settings: Settings) -> Callable[[], Dataset]:
    """Read s3://BUCKET_NAME/DATA_KEY, keeping only the columns the dashboard draws."""
    return lambda: fetch_dataset(settings.bucket_name, settings.data_key, columns=REQUIRED_COLUMNS)


def _disable_debug(app: Dash) -> None:
    # FLASK_DEBUG and DASH_* environment variables would otherwise switch debug features on in production.
    app.server.debug = False
    app.enable_dev_tools(
        debug=False,
        dev_tools_ui=False,
        dev_tools_props_check=False,
        dev_tools_serve_dev_bundles=False,
        dev_tools_hot_reload=False,
        dev_tools_silence_routes_logging=False,
        dev_tools_prune_errors=False,
        dev_tools_validate_callbacks=False,
    )
