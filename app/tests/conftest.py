"""Shared fixtures: an app on a fresh migrated database and a CSRF-aware JSON client."""

import pytest

from stockapp import create_app
from stockapp.migrate import migrate

PASSWORD = "correct horse battery"


class Api:
    """Test client wrapper that fetches and follows the CSRF token like a real API client."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def csrf(self):
        self.token = self.client.get("/api/csrf").get_json()["csrf_token"]
        return self.token

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, json=None):
        if self.token is None:
            self.csrf()
        response = self.client.post(url, json=json, headers={"X-CSRFToken": self.token})
        body = response.get_json(silent=True) or {}
        self.token = body.get("csrf_token", self.token)  # login rotates the token
        return response

    def register(self, username, password=PASSWORD):
        return self.post("/api/auth/register", {"username": username, "password": password})

    def login(self, username, password=PASSWORD):
        return self.post("/api/auth/login", {"username": username, "password": password})

    def user_id(self):
        return self.get("/api/me").get_json()["id"]


@pytest.fixture
def db_path(tmp_path):
    path = str(tmp_path / "stockapp.db")
    migrate(path)
    return path


@pytest.fixture
def make_app(db_path, monkeypatch):
    """Build apps on the shared test database; keyword overrides go into the config."""
    monkeypatch.setenv("STOCKAPP_ENV", "testing")
    monkeypatch.setenv("STOCKAPP_DATABASE", db_path)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("STOCKAPP_VERSION", raising=False)
    return lambda **overrides: create_app(overrides)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_api(app):
    return lambda target=app: Api(target.test_client())


@pytest.fixture
def api(make_api):
    return make_api()


@pytest.fixture
def alice(make_api):
    """A registered, logged-in API client."""
    client = make_api()
    assert client.register("alice").status_code == 201
    return client


@pytest.fixture
def production(monkeypatch, db_path, tmp_path):
    """The environment of a production replica; yields the secret key file."""
    monkeypatch.setenv("STOCKAPP_ENV", "production")
    monkeypatch.setenv("STOCKAPP_DATABASE", db_path)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("STOCKAPP_VERSION", raising=False)
    secret = tmp_path / "secret_key"
    secret.write_text("a-long-random-test-secret\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    return secret


@pytest.fixture
def production_app(production):
    return create_app()
