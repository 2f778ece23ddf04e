"""The Dash app that runs in the ZeroDash container: `create_app(settings)` builds it, `wsgi.py` serves it."""

from dashapp.app import create_app
from dashapp.settings import Settings

__all__ = ["Settings", "create_app"]
