"""Import the user's module and find what to serve: `app` (a Dash app, or any WSGI app), `server`, or the
`module:attribute` named by APP_MODULE.

Every failure is one `AppLoadError` whose message names the app, the file and what to fix, in one line: it
ends the image build (`python -m zerodash_runtime.check`), the container's log and `make dev`'s output.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
import traceback
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from zerodash_runtime.settings import RuntimeSettings

WSGIApp = Callable[..., Any]
DEFAULT_NAMES = ("app", "server")
MAX_EXCEPTION_CHARS = 300  # the message is one line; the log keeps the whole traceback

# Dash settings from the environment that would fight the runtime's prefix or switch debug features on.
CONFLICTING_ENV = (
    "DASH_URL_BASE_PATHNAME",
    "DASH_DEBUG",
    "DASH_UI",
    "DASH_PROPS_CHECK",
    "DASH_SERVE_DEV_BUNDLES",
    "DASH_HOT_RELOAD",
    "DASH_HOT_RELOAD_INTERVAL",
    "DASH_HOT_RELOAD_WATCH_INTERVAL",
    "DASH_HOT_RELOAD_MAX_RETRY",
    "FLASK_DEBUG",
)


class AppLoadError(Exception):
    """The app cannot be served; the message is one line for the person who deploys it."""


@dataclass(frozen=True)
class LoadedApp:
    wsgi: WSGIApp  # what the runtime mounts under URL_PREFIX
    module_file: str
    attribute: str  # the name it was found under
    dash: Any | None = None  # the Dash app, when it is one (attention script, dev tools off)
    flask: Any | None = None  # the Flask app serving it, when it is one (its own /health, debug off)
    warnings: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        kind = "Dash app" if self.dash is not None else "Flask app" if self.flask is not None else "WSGI callable"
        served = f" (served as {self.attribute}.server)" if self.dash is not None else ""
        return f"{kind} `{self.attribute}` in {self.module_file}{served}"


def prepare_environment(settings: RuntimeSettings, environ: MutableMapping[str, str] | None = None) -> None:
    """Give Dash the prefix through its environment variables, BEFORE the user's module creates its Dash app:
    the app routes at "/" (the middleware strips the prefix) while the page requests under URL_PREFIX."""
    env = os.environ if environ is None else environ
    for name in CONFLICTING_ENV:
        env.pop(name, None)
        env.pop(name.lower(), None)  # Dash reads lower-case names too
    env["DASH_REQUESTS_PATHNAME_PREFIX"] = settings.url_prefix
    env["DASH_ROUTES_PATHNAME_PREFIX"] = "/"


def load_app(settings: RuntimeSettings, app_dir: str | Path | None = None) -> LoadedApp:
    """Import APP_MODULE from `app_dir` (default: the working directory, /app in the image) and find its WSGI app."""
    directory = Path(app_dir or os.getcwd()).resolve()
    module_name, _, attribute = settings.app_module.partition(":")
    where = f"app {settings.app_name!r}"
    if not module_name or ":" in attribute or not all(part.isidentifier() for part in module_name.split(".")):
        raise AppLoadError(f"{where}: module {settings.app_module!r} is not 'module' or 'module:attribute'")
    module = _import(module_name, directory, where)
    module_file = getattr(module, "__file__", None) or module_name
    if not Path(module_file).resolve().is_relative_to(directory):
        raise AppLoadError(
            f"{where}: {module_name!r} is also the name of {module_file}, imported before the app: rename the app's "
            f"{module_name.split('.')[0]}.py"
        )
    names = (attribute,) if attribute else DEFAULT_NAMES
    for name in names:
        if hasattr(module, name):
            loaded = _wsgi_of(getattr(module, name), name, module_file, where)
            return _with_prefix_warnings(loaded, settings)
    if attribute:
        raise AppLoadError(f"{where}: {module_file} has no attribute `{attribute}` (module is {settings.app_module!r})")
    raise AppLoadError(
        f"{where}: {module_file} defines neither `app` (a Dash app) nor `server` (a Flask app or WSGI callable) "
        "at module level: define one, or set the app's module to 'module:attribute'"
    )


def _import(module_name: str, directory: Path, where: str) -> ModuleType:
    # Like gunicorn's --chdir and Flask's prepare_import: the app's directory must be importable so that the
    # app's own modules (helpers, pages/) import the way they do when it is run as `python app.py`.
    top = module_name.split(".")[0]
    # Only the app's directory counts: a module of the same name elsewhere on sys.path is not the app.
    if importlib.machinery.PathFinder.find_spec(top, [str(directory)]) is None:
        raise AppLoadError(
            f"{where}: no module {module_name!r} in {directory} (looked for {top}.py or {top}/__init__.py): "
            f"add {top}.py, or set the app's module to 'module:attribute'"
        )
    if str(directory) in sys.path:
        sys.path.remove(str(directory))
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            raise AppLoadError(
                f"{where}: no module {module_name!r} in {directory}: set the app's module to 'module:attribute'"
            ) from None
        raise AppLoadError(
            f"{where}: importing {_module_path(module_name, directory)} failed: {_last_frame(error, directory)}; "
            f"add {error.name!r}'s package to requirements.txt"
        ) from error
    except Exception as error:  # anything the user's module raises while it is imported
        hint = ""
        if type(error).__name__ == "InvalidConfig" and "url_base_pathname" in str(error):
            hint = "; remove url_base_pathname from Dash(...): the runtime gives Dash the prefix"
        raise AppLoadError(
            f"{where}: importing {_module_path(module_name, directory)} failed: {_last_frame(error, directory)}{hint}"
        ) from error


def _last_frame(error: BaseException, directory: Path) -> str:
    """'file:line: Type: message', and the app's own frame that led there when the last one is in a library."""
    exception = " ".join(traceback.format_exception_only(type(error), error)[-1].split())  # one line
    if len(exception) > MAX_EXCEPTION_CHARS:
        exception = exception[: MAX_EXCEPTION_CHARS - 3] + "..."
    if isinstance(error, SyntaxError) and error.filename:  # its location is the file that does not parse
        return f"{error.filename}:{error.lineno}: {exception}"
    frames = traceback.extract_tb(error.__traceback__)
    frames = [frame for frame in frames if not frame.filename.startswith("<frozen")]  # no source to show
    if not frames:
        return exception
    last = frames[-1]
    text = f"{last.filename}:{last.lineno}: {exception}"
    own = [frame for frame in frames if Path(frame.filename).resolve().is_relative_to(directory)]
    if own and own[-1] is not last:
        text += f" (from {own[-1].filename}:{own[-1].lineno})"
    return text


def _module_path(module_name: str, directory: Path) -> str:
    base = directory.joinpath(*module_name.split("."))
    package = base / "__init__.py"
    return str(package if package.is_file() else base.with_suffix(".py"))


def _wsgi_of(value: Any, name: str, module_file: str, where: str) -> LoadedApp:
    dash = sys.modules.get("dash")
    flask = sys.modules.get("flask")
    if dash is not None and isinstance(value, dash.Dash):
        return LoadedApp(wsgi=value.server, module_file=module_file, attribute=name, dash=value, flask=value.server)
    if flask is not None and isinstance(value, flask.Flask):
        return LoadedApp(wsgi=value, module_file=module_file, attribute=name, flask=value)
    if callable(value) and not isinstance(value, type):
        return LoadedApp(wsgi=value, module_file=module_file, attribute=name)
    raise AppLoadError(
        f"{where}: `{name}` in {module_file} is a {type(value).__name__}, not a Dash app, a Flask app or a WSGI "
        "callable"
    )


def _with_prefix_warnings(loaded: LoadedApp, settings: RuntimeSettings) -> LoadedApp:
    """An app that sets its own prefixes in code overrides the environment; say so, it will not work mounted."""
    if loaded.dash is None:
        return loaded
    config = loaded.dash.config
    warnings = []
    if config.routes_pathname_prefix != "/" or config.requests_pathname_prefix != settings.url_prefix:
        warnings.append(
            f"app {settings.app_name!r}: the Dash app sets routes_pathname_prefix={config.routes_pathname_prefix!r} "
            f"and requests_pathname_prefix={config.requests_pathname_prefix!r} itself; remove url_base_pathname, "
            f"routes_pathname_prefix and requests_pathname_prefix from Dash(...) so the runtime can serve it under "
            f"{settings.url_prefix}"
        )
    return LoadedApp(**{**loaded.__dict__, "warnings": tuple(warnings)})
