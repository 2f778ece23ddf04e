"""Shared by the examples' tests: load an example as the runtime does, with its own module names, and forget it.

Every example is a folder whose modules import each other by their bare names (`import layout`,
`pages.live`), as they do in the container where the folder is /app. Two examples can share a name (each has
an `app`, and so has the repository root: the CDK app), so an example is imported fresh by `imported_from`,
and afterwards its modules are dropped from `sys.modules` and the ones it shadowed put back.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from werkzeug.test import Client

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def top_level_names(directory: Path) -> set[str]:
    """The module and package names the folder provides: `app`, `layout`, `pages`, ..."""
    names = {path.stem for path in directory.glob("*.py")}
    names |= {path.name for path in directory.iterdir() if path.is_dir() and path.name.isidentifier()}
    return names


def _owned(name: str, names: set[str]) -> bool:
    return name.split(".")[0] in names


@contextmanager
def imported_from(directory: Path) -> Iterator[None]:
    """While inside, the folder is first on sys.path and none of its module names is already imported."""
    names = top_level_names(directory)
    shadowed = {name: module for name, module in sys.modules.items() if _owned(name, names)}
    for name in shadowed:
        del sys.modules[name]
    saved_path = list(sys.path)
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in [name for name in sys.modules if _owned(name, names)]:
            del sys.modules[name]
        sys.modules.update(shadowed)


@dataclass(frozen=True)
class Served:
    """An example as gunicorn serves it: `client` talks to zerodash_runtime.wsgi's `application`."""

    client: Client
    prefix: str
    app_module: ModuleType  # the example's app.py, as the runtime imported it
    runtime: ModuleType  # zerodash_runtime.wsgi, imported for this example


@contextmanager
def served_by_runtime(directory: Path, env: Mapping[str, str]) -> Iterator[Served]:
    """Import zerodash_runtime.wsgi with the example as the working directory and `env` set, as gunicorn's
    master does in the container, and restore the process afterwards (environment, cwd, modules, datasets)."""
    from zerodash_runtime.data import REGISTRY, s3

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.update(env)
    os.chdir(directory)
    REGISTRY.clear()
    s3._clients.clear()  # a client made for another test may point at another endpoint or account
    try:
        with imported_from(directory):
            sys.modules.pop("zerodash_runtime.wsgi", None)
            runtime = importlib.import_module("zerodash_runtime.wsgi")
            prefix = runtime.settings.url_prefix
            yield Served(Client(runtime.application), prefix, sys.modules["app"], runtime)
    finally:
        sys.modules.pop("zerodash_runtime.wsgi", None)
        REGISTRY.clear()
        s3._clients.clear()
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def dash_config(client: Client, path: str) -> dict[str, Any]:
    """The configuration Dash embeds in the index page for its renderer."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert match, "no _dash-config in the page"
    return json.loads(match.group(1))


def texts(node: Any) -> list[str]:
    """Every text of a layout as Dash serves it (`/_dash-layout`), in order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [text for child in node for text in texts(child)]
    if isinstance(node, dict) and "props" in node:
        return texts(node["props"].get("children"))
    return []
