"""Broken dependencies stop traffic (503 JSON + Retry-After) and heal by themselves; storage
that cannot write answers writes with 503 while reads go on."""

import os
import shutil
import sqlite3
import types
from pathlib import Path
from urllib.parse import quote

import pytest

from stockapp import db, readiness, storage
from stockapp.connection import connect

PRICE_DIR = Path(__file__).resolve().parent.parent / "stockapp" / "data" / "prices"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(readiness, "clock", fake)
    return fake


def expire(clock, app):
    clock.advance(app.config["READINESS_CACHE_SECONDS"] + 0.01)


def assert_unavailable(response, cause_part, retry_after="5"):
    assert response.status_code == 503
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "cause"} and body["error"] == "service unavailable"
    assert cause_part in body["cause"], body
    assert response.headers["Retry-After"] == retry_after


def token_of(page):
    return page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


# Cannot serve ----------------------------------------------------------------------------


def test_a_deleted_database_stops_traffic_and_the_replica_recovers(app, clock, db_path):
    client = app.test_client()
    assert client.get("/api/lessons").status_code == 200
    os.rename(db_path, db_path + ".aside")
    expire(clock, app)
    assert_unavailable(client.get("/api/lessons"), "database: OperationalError: unable to open")
    assert_unavailable(client.get("/lessons"), "unable to open")  # pages too, as JSON
    assert_unavailable(client.post("/login"), "unable to open")  # before CSRF: retried elsewhere
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "5"
    assert ready.get_json()["status"] == "not ready"
    assert ready.get_json()["cause"].startswith("database: OperationalError: unable to open")
    assert client.get("/healthz").status_code == 200  # alive: restarting would not help
    assert client.get("/metrics").status_code == 200  # Prometheus still sees the replica
    assert not os.path.exists(db_path)  # mode=rw: no request created an empty database
    os.rename(db_path + ".aside", db_path)
    assert client.get("/api/lessons").status_code == 503  # the cached state still stands
    expire(clock, app)
    assert client.get("/api/lessons").status_code == 200
    assert client.get("/readyz").get_json()["status"] == "ready"


def test_a_request_that_finds_the_database_gone_answers_503_and_drops_the_cache(
    app, clock, db_path
):
    client = app.test_client()
    assert client.get("/api/lessons").status_code == 200
    os.rename(db_path, db_path + ".aside")
    # Within the cache period the gate still lets it through; the query itself fails cleanly.
    response = client.get("/api/lessons")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json() == {
        "error": "service unavailable",
        "cause": "database file cannot be opened",
    }
    before = readiness.state(app).evaluations
    # The state was dropped: the next request is judged afresh, without waiting for expiry.
    assert_unavailable(client.get("/api/lessons"), "database: OperationalError")
    assert readiness.state(app).evaluations == before + 1


def test_a_file_that_is_not_a_database_stops_traffic(app, clock, db_path):
    client = app.test_client()
    assert client.get("/api/lessons").status_code == 200
    Path(db_path).write_bytes(b"not a database " * 512)
    for leftover in (db_path + "-wal", db_path + "-shm"):
        if os.path.exists(leftover):
            os.unlink(leftover)
    expire(clock, app)
    assert_unavailable(client.get("/api/lessons"), "file is not a database")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_database_stops_traffic(app, clock, db_path):
    client = app.test_client()
    assert client.get("/api/lessons").status_code == 200
    os.chmod(db_path, 0)
    try:
        expire(clock, app)
        assert_unavailable(client.get("/api/lessons"), "database: OperationalError")
    finally:
        os.chmod(db_path, 0o600)
    expire(clock, app)
    assert client.get("/api/lessons").status_code == 200


def test_missing_price_data_stops_traffic_and_recovers(make_app, clock, tmp_path):
    prices = tmp_path / "prices"
    shutil.copytree(PRICE_DIR, prices)
    app = make_app(PRICE_DIR=str(prices))
    client = app.test_client()
    assert client.get("/api/lessons").status_code == 200
    aside = tmp_path / "aside"
    prices.rename(aside)
    expire(clock, app)
    assert_unavailable(client.get("/api/lessons"), "price_data: PriceDataError: no price files")
    assert_unavailable(client.get("/analysis/ACME"), "price_data")
    aside.rename(prices)
    expire(clock, app)
    assert client.get("/analysis/ACME").status_code == 200


def test_an_empty_price_directory_stops_traffic(make_app, tmp_path):
    client = make_app(PRICE_DIR=str(tmp_path)).test_client()
    assert_unavailable(client.get("/api/symbols"), f"no price files in {tmp_path}")


def test_the_gate_checks_at_most_once_per_cache_period(app, clock):
    assert app.config["READINESS_CACHE_SECONDS"] <= 2.0
    client = app.test_client()
    state = readiness.state(app)
    for _ in range(5):
        assert client.get("/api/lessons").status_code == 200
    assert state.evaluations == 1
    clock.advance(app.config["READINESS_CACHE_SECONDS"] - 0.1)
    client.get("/api/lessons")
    assert state.evaluations == 1
    clock.advance(0.2)
    client.get("/api/lessons")
    assert state.evaluations == 2
    client.get("/readyz")  # the probe always checks afresh
    assert state.evaluations == 3


def test_connect_does_not_create_a_missing_database(tmp_path):
    path = str(tmp_path / "absent.db")
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        connect(path)
    assert not os.path.exists(path)
    connect(path, create=True).close()  # the control: the migrator's mode does create it
    assert os.path.exists(path)


# Cannot write ----------------------------------------------------------------------------

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class FailingWrites:
    """A real connection whose writing statements raise `error`; reads pass through."""

    def __init__(self, conn, error):
        self.conn, self.error = conn, error

    def execute(self, sql, params=()):
        if sql.lstrip().upper().startswith(WRITES):
            raise self.error
        return self.conn.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self.conn, name)


@pytest.fixture
def disk_full():
    """Call it to make every write fail as on a full disk; call .undo() on the result to heal."""
    patch = pytest.MonkeyPatch()  # its own, so healing leaves the test's other patches alone

    def break_writes():
        real = db.connect

        def failing(path, **kwargs):
            error = sqlite3.OperationalError("database or disk is full")
            return FailingWrites(real(path, **kwargs), error)

        patch.setattr(db, "connect", failing)
        return patch

    yield break_writes
    patch.undo()


def assert_write_refused(response, cause, retry_after):
    assert response.status_code == 503
    assert response.get_json() == {"error": "storage unavailable", "cause": cause}
    assert response.headers["Retry-After"] == retry_after


def test_disk_full_writes_answer_503_json_and_reads_keep_working(alice, make_api, disk_full):
    user_id = alice.user_id()
    patch = disk_full()
    assert_write_refused(alice.post("/api/lessons/rsi/complete"), "database or disk is full", "30")
    assert_write_refused(make_api().register("bob"), "database or disk is full", "30")
    for url in ("/api/lessons", "/api/me", f"/api/users/{user_id}/progress", "/api/symbols"):
        assert alice.get(url).status_code == 200, url
    for url in ("/", "/lessons", "/lessons/rsi", "/dashboard", "/analysis/ACME"):
        assert alice.get(url).status_code == 200, url
    # The analysis read wanted to award first_analysis: skipped, not a failed read.
    assert alice.get("/api/analysis/ACME").status_code == 200
    ready = alice.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "degraded" and body["checks"]["storage"]["ok"] is False
    assert "a write failed 0 s ago: database or disk is full" in body["cause"]
    patch.undo()
    # Healed: writes work, readiness is clean again, and the skipped award is made now.
    assert alice.post("/api/lessons/rsi/complete").status_code == 200
    assert alice.get("/readyz").get_json()["status"] == "ready"
    alice.get("/analysis/ACME")
    codes = alice.get(f"/api/users/{user_id}/achievements").get_json()["achievements"]
    assert {a["code"] for a in codes} == {"first_lesson", "first_analysis"}


def test_disk_full_on_a_form_post_is_an_html_503_without_a_traceback(alice, disk_full):
    token = token_of(alice.get("/lessons/rsi"))
    disk_full()
    response = alice.client.post("/lessons/rsi/complete", data={"csrf_token": token})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert "text/html" in response.content_type
    assert "database or disk is full" in html and "Traceback" not in html


def test_storage_errors_are_503_in_production_too(production_app, disk_full):
    """No test-only propagation: the production config answers the same clean 503."""
    client = production_app.test_client()
    token = client.get("/api/csrf", base_url="https://stocks.example").get_json()["csrf_token"]
    disk_full()
    response = client.post(
        "/api/auth/register",
        json={"username": "bob", "password": "correct horse battery"},
        headers={"X-CSRFToken": token},
        base_url="https://stocks.example",
    )
    assert_write_refused(response, "database or disk is full", "30")


def read_only_connect(path, timeout=5.0, create=False):
    """Opens the real database read-only, as a read-only file or mount would."""
    conn = sqlite3.connect(
        f"file:{quote(path)}?mode=ro", uri=True, timeout=timeout, isolation_level=None
    )
    conn.row_factory = sqlite3.Row
    return conn


def test_a_read_only_database_refuses_writes_and_serves_reads(alice, monkeypatch):
    monkeypatch.setattr(db, "connect", read_only_connect)
    assert_write_refused(alice.post("/api/lessons/rsi/complete"), "database is read-only", "30")
    assert alice.get("/api/me").get_json()["username"] == "alice"
    assert alice.get("/lessons").status_code == 200


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes a file whatever its mode")
def test_a_read_only_database_file_is_degraded_refuses_writes_and_serves_reads(
    alice, clock, db_path
):
    files = [db_path, db_path + "-wal", db_path + "-shm"]
    os.chmod(db_path, 0o444)
    try:
        expire(clock, alice.client.application)
        assert alice.get("/api/me").status_code == 200
        body = alice.get("/readyz").get_json()
        assert body["status"] == "degraded"
        # SQLite creates -wal and -shm with the database's mode, so they are read-only too.
        expected = "; ".join(f"{name} is not writable" for name in files)
        assert body["checks"]["storage"]["detail"] == expected
        refused = alice.post("/api/lessons/rsi/complete")
        assert_write_refused(refused, "database is read-only", "30")
        os.chmod(db_path, 0o644)  # half fixed: writes still fail, and readiness says why
        detail = alice.get("/readyz").get_json()["checks"]["storage"]["detail"]
        assert f"{db_path}-shm is not writable" in detail
        assert alice.post("/api/lessons/rsi/complete").status_code == 503
    finally:
        for name in files:
            os.chmod(name, 0o644)
    assert alice.post("/api/lessons/rsi/complete").status_code == 200
    assert alice.get("/readyz").get_json()["status"] == "ready"


def test_a_locked_database_refuses_writes_and_serves_reads(make_app, make_api, db_path):
    api = make_api(make_app(DATABASE_TIMEOUT=0.05))
    assert api.register("alice").status_code == 201
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        assert_write_refused(api.post("/api/lessons/rsi/complete"), "database is locked", "1")
        assert api.get("/api/me").status_code == 200  # WAL: readers are not blocked
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert api.post("/api/lessons/rsi/complete").status_code == 200


def fake_statvfs(free_bytes, flags=0):
    return lambda _path: types.SimpleNamespace(
        f_bavail=free_bytes // 4096, f_frsize=4096, f_flag=flags
    )


def test_low_free_space_is_degraded_but_serves(app, clock, monkeypatch):
    client = app.test_client()
    monkeypatch.setattr(os, "statvfs", fake_statvfs(8192))
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "degraded"
    assert body["cause"].startswith("storage: 8192 bytes free on ")
    assert body["cause"].endswith(f"below {app.config['STORAGE_MIN_FREE_BYTES']}")
    assert client.get("/api/lessons").status_code == 200  # degraded never blocks reads
    monkeypatch.setattr(os, "statvfs", fake_statvfs(10 * app.config["STORAGE_MIN_FREE_BYTES"]))
    expire(clock, app)
    assert client.get("/readyz").get_json()["status"] == "ready"


def test_a_read_only_filesystem_is_degraded_but_serves(app, monkeypatch):
    monkeypatch.setattr(os, "statvfs", fake_statvfs(1 << 40, flags=os.ST_RDONLY))
    client = app.test_client()
    body = client.get("/readyz").get_json()
    assert body["status"] == "degraded" and "is read-only" in body["checks"]["storage"]["detail"]
    assert client.get("/lessons").status_code == 200


def test_a_failed_write_is_forgotten_after_a_while(alice, clock, disk_full):
    patch = disk_full()
    alice.post("/api/lessons/rsi/complete")
    patch.undo()
    assert alice.get("/readyz").get_json()["status"] == "degraded"
    clock.advance(readiness.WRITE_FAILURE_MEMORY_SECONDS - 1)
    assert "failed 29 s ago" in alice.get("/readyz").get_json()["cause"]
    clock.advance(1)
    assert alice.get("/readyz").get_json()["status"] == "ready"


# What counts as a storage error ----------------------------------------------------------


def test_a_real_sqlite_full_error_is_classified_as_full(tmp_path):
    conn = sqlite3.connect(tmp_path / "small.db", isolation_level=None)
    conn.execute("CREATE TABLE t (x TEXT)")
    (pages,) = conn.execute("PRAGMA page_count").fetchone()
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: it is "full"
    with pytest.raises(sqlite3.OperationalError) as caught:
        for _ in range(100):
            conn.execute("INSERT INTO t VALUES (?)", ("x" * 1000,))
    assert str(caught.value) == "database or disk is full"
    assert storage.classify(caught.value) is storage.FULL


def test_bugs_are_not_storage_errors(make_app, tmp_path):
    conn = sqlite3.connect(tmp_path / "x.db")
    with pytest.raises(sqlite3.OperationalError) as syntax:
        conn.execute("SELEC 1")
    assert storage.classify(syntax.value) is None
    assert storage.classify(sqlite3.IntegrityError("UNIQUE constraint failed")) is None
    assert storage.classify(sqlite3.OperationalError("database is locked")) is storage.LOCKED
    # And the app answers such a bug with a 500, not a 503 that would hide it.
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    app.add_url_rule("/api/bad-sql", "bad_sql", lambda: db.fetch_all("SELEC 1"))
    response = app.test_client().get("/api/bad-sql")
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal server error"}
