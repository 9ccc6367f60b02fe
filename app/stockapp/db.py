"""SQLite access: one connection per request, every query timed."""

from flask import current_app, g

from .connection import connect
from .metrics import DB_QUERY_SECONDS


def get_db():
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc=None):
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def execute(sql, params=()):
    """Run one statement in autocommit mode and return its cursor."""
    with DB_QUERY_SECONDS.time():
        return get_db().execute(sql, params)


def fetch_all(sql, params=()):
    with DB_QUERY_SECONDS.time():
        return get_db().execute(sql, params).fetchall()


def fetch_one(sql, params=()):
    with DB_QUERY_SECONDS.time():
        return get_db().execute(sql, params).fetchone()


def init_app(app):
    app.teardown_appcontext(close_db)
