"""Shared by the page and the API: symbol lookup, window parsing, achievement."""

import sqlite3

from flask import abort, current_app, session

from .. import storage
from ..auth.session import current_user_id
from ..lessons.achievements import award_first_analysis
from ..metrics import ANALYSIS_REQUESTS
from .indicators import analyse
from .prices import cached

DEFAULT_WINDOW, MIN_WINDOW, MAX_WINDOW = 20, 2, 200


def all_prices():
    return cached(current_app.config["PRICE_DIR"])


def symbols():
    return sorted(all_prices())


def parse_window(raw):
    if raw is None or raw == "":
        return DEFAULT_WINDOW
    if not raw.isdigit() or not MIN_WINDOW <= int(raw) <= MAX_WINDOW:
        abort(400, description=f"window must be an integer from {MIN_WINDOW} to {MAX_WINDOW}")
    return int(raw)


def analysis_for(symbol, window):
    """The analysis dict for a known symbol; 404 otherwise."""
    rows = all_prices().get(symbol.upper())
    if rows is None:
        abort(404, description="unknown symbol")
    result = analyse([r["close"] for r in rows], window)
    ANALYSIS_REQUESTS.labels(symbol=symbol.upper()).inc()
    _note_first_analysis()
    return {
        "symbol": symbol.upper(),
        "synthetic": True,
        "window": window,
        "first_date": rows[0]["date"],
        "last_date": rows[-1]["date"],
        **result,
    }


def _note_first_analysis():
    # The session remembers the award so busy readers do not write to SQLite every time.
    # A read must not fail because the award cannot be written (disk full, read-only, locked):
    # it is skipped, and tried again on the next analysis since the session is not marked.
    user_id = current_user_id()
    if user_id is not None and not session.get("analysis_awarded"):
        try:
            award_first_analysis(user_id)
        except sqlite3.DatabaseError as exc:
            problem = storage.classify(exc)
            if problem is None or problem.scope != storage.WRITE:
                raise
            current_app.logger.warning("first_analysis not awarded: %s", problem.cause)
            return
        session["analysis_awarded"] = True
