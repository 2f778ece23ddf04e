"""Put the runtime around the user's WSGI app: mounted under URL_PREFIX, with /health, robots.txt and the page
scripts answered by the runtime's own small Flask app, so the user's app is never modified for them (an app that
routes /health itself keeps its own), and the security headers on every response (zerodash_runtime/headers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask

from zerodash_runtime.guard import RequestGuard
from zerodash_runtime.headers import SecurityHeaders
from zerodash_runtime.health import Report, add_health
from zerodash_runtime.loader import LoadedApp
from zerodash_runtime.page_scripts import ATTENTION, LOGIN, PageScript
from zerodash_runtime.prefix import PrefixMount, StartResponse, WSGIApp, not_found
from zerodash_runtime.robots import add_robots
from zerodash_runtime.settings import RuntimeSettings

ROBOTS = "/robots.txt"


class Dispatch:
    """Send the runtime's own paths to the runtime, everything else to the app."""

    def __init__(self, runtime: WSGIApp, app: WSGIApp, runtime_paths: Iterable[str]) -> None:
        self.runtime, self.app, self.paths = runtime, app, frozenset(runtime_paths)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = self.runtime if environ.get("PATH_INFO", "") in self.paths else self.app
        return target(environ, start_response)


def build_application(loaded: LoadedApp, settings: RuntimeSettings, report: Callable[[], Report]) -> WSGIApp:
    """The WSGI app gunicorn serves: `loaded` under URL_PREFIX plus the runtime's routes."""
    prefix = settings.url_prefix
    here = str(Path(__file__).parent)  # given, so Flask never searches sys.path for it
    runtime = Flask(__name__, root_path=here, instance_path=here, static_folder=None)
    inside = {ROBOTS}
    outside = {ROBOTS}  # crawlers only ever ask for /robots.txt at the root
    health = settings.health_path
    if health.startswith(prefix):
        inner = "/" + health[len(prefix) :]
        if not _app_routes(loaded, inner):
            inside.add(inner)
    else:  # a health path outside the prefix (the ALB checks the target directly, any path reaches it)
        outside.add(health)
    for path in (inside | outside) - {ROBOTS}:
        add_health(runtime, path, report)
    add_robots(runtime, ROBOTS)
    if loaded.dash is not None:
        scripts: list[tuple[PageScript, dict[str, str]]] = []
        if settings.attention_seconds > 0:
            scripts.append((ATTENTION, {"idle": f"{settings.attention_seconds:g}"}))
        if settings.login_required:
            scripts.append((LOGIN, {}))
        for script, query in scripts:
            script.add_route(runtime)
            inside.add(script.route)
            script.add_to_page(loaded.dash, script.url(prefix, **query))
    # Client input is checked before the app sees it (zerodash_runtime/guard.py): bodies bounded everywhere,
    # Dash's internal routes answered 4xx for what Dash itself would turn into a 500.
    limit = settings.max_request_bytes
    routes = loaded.dash.config.routes_pathname_prefix if loaded.dash is not None else "/"
    app = RequestGuard(loaded.wsgi, max_bytes=limit, dash=loaded.dash, routes_prefix=routes)
    mount = PrefixMount(Dispatch(runtime, app, inside), prefix, outside=Dispatch(runtime, not_found, outside))
    # Outermost, so the guard's refusals, the runtime's routes and 404s outside the prefix get the headers too.
    return SecurityHeaders(RequestGuard(mount, max_bytes=limit), frame_ancestors=settings.frame_ancestors)


def _app_routes(loaded: LoadedApp, path: str) -> bool:
    """Whether the app's Flask declares a rule for exactly `path` (Dash's catch-all "/<path:path>" does not count)."""
    if loaded.flask is None:
        return False
    return any(rule.rule == path for rule in loaded.flask.url_map.iter_rules())
