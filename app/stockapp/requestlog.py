"""One JSON line per request on stderr: the client's address as the app sees it (after ProxyFix
trusts exactly the proxies in front), what was asked, the answer, and the proxy's request id,
so a request can be followed from the proxy's JSON log to the app's. Health and metrics probes
are left out: they come every few seconds from Docker and Prometheus, not from clients."""

import json
import logging
import sys
import time

from flask import g, request

log = logging.getLogger("stockapp.requests")
QUIET_PATHS = {"/metrics", "/healthz", "/readyz"}


def _start():
    g.request_log_started = time.perf_counter()


def _record(response):
    if request.path in QUIET_PATHS:
        return response
    started = g.get("request_log_started")
    entry = {
        "event": "request",
        "request_id": request.headers.get("X-Request-ID", ""),
        "remote_addr": request.remote_addr,
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }
    log.info(json.dumps(entry))
    return response


def init_app(app):
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    app.before_request(_start)
    app.after_request(_record)
