"""Accounts: registration, login and logout as HTML forms and a JSON API."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import api, views  # noqa: E402,F401  (routes register themselves on bp)
from .session import current_user_id  # noqa: E402


@bp.app_context_processor
def logged_in_user():
    """`logged_in` for templates: the checked session, never the raw cookie's claim."""
    return {"logged_in": current_user_id() is not None}
