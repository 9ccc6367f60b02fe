"""Stock-analysis teaching site: application factory."""

from collections.abc import Mapping

from flask import Flask


def create_app(config=None):
    """Build the app; `config` is a mapping of overrides or a whole config object."""
    # Imported here so `python -m stockapp.migrate` does not create metrics or import views.
    from . import db, errors, health, metrics, readiness, requestlog
    from .analysis import bp as analysis_bp
    from .auth import bp as auth_bp
    from .config import config_from_env
    from .lessons import bp as lessons_bp
    from .security import init_security

    app = Flask(__name__)
    if config is None or isinstance(config, Mapping):
        app.config.from_object(config_from_env())
        app.config.update(config or {})
    else:
        app.config.from_object(config)  # a config instance replaces the environment's

    metrics.init_app(app)  # first, so every later hook's failures are still counted
    requestlog.init_app(app)
    # Before CSRF: a replica that cannot serve answers every request 503, retried elsewhere.
    readiness.init_app(app)
    init_security(app)
    db.init_app(app)
    errors.init_app(app)
    for bp in (health.bp, auth_bp, lessons_bp, analysis_bp):
        app.register_blueprint(bp)
    return app
