"""Stock analysis over the bundled synthetic price data."""

from flask import Blueprint

bp = Blueprint("analysis", __name__)

from . import api, views  # noqa: E402,F401  (routes register themselves on bp)
