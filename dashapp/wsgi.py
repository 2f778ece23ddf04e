"""The gunicorn entry point: `gunicorn -c dashapp/gunicorn.conf.py dashapp.wsgi:server`."""

from dashapp.app import create_app
from dashapp.logging_setup import configure_logging
from dashapp.settings import Settings
from dashapp.store import DataStore

settings = Settings.from_env()
configure_logging(settings.log_level)
store = DataStore()
app = create_app(settings, store=store)
server = app.server
