"""A WSGI guard in front of the user's app: what a client controls never reaches it in a shape that ends in a 500.

- Bodies are bounded: a Content-Length above MAX_REQUEST_BYTES (default 1 MiB; a Dash callback body is a few
  hundred bytes, the population example's largest under 1 KB) is answered 413 without reading it, and a chunked
  body is counted while it is read and refused as soon as it passes the limit. The connection then closes, so
  gunicorn never drains the rest.
- Dash's callback route (`_dash-update-component`) gets only a body of the shape Dash's renderer sends: a JSON
  object whose `output` names a registered callback, with `outputs`, `inputs` and `state` lists of
  {"id", "property"} matching that callback's declaration. Anything else is answered 400 with a short JSON
  reason; Dash would raise KeyError or TypeError from its dispatch and answer 500, counted by the 5xx alarm.
- `_dash-component-suites/<package>/<path>` for a file Dash has not registered is answered 404 (Dash raises).

An exception in the user's callback is the app's bug: it still reaches Dash and stays a 500 in the log.
"""

from __future__ import annotations

import io
import json
from collections import ChainMap
from collections.abc import Iterable, Mapping
from typing import Any

from zerodash_runtime.prefix import StartResponse, WSGIApp

MAX_ID_CHARS = 4096  # a callback id or component id longer than this is no page's
UPDATE_ROUTE = "_dash-update-component"
SUITES_ROUTE = "_dash-component-suites/"
_READ_STEP = 64 * 1024


class BadRequest(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def refuse(start_response: StartResponse, status: str, reason: str, *, close: bool = False) -> list[bytes]:
    body = json.dumps({"error": reason}).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")]
    if close:
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [body]


class RequestGuard:
    """Wrap `app` (the user's WSGI app, mounted: PATH_INFO relative to it). `dash` is the app's Dash, if any;
    `routes_prefix` its routes_pathname_prefix ("/" under the runtime's mount)."""

    def __init__(self, app: WSGIApp, *, max_bytes: int, dash: Any = None, routes_prefix: str = "/") -> None:
        self.app, self.max_bytes, self.dash = app, max_bytes, dash
        prefix = "/" + routes_prefix.strip("/") + "/" if routes_prefix.strip("/") else "/"
        self.update_path = prefix + UPDATE_ROUTE
        self.suites_path = prefix + SUITES_ROUTE

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            self._bound_body(environ)
            path = environ.get("PATH_INFO", "")
            if self.dash is not None:
                if path == self.update_path and environ.get("REQUEST_METHOD") == "POST":
                    self._check_callback(environ)
                elif path.startswith(self.suites_path) and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
                    self._check_suite(path[len(self.suites_path) :])
        except BadRequest as error:
            return refuse(start_response, error.status, error.reason, close=error.status.startswith("413"))
        return self.app(environ, start_response)

    # --- body size -------------------------------------------------------------------------------------------

    def _bound_body(self, environ: dict[str, Any]) -> None:
        length = (environ.get("CONTENT_LENGTH") or "").strip()
        too_big = f"request body over {self.max_bytes} bytes"
        if length:
            if not length.isdigit():
                raise BadRequest("400 Bad Request", "invalid Content-Length")
            if int(length) > self.max_bytes:
                raise BadRequest("413 Content Too Large", too_big)
            return
        if "chunked" not in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower():
            return
        # Chunked: read it here, counting, and hand the app a body of known length.
        stream, chunks, total = environ["wsgi.input"], [], 0
        while chunk := stream.read(_READ_STEP):
            total += len(chunk)
            if total > self.max_bytes:
                raise BadRequest("413 Content Too Large", too_big)
            chunks.append(chunk)
        body = b"".join(chunks)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)

    # --- Dash's routes ---------------------------------------------------------------------------------------

    def _check_callback(self, environ: dict[str, Any]) -> None:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)  # the app reads the same bytes
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise BadRequest("400 Bad Request", "the body is not JSON") from None
        check_callback_body(body, _callbacks(self.dash))

    def _check_suite(self, rest: str) -> None:
        package, _, fingerprinted = rest.partition("/")
        try:
            from dash.fingerprint import check_fingerprint

            path = check_fingerprint(fingerprinted)[0]
        except Exception:
            return
        if path not in self.dash.registered_paths.get(package, ()):
            raise BadRequest("404 Not Found", "no such component file")


def _callbacks(dash: Any) -> Mapping[str, Any]:
    """The app's callbacks: its own map, and those declared with dash.callback that Dash moves into it on the
    first request (the guard may run before that)."""
    try:
        from dash._callback import GLOBAL_CALLBACK_MAP
    except ImportError:  # pragma: no cover - another Dash layout: its own map only
        return dash.callback_map
    return ChainMap(dash.callback_map, GLOBAL_CALLBACK_MAP)


def check_callback_body(body: Any, callback_map: Mapping[str, Any]) -> None:
    """Raise BadRequest unless `body` has the shape Dash's renderer posts for a callback in `callback_map`."""
    bad = "400 Bad Request"
    if not isinstance(body, dict):
        raise BadRequest(bad, "a callback body is a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or not output or len(output) > MAX_ID_CHARS:
        raise BadRequest(bad, "'output' must be a callback id")
    callback = callback_map.get(output)
    if callback is None:
        raise BadRequest(bad, "no callback for this 'output'")
    for key in ("inputs", "state"):
        items = body.get(key, [] if key == "state" else None)
        declared = callback.get(key) or []
        if not isinstance(items, list) or len(items) != len(declared):
            raise BadRequest(bad, f"'{key}' must list the callback's {len(declared)} {key}")
        for item in items:
            _check_dependency(item, key)
    outputs = body.get("outputs")
    if not callback.get("no_output"):
        multi = output.startswith("..")
        if outputs is None or multi != isinstance(outputs, list):
            raise BadRequest(bad, "'outputs' does not match the callback's outputs")
        items = outputs if multi else [outputs]
        if multi and len(items) != output.count("...") + 1:
            raise BadRequest(bad, "'outputs' does not match the callback's outputs")
        for item in items:
            _check_dependency(item, "outputs")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(x, str) and len(x) <= MAX_ID_CHARS for x in changed):
        raise BadRequest(bad, "'changedPropIds' must be a list of ids")


def _check_dependency(item: Any, key: str) -> None:
    """One entry of inputs/state/outputs: {"id", "property", ...}, or a list of them (pattern-matching ALL)."""
    for entry in item if isinstance(item, list) else [item]:
        if not isinstance(entry, dict):
            raise BadRequest("400 Bad Request", f"'{key}' entries are objects with 'id' and 'property'")
        ident, prop = entry.get("id"), entry.get("property")
        if not isinstance(ident, (str, dict)) or not isinstance(prop, str):
            raise BadRequest("400 Bad Request", f"'{key}' entries are objects with 'id' and 'property'")
        if len(ident if isinstance(ident, str) else json.dumps(ident)) > MAX_ID_CHARS or len(prop) > MAX_ID_CHARS:
            raise BadRequest("400 Bad Request", f"an id in '{key}' is too long")
