"""Accounts: validation, creation, lookup, and the shared login throttle."""

import hashlib
import hmac
import math
import re
import secrets
import sqlite3
import time

from flask import current_app

from .. import db
from ..metrics import LOGINS
from .passwords import hash_password, verify_password

USERNAME_RE = re.compile(r"^[a-z0-9_]{3,32}$")
PASSWORD_MIN, PASSWORD_MAX = 10, 256


class UsernameTaken(Exception):
    pass


def validation_errors(username, password):
    errors = []
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        errors.append("username must be 3-32 characters of a-z, 0-9 and _")
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        errors.append(f"password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters")
    return errors


def create_user(username, password):
    try:
        cursor = db.execute(
            "INSERT INTO users (username, password_hash, session_nonce) VALUES (?, ?, ?)",
            (username, hash_password(password), secrets.token_hex(16)),
        )
    except sqlite3.IntegrityError:
        raise UsernameTaken(username) from None
    return {"id": cursor.lastrowid, "username": username}


def get_user(user_id):
    row = db.fetch_one("SELECT id, username FROM users WHERE id = ?", (user_id,))
    return dict(row) if row else None


def session_nonce(user_id):
    """The account's session nonce, or None when no account has this id."""
    row = db.fetch_one("SELECT session_nonce FROM users WHERE id = ?", (user_id,))
    return row["session_nonce"] if row else None


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user_id):
    """A new server-side session for the account; returns the token for the cookie."""
    token, now = secrets.token_urlsafe(32), time.time()
    lifetime = current_app.config["SESSION_LIFETIME_SECONDS"]
    db.execute("DELETE FROM user_sessions WHERE created_at <= ?", (now - lifetime,))
    db.execute(
        "INSERT INTO user_sessions (token_hash, user_id, created_at) VALUES (?, ?, ?)",
        (_token_hash(token), user_id, now),
    )
    return token


def end_session(token):
    db.execute("DELETE FROM user_sessions WHERE token_hash = ?", (_token_hash(token),))


def session_is_live(user_id, token, nonce):
    """True while the session's row exists, is younger than the lifetime, and belongs to this
    account with this nonce (a row left behind by a deletion without foreign keys, or an id
    given to the next account, does not pass)."""
    if not isinstance(token, str) or not isinstance(nonce, str) or not nonce:
        return False
    oldest = time.time() - current_app.config["SESSION_LIFETIME_SECONDS"]
    row = db.fetch_one(
        "SELECT u.session_nonce FROM user_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = ? AND s.user_id = ? AND s.created_at > ?",
        (_token_hash(token), user_id, oldest),
    )
    return row is not None and hmac.compare_digest(nonce, row["session_nonce"])


def authenticate(username, password):
    """The user dict when the credentials match, else None (same cost either way)."""
    row = db.fetch_one(
        "SELECT id, username, password_hash FROM users WHERE username = ?", (username,)
    )
    ok = verify_password(row["password_hash"] if row else None, password)
    return {"id": row["id"], "username": row["username"]} if ok else None


def _throttle_key(username):
    # Bounded key: arbitrary input must not bloat the table.
    return str(username).strip().lower()[:64]


def _client_key(client):
    return str(client or "")[:64]


def _wait(column, key, limit, window, now):
    """Seconds until `key` (a username or a client) may try again; 0 below the limit."""
    row = db.fetch_one(
        f"SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM login_attempts"
        f" WHERE {column} = ? AND attempted_at > ?",
        (key, now - window),
    )
    if row["n"] < limit:
        return 0
    return max(1, math.ceil(row["oldest"] + window - now))


def retry_after(username, client):
    """Seconds until the next attempt is allowed, or 0 when neither the account nor the
    client has reached its limit of failures in the window."""
    cfg, now = current_app.config, time.time()
    window = cfg["LOGIN_WINDOW_SECONDS"]
    by_account = _wait("username", _throttle_key(username), cfg["LOGIN_MAX_FAILURES"], window, now)
    by_client = _wait(
        "client", _client_key(client), cfg["LOGIN_MAX_FAILURES_PER_CLIENT"], window, now
    )
    return max(by_account, by_client)


def record_failure(username, client):
    key, now = _throttle_key(username), time.time()
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    # Expired rows of every user go too, so sprayed usernames cannot grow the table.
    db.execute("DELETE FROM login_attempts WHERE attempted_at <= ?", (now - window,))
    db.execute(
        "INSERT INTO login_attempts (username, client, attempted_at) VALUES (?, ?, ?)",
        (key, _client_key(client), now),
    )


def clear_failures(username):
    """A success forgets the account's failures, never the client's against other accounts."""
    db.execute("DELETE FROM login_attempts WHERE username = ?", (_throttle_key(username),))


def login(username, password, client):
    """(user, 0) on success, (None, 0) on bad credentials, (None, seconds) when throttled."""
    wait = retry_after(username, client)
    if wait:
        LOGINS.labels(result="rate_limited").inc()
        return None, wait
    user = authenticate(username, password) if isinstance(password, str) else None
    if user is None:
        record_failure(username, client)
        LOGINS.labels(result="failure").inc()
        return None, 0
    clear_failures(username)
    LOGINS.labels(result="success").inc()
    return user, 0
