"""Where the apps are listed: one SSM parameter per app, written by its app stack (thin, boto3 style).

    /zerodash/<stackPrefix>/apps/<app name>   String, the app object as JSON (common/apps.py)

The scaler reads every parameter under the path (GetParametersByPath, 10 per page), so apps come and go
with their own stacks and the list has no size limit but SSM's (10,000 standard parameters, 4 KB each).
One app whose object cannot be read is reported and skipped; the others are still run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from common.apps import AppSpec, AppSpecError, parse_app_json
from common.paging import pages

PARAMETERS_PER_PAGE = 10  # GetParametersByPath's maximum


def apps_path(stack_prefix: str) -> str:
    return f"/zerodash/{stack_prefix}/apps/"


@dataclass(frozen=True)
class BrokenApp:
    """An app object that could not be read: the parameter's name and why."""

    name: str
    error: str


def load_apps(ssm: Any, path: str) -> tuple[tuple[AppSpec, ...], tuple[BrokenApp, ...]]:
    """Every app object under `path`, and the parameters that did not parse (sorted by name)."""
    apps: list[AppSpec] = []
    broken: list[BrokenApp] = []
    for page in pages(ssm.get_parameters_by_path, Path=path, Recursive=False, MaxResults=PARAMETERS_PER_PAGE):
        for parameter in page.get("Parameters", []):
            name = str(parameter["Name"])
            try:
                apps.append(_parse(str(parameter["Value"]), name))
            except AppSpecError as error:
                broken.append(BrokenApp(name=name.rsplit("/", 1)[-1], error=str(error)))
    seen: set[str] = set()
    unique = []
    for app in sorted(apps, key=lambda item: item.name):
        if app.name in seen:
            broken.append(BrokenApp(name=app.name, error=f"{app.name}: two parameters name this app"))
            continue
        seen.add(app.name)
        unique.append(app)
    return tuple(unique), tuple(sorted(broken, key=lambda item: item.name))


@lru_cache(maxsize=1024)
def _parse(text: str, name: str) -> AppSpec:
    """Parsed once per value: the scaler reads the same objects every minute (AppSpec is immutable)."""
    return parse_app_json(text, name)


def load_app(ssm: Any, parameter_name: str) -> AppSpec:
    """One app object (the waker's own)."""
    value = ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"]
    return parse_app_json(str(value), parameter_name)
