"""Lessons, per-user progress and achievements (plus the home page)."""

from flask import Blueprint

bp = Blueprint("lessons", __name__)

from . import api, views  # noqa: E402,F401  (routes register themselves on bp)
