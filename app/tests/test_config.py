"""Per-environment configuration read from the environment."""

import pytest
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

from stockapp import create_app
from stockapp.config import ConfigError


def test_production_refuses_to_start_without_secret_key_file(production, monkeypatch):
    monkeypatch.delenv("SECRET_KEY_FILE")
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE"):
        create_app()


@pytest.mark.parametrize("content", ["", "  \n"])
def test_production_refuses_an_empty_secret(production, content):
    production.write_text(content)
    with pytest.raises(ConfigError, match="empty"):
        create_app()


def test_production_refuses_an_unreadable_secret(production, monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="cannot read"):
        create_app()


def test_production_cookie_flags(production):
    app = create_app()
    assert app.secret_key == "a-long-random-test-secret"
    client = app.test_client()
    response = client.get("/api/csrf", base_url="https://stocks.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie


def test_production_trusts_exactly_one_proxy(production):
    app = create_app()
    app.add_url_rule("/_probe", view_func=lambda: f"{request.remote_addr} {request.scheme}")
    headers = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Forwarded-Proto": "https"}
    response = app.test_client().get("/_probe", headers=headers)
    # Only the hop our nginx appended is believed; the client-supplied one is ignored.
    assert response.get_data(as_text=True) == "203.0.113.9 https"


def test_development_falls_back_to_a_random_key(monkeypatch, db_path, caplog):
    monkeypatch.setenv("STOCKAPP_ENV", "development")
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    first, second = create_app(), create_app()
    assert first.secret_key and first.secret_key != second.secret_key
    assert "SECRET_KEY_FILE not set" in caplog.text
    assert first.config["SESSION_COOKIE_NAME"] == "session"
    assert not isinstance(first.wsgi_app, ProxyFix)


def test_unknown_environment_is_rejected(monkeypatch):
    monkeypatch.setenv("STOCKAPP_ENV", "staging")
    with pytest.raises(ConfigError, match="STOCKAPP_ENV"):
        create_app()


def test_proxy_hops_must_be_an_integer(production, monkeypatch):
    monkeypatch.setenv("STOCKAPP_PROXY_HOPS", "one")
    with pytest.raises(ConfigError, match="STOCKAPP_PROXY_HOPS"):
        create_app()
