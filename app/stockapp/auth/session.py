"""Who is logged in, and guards for views that need someone to be."""

import hmac
from functools import wraps

from flask import abort, g, redirect, request, session, url_for

from .users import session_nonce


def current_user_id():
    """The logged-in account's id, checked once per request against the account's nonce:
    a session outlives its account (deleted, or lost in a restore) and must not pass for
    the next account given the same id."""
    if "session_user_id" not in g:
        g.session_user_id = _checked_user_id()
    return g.session_user_id


def _checked_user_id():
    user_id, nonce = session.get("user_id"), session.get("nonce")
    if user_id is None:
        return None
    current = session_nonce(user_id)
    if not nonce or not current or not hmac.compare_digest(str(nonce), current):
        session.clear()
        return None
    return user_id


def log_in(user):
    # A fresh session on login: no pre-login state (or CSRF token) survives.
    session.clear()
    session["user_id"] = user["id"]
    session["username"] = user["username"]
    session["nonce"] = session_nonce(user["id"])
    g.pop("session_user_id", None)


def log_out():
    session.clear()
    g.pop("session_user_id", None)


def api_login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user_id() is None:
            abort(401, description="authentication required")
        return view(*args, **kwargs)

    return wrapper


def page_login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user_id() is None:
            # Only a GET can be replayed after login; other methods land on the default page.
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("auth.login_page", next=target))
        return view(*args, **kwargs)

    return wrapper


def safe_next(target, default):
    """Only local paths, so ?next= cannot redirect off-site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default
