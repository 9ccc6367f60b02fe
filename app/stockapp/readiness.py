"""Can this replica serve? Checked at most every READINESS_CACHE_SECONDS, so the gate in front
of every request costs a lock and a clock read, not a database round trip.

Two kinds of trouble, kept apart:

* cannot serve (the database file is gone, unreadable or not migrated; the price data are
  missing): every request except the probes and /metrics answers 503 JSON with Retry-After,
  so the proxy's proxy_next_upstream sends it to another replica, and /readyz answers 503
  (the Docker healthcheck calls it);
* cannot write (little free space or a read-only filesystem under the database, or the last
  write failed for want of storage): /readyz says "degraded" and names the cause, but answers
  200 and reads go on; a write that fails answers 503 by itself (errors.py).

A storage error that means "cannot serve" drops the cached state, so the next request looks
again instead of waiting for the cache to expire.
"""

import os
import threading
import time
from pathlib import Path

from flask import current_app, jsonify, request

from . import storage
from .analysis.prices import PriceDataError, load_all
from .connection import connect
from .migrate import applied_versions, migration_files

clock = time.monotonic  # tests move time on by replacing it

EXTENSION = "stockapp_readiness"
# The probes must answer whatever the state, and Prometheus must still see a broken replica.
EXEMPT_ENDPOINTS = frozenset({"health.healthz", "health.readyz", "metrics.metrics"})
GATE_RETRY_AFTER = 5
# A failed write keeps readiness degraded this long, unless a later write succeeds first.
WRITE_FAILURE_MEMORY_SECONDS = 30.0


def _check(fn):
    """Run one check: (ok, detail); any exception is a failed check, never a 500."""
    try:
        return {"ok": True, "detail": fn()}
    except Exception as exc:  # noqa: BLE001  readiness must report, not crash
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}


def _price_fingerprint(price_dir):
    """Name, size and mtime of every price file: cheap, and changes when a file does."""
    found = []
    for path in sorted(Path(price_dir).glob("*.csv")):
        info = path.stat()
        found.append((path.name, info.st_size, info.st_mtime_ns))
    if not found:
        raise PriceDataError(f"no price files in {price_dir}")
    return tuple(found)


class Readiness:
    """The cached readiness report of one app (one per worker process)."""

    def __init__(self, app):
        self.app = app
        self.evaluations = 0
        self._lock = threading.Lock()
        self._report = None
        self._expires = 0.0
        self._write_failure = None  # (cause, clock() when it happened)
        self._prices_checked = None  # (fingerprint, symbol count) of the last files parsed

    def report(self, fresh=False):
        with self._lock:
            now = clock()
            if fresh or self._report is None or now >= self._expires:
                self._report = self._evaluate(now)
                self._expires = now + self.app.config["READINESS_CACHE_SECONDS"]
            return self._report

    def invalidate(self):
        with self._lock:
            self._expires = 0.0

    def note_error(self, exc):
        """Feed a storage error seen by a request into the state; others are ignored."""
        problem = storage.classify(exc)
        if problem is None:
            return None
        with self._lock:
            if problem.scope == storage.WRITE:
                self._write_failure = (problem.cause, clock())
            self._expires = 0.0
        return problem

    def note_write_ok(self):
        if self._write_failure is not None:
            with self._lock:
                self._write_failure = None
                self._expires = 0.0

    # The checks -------------------------------------------------------------------------

    def _database(self):
        conn = connect(self.app.config["DATABASE"], timeout=1.0)
        try:
            # Reads page 1: a file that is not a database fails here, not on a real request.
            (objects,) = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        finally:
            conn.close()
        return f"{objects} schema objects"

    def _migrations(self):
        conn = connect(self.app.config["DATABASE"], timeout=1.0)
        try:
            applied = applied_versions(conn)
        finally:
            conn.close()
        versions = [v for v, _ in migration_files()]
        missing = sorted(set(versions) - applied)
        if missing:
            raise RuntimeError(f"pending migrations {missing} (latest is {max(versions)})")
        return f"at version {max(versions, default=0)}"

    def _price_data(self):
        price_dir = self.app.config["PRICE_DIR"]
        fingerprint = _price_fingerprint(price_dir)
        if self._prices_checked is None or self._prices_checked[0] != fingerprint:
            self._prices_checked = (fingerprint, len(load_all(price_dir)))
        return f"{self._prices_checked[1]} symbols loaded"

    def _storage(self, now):
        """Degraded (ok False) names every cause found; it never stops reads."""
        path = os.path.abspath(self.app.config["DATABASE"])
        directory = os.path.dirname(path)
        minimum = self.app.config["STORAGE_MIN_FREE_BYTES"]
        try:
            info = os.statvfs(directory)
        except OSError as exc:
            return {"ok": False, "detail": f"cannot inspect {directory}: {exc.strerror}"}
        free = info.f_bavail * info.f_frsize
        problems = []
        if info.f_flag & os.ST_RDONLY:
            problems.append(f"the filesystem of {directory} is read-only")
        else:
            # SQLite creates -wal and -shm with the database's mode: a database made read-only
            # and back leaves them read-only, and writes keep failing until they are fixed too.
            for name in (path, path + "-wal", path + "-shm"):
                if os.path.exists(name) and not os.access(name, os.W_OK):
                    problems.append(f"{name} is not writable")
        if free < minimum:
            problems.append(f"{free} bytes free on {directory}, below {minimum}")
        if self._write_failure is not None:
            cause, at = self._write_failure
            if now - at < WRITE_FAILURE_MEMORY_SECONDS:
                problems.append(f"a write failed {now - at:.0f} s ago: {cause}")
            else:
                self._write_failure = None
        if problems:
            return {"ok": False, "detail": "; ".join(problems)}
        return {"ok": True, "detail": f"{free} bytes free on {directory}"}

    def _evaluate(self, now):
        self.evaluations += 1
        checks = {
            "database": _check(self._database),
            "migrations": _check(self._migrations),
            "price_data": _check(self._price_data),
        }
        blocking = [f"{name}: {c['detail']}" for name, c in checks.items() if not c["ok"]]
        checks["storage"] = self._storage(now)
        if blocking:
            status, cause = "not ready", "; ".join(blocking)
        elif not checks["storage"]["ok"]:
            status, cause = "degraded", f"storage: {checks['storage']['detail']}"
        else:
            status, cause = "ready", None
        return {"ready": not blocking, "status": status, "cause": cause, "checks": checks}


def state(app=None):
    return (app or current_app).extensions[EXTENSION]


def gate():
    """before_request: answer 503 at once while the cached state says this replica cannot serve."""
    if request.endpoint in EXEMPT_ENDPOINTS:
        return None
    report = state().report()
    if report["ready"]:
        return None
    response = jsonify(error="service unavailable", cause=report["cause"])
    response.status_code = 503
    response.headers["Retry-After"] = str(GATE_RETRY_AFTER)
    return response


def init_app(app):
    app.extensions[EXTENSION] = Readiness(app)
    app.before_request(gate)
