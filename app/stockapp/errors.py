"""Error pages: JSON under /api/, HTML elsewhere."""

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


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


def init_app(app):
    # Unhandled exceptions reach the HTTPException handler as InternalServerError
    # after Flask has logged them; tests still see them raised (PROPAGATE_EXCEPTIONS).
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
