"""Accounts: registration, login and logout as HTML forms and a JSON API."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import api, views  # noqa: E402,F401  (routes register themselves on bp)
