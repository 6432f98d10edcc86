"""WSGI entry point for gunicorn: `gunicorn 'ra_console.wsgi:app'` (config from RA_* / RA_CONFIG)."""

from ra_console.app import create_app
from ra_console.core.logs import configure_logging

app = create_app()
configure_logging(app.extensions["ra_runtime"].config)
