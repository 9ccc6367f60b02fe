"""WSGI entry point for gunicorn: `gunicorn stockapp.wsgi:app`."""

from . import create_app

app = create_app()
