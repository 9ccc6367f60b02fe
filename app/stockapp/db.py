"""SQLite access: one connection per request, every query timed, storage errors noted."""

import sqlite3

from flask import current_app, g

from . import readiness
from .connection import connect
from .metrics import DB_QUERY_SECONDS


def get_db():
    if "db" not in g:
        config = current_app.config
        g.db = connect(config["DATABASE"], timeout=config["DATABASE_TIMEOUT"])
    return g.db


def close_db(_exc=None):
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def _run(sql, params, fetch=None):
    try:
        with DB_QUERY_SECONDS.time():
            cursor = get_db().execute(sql, params)
            return fetch(cursor) if fetch else cursor
    except sqlite3.DatabaseError as exc:
        readiness.state().note_error(exc)  # whoever catches it, readiness hears of it
        raise


def execute(sql, params=()):
    """Run one writing statement in autocommit mode and return its cursor."""
    cursor = _run(sql, params)
    readiness.state().note_write_ok()
    return cursor


def fetch_all(sql, params=()):
    return _run(sql, params, sqlite3.Cursor.fetchall)


def fetch_one(sql, params=()):
    return _run(sql, params, sqlite3.Cursor.fetchone)


def init_app(app):
    app.teardown_appcontext(close_db)
