"""WSGI entry point for gunicorn: `gunicorn 'ra_console.wsgi:app'` (config from RA_* / RA_CONFIG)."""

from ra_console.app import create_app

app = create_app()
