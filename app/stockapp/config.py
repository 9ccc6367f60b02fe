"""Configuration classes per environment; values come from the environment."""

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

log = logging.getLogger(__name__)
PACKAGE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _env_int(name, default):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _read_secret_file(path):
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read SECRET_KEY_FILE {path!r}: {exc.strerror}") from None
    if not secret:
        raise ConfigError(f"SECRET_KEY_FILE {path!r} is empty")
    return secret


class BaseConfig:
    ENV_NAME = "base"
    DEFAULT_PROXY_HOPS = 0
    MAX_CONTENT_LENGTH = 64 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # The token is bound to the session and rotated at login; an hourly expiry
    # would only break long-running API clients.
    WTF_CSRF_TIME_LIMIT = None
    # Referer checking on HTTPS rejects API clients that send no Referer; the
    # session-bound token plus SameSite=Lax cookies already stop cross-site posts.
    WTF_CSRF_SSL_STRICT = False
    PRICE_DIR = str(PACKAGE_DIR / "data" / "prices")
    # A login lasts at most this long, counted on the server from the login (auth/users.py);
    # the cookie's signature expires with it.
    SESSION_LIFETIME_SECONDS = 7 * 24 * 3600
    PERMANENT_SESSION_LIFETIME = timedelta(seconds=SESSION_LIFETIME_SECONDS)
    # How long a readiness report stands before the request gate checks again (readiness.py).
    READINESS_CACHE_SECONDS = 2.0
    # How long a request waits for another connection's write lock before answering 503.
    DATABASE_TIMEOUT = 5.0

    def __init__(self):
        self.DATABASE = os.environ.get("STOCKAPP_DATABASE", "/var/lib/stockapp/stockapp.db")
        self.PROXY_HOPS = _env_int("STOCKAPP_PROXY_HOPS", self.DEFAULT_PROXY_HOPS)
        self.LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
        self.LOGIN_WINDOW_SECONDS = _env_int("LOGIN_WINDOW_SECONDS", 300)
        # Per client address (after ProxyFix): one client trying many accounts.
        self.LOGIN_MAX_FAILURES_PER_CLIENT = _env_int("LOGIN_MAX_FAILURES_PER_CLIENT", 30)
        # Below this many free bytes under the database, /readyz reports storage as degraded.
        self.STORAGE_MIN_FREE_BYTES = _env_int("STOCKAPP_MIN_FREE_BYTES", 32 * 1024 * 1024)
        self.SECRET_KEY = self.load_secret_key()

    def load_secret_key(self):
        path = os.environ.get("SECRET_KEY_FILE", "").strip()
        if not path:
            raise ConfigError(
                f"SECRET_KEY_FILE must name a file holding the secret key ({self.ENV_NAME})"
            )
        return _read_secret_file(path)


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"

    def load_secret_key(self):
        if os.environ.get("SECRET_KEY_FILE", "").strip():
            return super().load_secret_key()
        # Sessions die with the process; acceptable for a local dev server only.
        log.warning("SECRET_KEY_FILE not set: using a random per-process secret key")
        return secrets.token_hex(32)


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    DEFAULT_PROXY_HOPS = 1
    # Flask takes DEBUG from FLASK_DEBUG; a stray FLASK_DEBUG=1 must not make errors propagate
    # past the JSON/HTML error handlers (or reload templates) in production.
    DEBUG = False
    TESTING = False
    PROPAGATE_EXCEPTIONS = False
    SESSION_COOKIE_SECURE = True
    # __Host- forbids Domain and requires Secure and Path=/, so no subdomain can plant it.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_PATH = "/"


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True

    def load_secret_key(self):
        return "testing-only-not-a-secret"


CONFIGS = {c.ENV_NAME: c for c in (DevelopmentConfig, ProductionConfig, TestingConfig)}


def config_from_env():
    name = os.environ.get("STOCKAPP_ENV", "production").strip() or "production"
    try:
        return CONFIGS[name]()
    except KeyError:
        choices = "|".join(sorted(CONFIGS))
        raise ConfigError(f"STOCKAPP_ENV must be one of {choices}, got {name!r}") from None
