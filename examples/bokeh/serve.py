"""Serve the sliders app with Bokeh's server, the way ZeroDash runs a Dockerfile app.

    PORT=8050 URL_PREFIX=/sales/ python3 serve.py

- listens on $PORT (default 8050) on every interface;
- serves everything under $URL_PREFIX (Bokeh's `prefix`): the page at <prefix>, its WebSocket at <prefix>ws;
- answers <prefix>health with 200 itself (the load balancer's health check: Bokeh's server has none) and
  <prefix>robots.txt (crawlers must not wake a sleeping app).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.server.server import Server
from tornado.web import RequestHandler

import sliders

logger = logging.getLogger("serve")

ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


class HealthHandler(RequestHandler):
    """200 once the server listens: the app holds no data that could still be loading."""

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.write({"status": "ok"})


class RobotsHandler(RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.write(ROBOTS_TXT)


def bokeh_prefix(url_prefix: str) -> str:
    """URL_PREFIX "/" or "/sales/" as Bokeh wants it: "" or "/sales"."""
    inner = url_prefix.strip().strip("/")
    return f"/{inner}" if inner else ""


def make_server(env: Mapping[str, str], *, address: str = "0.0.0.0") -> Server:
    prefix = bokeh_prefix(env.get("URL_PREFIX", "/"))
    port = int(env.get("PORT", "8050"))
    return Server(
        {"/": Application(FunctionHandler(sliders.build))},
        address=address,
        port=port,
        prefix=prefix,
        num_procs=1,
        # Bokeh refuses a WebSocket whose Origin it does not know. The app is reached through the load
        # balancer's DNS name, known only once deployed (or a custom domain added later), so every origin
        # is allowed; the session still needs the token its page hands out.
        allow_websocket_origin=["*"],
        # Behind the load balancer: client address and scheme from X-Forwarded-For / X-Forwarded-Proto.
        use_xheaders=True,
        # Bokeh's server pings each WebSocket every 37 s by default, inside the load balancer's 60 s idle
        # timeout, so an open tab's connection is not cut while it is idle. Pings are not requests: the
        # load balancer counts a WebSocket once, when it opens, so an open tab does not keep the app awake.
        extra_patterns=[("/health", HealthHandler), ("/robots.txt", RobotsHandler)],
    )


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper(), format="%(levelname)s %(name)s: %(message)s")
    server = make_server(os.environ)
    server.start()
    logger.info("Serving on port %s under %s/", server.port, server.prefix)
    server.io_loop.start()


if __name__ == "__main__":
    main()
