"""Who is logged in, and guards for views that need someone to be.

A login is a signed cookie *and* a row in user_sessions: the cookie carries a random token, and
the session lives only while its row does. Logging out deletes the row, so a copy of the cookie
taken before stops working too; a signed cookie alone would stay valid until it expired.
"""

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for

from .users import end_session, session_is_live, session_nonce, start_session


def current_user_id():
    """The logged-in account's id, checked once per request against its session row and the
    account's nonce: a session outlives its account (deleted, or lost in a restore) and must
    not pass for the next account given the same id."""
    if "session_user_id" not in g:
        g.session_user_id = _checked_user_id()
    return g.session_user_id


def _checked_user_id():
    user_id = session.get("user_id")
    if user_id is None:
        return None
    if not session_is_live(user_id, session.get("sid"), session.get("nonce")):
        session.clear()
        return None
    return user_id


def _end_current_session():
    # The cookie goes first: should the database refuse the delete (503), the browser's copy
    # is still gone.
    token = session.get("sid")
    session.clear()
    g.pop("session_user_id", None)
    if isinstance(token, str):
        end_session(token)


def log_in(user):
    # A fresh session on login: no pre-login state, CSRF token or earlier login survives.
    _end_current_session()
    session["sid"] = start_session(user["id"])
    session["user_id"] = user["id"]
    session["username"] = user["username"]
    session["nonce"] = session_nonce(user["id"])


def log_out():
    _end_current_session()


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
    """`target` when it is a path on this site, else `default`: ?next= must not redirect
    off-site. Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    "/\\t/evil.example" or "/\\\\evil.example" would become "//evil.example": any control
    character, whitespace or backslash disqualifies a target outright."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return default
    if len(target) > 2048 or any(ch.isspace() or not ch.isprintable() for ch in target):
        return default
    if "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
