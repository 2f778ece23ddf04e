"""Mount a WSGI app under URL_PREFIX: "/sales/page" reaches the app as SCRIPT_NAME="/sales", PATH_INFO="/page".

An app written for "/" then builds its links under the prefix (Flask's url_for reads SCRIPT_NAME) while its
routes stay those it declared. Requests outside the prefix go to `outside` (404 unless told otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[..., Iterable[bytes]]
StartResponse = Callable[..., Any]


def not_found(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    body = b"Not Found\n"
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class PrefixMount:
    def __init__(self, app: WSGIApp, prefix: str, *, outside: WSGIApp = not_found) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")  # "" for "/": everything passes through unchanged
        self.outside = outside

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self.prefix:
            return self.app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path == self.prefix:  # "/sales" -> "/sales/", so relative links resolve inside the prefix
            query = environ.get("QUERY_STRING")
            location = f"{environ.get('SCRIPT_NAME', '')}{self.prefix}/" + (f"?{query}" if query else "")
            start_response("308 Permanent Redirect", [("Location", location), ("Content-Length", "0")])
            return [b""]
        if not path.startswith(self.prefix + "/"):
            return self.outside(environ, start_response)
        environ = {**environ, "SCRIPT_NAME": environ.get("SCRIPT_NAME", "") + self.prefix}
        environ["PATH_INFO"] = path[len(self.prefix) :]
        return self.app(environ, start_response)
