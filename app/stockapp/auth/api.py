"""JSON API for accounts. State-changing calls need the X-CSRFToken header."""

from flask import abort, jsonify, request
from flask_wtf.csrf import generate_csrf

from ..errors import json_error
from ..metrics import SIGNUPS
from . import bp
from .session import api_login_required, current_user_id, log_in, log_out
from .users import UsernameTaken, create_user, get_user, login, validation_errors


def _credentials():
    body = request.get_json(silent=True)
    fields = (body.get("username"), body.get("password")) if isinstance(body, dict) else ()
    if len(fields) != 2 or not all(isinstance(f, str) for f in fields):
        abort(400, description="expected a JSON object with string username and password")
    return fields


def _logged_in_response(user, status):
    log_in(user)
    # The session was reset, so the old CSRF token is void: hand out the new one.
    return jsonify(user=user, csrf_token=generate_csrf()), status


@bp.get("/api/csrf")
def csrf_token():
    return jsonify(csrf_token=generate_csrf())


@bp.post("/api/auth/register")
def register():
    username, password = _credentials()
    errors = validation_errors(username, password)
    if errors:
        return json_error(400, "invalid registration", errors=errors)
    try:
        user = create_user(username, password)
    except UsernameTaken:
        return json_error(409, "username already taken")
    SIGNUPS.inc()
    return _logged_in_response(user, 201)


@bp.post("/api/auth/login")
def login_api():
    username, password = _credentials()
    user, wait = login(username, password, request.remote_addr)
    if wait:
        response = json_error(429, "too many failed logins, try again later")
        response.headers["Retry-After"] = str(wait)
        return response
    if user is None:
        return json_error(401, "invalid username or password")
    return _logged_in_response(user, 200)


@bp.post("/api/auth/logout")
def logout_api():
    log_out()
    return jsonify(status="logged out", csrf_token=generate_csrf())


@bp.get("/api/me")
@api_login_required
def me():
    user = get_user(current_user_id())
    if user is None:
        log_out()
        abort(401, description="authentication required")
    return jsonify(user)
