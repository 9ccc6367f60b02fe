"""Who is logged in, and guards for views that need someone to be."""
from functools import wraps

from flask import abort, redirect, request, session, url_for


def current_user_id():
    return session.get("user_id")


def log_in(user):
    # A fresh session on login: no pre-login state (or CSRF token) survives.
    session.clear()
    session["user_id"] = user["id"]
    session["username"] = user["username"]


def log_out():
    session.clear()


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
