"""Liveness (/healthz, no I/O) and readiness (/readyz, checks the dependencies)."""

from flask import Blueprint, current_app, jsonify

from . import version
from .analysis.prices import load_all
from .connection import connect
from .migrate import applied_versions, migration_files

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok", version=version.current())


def _check(fn):
    """Run one check: (ok, detail); any exception is a failed check, never a 500."""
    try:
        return {"ok": True, "detail": fn()}
    except Exception as exc:  # noqa: BLE001  readiness must report, not crash
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}


def _database():
    conn = connect(current_app.config["DATABASE"], timeout=1.0)
    try:
        conn.execute("SELECT 1").fetchone()
    finally:
        conn.close()
    return "select 1 ok"


def _migrations():
    conn = connect(current_app.config["DATABASE"], timeout=1.0)
    try:
        applied = applied_versions(conn)
    finally:
        conn.close()
    versions = [v for v, _ in migration_files()]
    missing = sorted(set(versions) - applied)
    if missing:
        raise RuntimeError(f"pending migrations {missing} (latest is {max(versions)})")
    return f"at version {max(versions, default=0)}"


def _price_data():
    prices = load_all(current_app.config["PRICE_DIR"])
    return f"{len(prices)} symbols loaded"


@bp.get("/readyz")
def readyz():
    checks = {
        "database": _check(_database),
        "migrations": _check(_migrations),
        "price_data": _check(_price_data),
    }
    ready = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return jsonify(body), 200 if ready else 503
