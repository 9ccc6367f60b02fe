"""CSRF protection and the proxy trust boundary."""

from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()


def init_security(app):
    csrf.init_app(app)
    hops = app.config.get("PROXY_HOPS", 0)
    if hops > 0:
        # Trust X-Forwarded-* only from the number of proxies we actually run (nginx).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
