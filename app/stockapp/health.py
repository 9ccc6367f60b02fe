"""Liveness (/healthz, no I/O) and readiness (/readyz, checks the dependencies afresh)."""

from flask import Blueprint, jsonify

from . import readiness, version

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok", version=version.current())


@bp.get("/readyz")
def readyz():
    """200 when this replica can serve (also when only degraded: reads still work), else 503.
    The fresh report also refreshes what the request gate uses."""
    report = readiness.state().report(fresh=True)
    body = {"status": report["status"], "checks": report["checks"]}
    if report["cause"]:
        body["cause"] = report["cause"]
    if report["ready"]:
        return jsonify(body), 200
    return jsonify(body), 503, {"Retry-After": str(readiness.GATE_RETRY_AFTER)}
