"""Debug off, whatever the environment or the app's code says: Werkzeug's debugger runs code sent by the
browser, and Dash's dev tools expose the callback graph and serve the large development bundles."""

from __future__ import annotations

from typing import Any


def force_debug_off(*, dash: Any | None = None, flask: Any | None = None) -> None:
    if flask is not None:
        flask.debug = False
    if dash is not None:
        dash.enable_dev_tools(
            debug=False,
            dev_tools_ui=False,
            dev_tools_props_check=False,
            dev_tools_serve_dev_bundles=False,
            dev_tools_hot_reload=False,
            dev_tools_silence_routes_logging=False,
            dev_tools_prune_errors=True,  # tracebacks of callback errors stay in the log, not in the browser
            dev_tools_validate_callbacks=False,
        )
