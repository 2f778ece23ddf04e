"""Population by country: pick a country, see its population over the years (plotly's gapminder data).

A user app as ZeroDash hosts it: a module-level Dash `app` written for "/". The runtime serves it under the
app's path, answers /health (200 once the data is loaded), keeps debug off and logs as JSON; the data comes
from the app's data/ directory through `zerodash_runtime.data.Dataset` (see dataset.py).
"""

from __future__ import annotations

import os
from html import escape

from dash import Dash
from flask import Flask

import layout
from callbacks import register_callbacks
from dataset import snapshot

TITLE = os.environ.get("APP_TITLE", "").strip() or "Population by country"

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

server = Flask(__name__)
server.config.update(COMPRESSION_CONFIG)  # read once, when Dash sets flask-compress up
app = Dash(
    __name__,
    server=server,
    compress=True,
    # Dash writes `title` into the index's <title> as it is (dash 4.4): escaped here, since titles are free
    # text. Components (the H1 in layout.py) are rendered by React, which escapes their text itself.
    title=escape(TITLE),
    add_log_handler=False,  # log through the root logger, which the runtime writes as JSON
    enable_mcp=False,  # no MCP endpoint for AI agents: this dashboard is for people
)
app.validation_layout = layout.validation_layout(TITLE)
# A function: each page load shows the data as it is now (loading, failed, or the dashboard).
app.layout = lambda: layout.page(snapshot(), TITLE)
register_callbacks(app, snapshot)
