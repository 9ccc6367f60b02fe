"""Prometheus metrics; multiprocess-safe when PROMETHEUS_MULTIPROC_DIR is set (gunicorn)."""

import os
import time

from flask import Blueprint, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from . import version

bp = Blueprint("metrics", __name__)

HTTP_REQUESTS = Counter(
    "stockapp_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "stockapp_http_request_duration_seconds", "HTTP request latency.", ["method", "route"]
)
HTTP_IN_FLIGHT = Gauge(
    "stockapp_http_requests_in_flight", "HTTP requests being served.", multiprocess_mode="livesum"
)
DB_QUERY_SECONDS = Histogram(
    "stockapp_db_query_duration_seconds",
    "SQLite query latency.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
LOGINS = Counter("stockapp_logins_total", "Login attempts by outcome.", ["result"])
SIGNUPS = Counter("stockapp_signups_total", "Accounts created.")
LESSONS_COMPLETED = Counter("stockapp_lessons_completed_total", "Lessons newly completed.")
ANALYSIS_REQUESTS = Counter(
    "stockapp_analysis_requests_total", "Analyses served, by known symbol.", ["symbol"]
)

# One sample per version, not one per worker: in multiprocess mode "livemax" folds every live
# process's 1 into one sample without a pid label ("all" and "liveall" would add one per pid).
BUILD_INFO = Gauge(
    "stockapp_build_info",
    "The version this replica serves; the value is always 1.",
    ["version"],
    multiprocess_mode="livemax",
)

# Export zeros from the start so rate() and alerts see every outcome.
for _result in ("success", "failure", "rate_limited"):
    LOGINS.labels(result=_result)

EXCLUDED_ROUTES = {"/metrics"}


def _route():
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def _start_timer():
    if _route() not in EXCLUDED_ROUTES:
        g.metrics_start = time.perf_counter()
        HTTP_IN_FLIGHT.inc()


def _record(response):
    start = g.get("metrics_start")
    if start is not None:
        route = _route()
        HTTP_DURATION.labels(request.method, route).observe(time.perf_counter() - start)
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    return response


def _finish(_exc=None):
    if g.pop("metrics_start", None) is not None:
        HTTP_IN_FLIGHT.dec()


def init_app(app):
    """Register the hooks first so later before_request failures (CSRF) are still counted."""
    BUILD_INFO.clear()  # one version per process; a test's earlier app must not linger
    BUILD_INFO.labels(version=version.current()).set(1)
    app.before_request(_start_timer)
    app.after_request(_record)
    app.teardown_request(_finish)
    app.register_blueprint(bp)


@bp.get("/metrics")
def metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
