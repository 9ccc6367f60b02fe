"""Error pages: JSON under /api/, HTML elsewhere."""

import sqlite3

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import readiness, storage


def json_error(status, message, **extra):
    response = jsonify(error=message, **extra)
    response.status_code = status
    return response


def _wants_json():
    return request.path.startswith("/api/")


def _message(exc):
    """Our own abort() descriptions are short; werkzeug's defaults are prose, so use the name."""
    custom = exc.description and exc.description != type(exc).description
    return exc.description if custom else exc.name.lower()


def _http_error(exc):
    if _wants_json():
        return json_error(exc.code, _message(exc))
    if exc.code in (404, 500):
        return render_template(f"errors/{exc.code}.html"), exc.code
    return render_template("errors/generic.html", error=exc), exc.code


def _csrf_error(exc):
    if _wants_json():
        return json_error(400, "csrf token missing or invalid", detail=exc.description)
    return render_template("errors/generic.html", error=exc), 400


def _storage_error(exc):
    """503 with Retry-After for storage trouble (full, read-only, locked, gone); the rest of
    SQLite's errors are bugs and go on to the 500 handler."""
    problem = readiness.state().note_error(exc)
    if problem is None:
        raise exc
    current_app.logger.warning(
        "storage error on %s %s: %s (%s)", request.method, request.path, problem.cause, exc
    )
    writes_only = problem.scope == storage.WRITE
    error = "storage unavailable" if writes_only else "service unavailable"
    if _wants_json():
        response = json_error(503, error, cause=problem.cause)
    else:
        # Standalone page: the base layout reads the session's account from the database.
        page = render_template("errors/503.html", writes_only=writes_only, cause=problem.cause)
        response = current_app.make_response((page, 503))
    response.headers["Retry-After"] = str(problem.retry_after)
    return response


def init_app(app):
    # Unhandled exceptions reach the HTTPException handler as InternalServerError
    # after Flask has logged them; tests still see them raised (PROPAGATE_EXCEPTIONS).
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(sqlite3.DatabaseError, _storage_error)
    app.register_error_handler(HTTPException, _http_error)
