"""Liveness never touches the database; readiness reports each dependency."""

import sqlite3

from stockapp import version


def test_healthz_reports_the_version(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": version.VERSION}


def test_healthz_reads_the_version_on_every_request(client, monkeypatch):
    monkeypatch.setattr(version, "VERSION", "9.9.9")
    assert client.get("/healthz").get_json()["version"] == "9.9.9"


def test_healthz_needs_no_database(make_app, tmp_path):
    app = make_app(DATABASE=str(tmp_path / "missing" / "x.db"))
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_all_checks_pass(client, tmp_path):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "price_data", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "cause" not in body
    assert body["checks"]["price_data"]["detail"] == "5 symbols loaded"
    assert body["checks"]["storage"]["detail"].endswith(" bytes free on " + str(tmp_path))


def test_readyz_503_when_database_unreachable(make_app, tmp_path):
    app = make_app(DATABASE=str(tmp_path / "missing" / "x.db"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is False
    assert "unable to open" in body["checks"]["database"]["detail"]
    assert body["checks"]["price_data"]["ok"] is True
    assert body["cause"].startswith("database: OperationalError: unable to open")
    assert response.headers["Retry-After"] == "5"


def test_readyz_503_when_migrations_missing(make_app, tmp_path):
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    response = make_app(DATABASE=str(empty)).test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["migrations"] == {"ok": False, "detail": checks["migrations"]["detail"]}
    assert "pending migrations [1, 2, 3, 4, 5]" in checks["migrations"]["detail"]


def test_readyz_503_when_price_data_missing(make_app, tmp_path):
    response = make_app(PRICE_DIR=str(tmp_path)).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["price_data"]["ok"] is False
