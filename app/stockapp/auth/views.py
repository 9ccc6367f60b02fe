"""HTML forms for accounts; CSRFProtect checks the hidden csrf_token field."""

from flask import flash, redirect, render_template, request, url_for

from ..metrics import SIGNUPS
from . import bp
from .session import log_in, log_out, safe_next
from .users import UsernameTaken, create_user, login, validation_errors


def _form_credentials():
    return request.form.get("username", ""), request.form.get("password", "")


@bp.route("/register", methods=["GET", "POST"])
def register_page():
    if request.method == "GET":
        return render_template("auth/register.html")
    username, password = _form_credentials()
    errors = validation_errors(username, password)
    if not errors:
        try:
            user = create_user(username, password)
        except UsernameTaken:
            errors = ["that username is already taken"]
    if errors:
        return render_template("auth/register.html", errors=errors, username=username), 400
    SIGNUPS.inc()
    log_in(user)
    flash("Welcome! Your account is ready.")
    return redirect(url_for("lessons.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
def login_page():
    next_url = safe_next(request.values.get("next"), url_for("lessons.dashboard"))
    if request.method == "GET":
        return render_template("auth/login.html", next_url=next_url)
    username, password = _form_credentials()
    user, wait = login(username, password, request.remote_addr)
    if user is not None:
        log_in(user)
        return redirect(next_url)
    if wait:
        error, status = f"Too many failed logins. Try again in {wait} seconds.", 429
    else:
        error, status = "Invalid username or password.", 401
    page = render_template("auth/login.html", error=error, username=username, next_url=next_url)
    headers = {"Retry-After": str(wait)} if wait else {}
    return page, status, headers


@bp.post("/logout")
def logout_page():
    log_out()
    flash("You have been logged out.")
    return redirect(url_for("lessons.home"))
