"""Prometheus exposition, in-process and in multiprocess mode."""

import os
import subprocess
import sys
from pathlib import Path

METRIC_NAMES = [
    "stockapp_http_requests_total",
    "stockapp_http_request_duration_seconds",
    "stockapp_http_requests_in_flight",
    "stockapp_db_query_duration_seconds",
    "stockapp_logins_total",
    "stockapp_signups_total",
    "stockapp_lessons_completed_total",
    "stockapp_analysis_requests_total",
]
APP_DIR = Path(__file__).resolve().parent.parent


def samples(text):
    """{sample name with labels: value} of an exposition, comments left out."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def test_exposition_has_every_metric(alice):
    alice.post("/api/lessons/rsi/complete")
    alice.get("/api/analysis/ACME")
    text = alice.get("/metrics").get_data(as_text=True)
    for name in METRIC_NAMES:
        assert f"# TYPE {name.removesuffix('_total')}" in text, name


def test_samples_count_what_happened(alice):
    """Not only declared: each counter moved by exactly what the requests did."""
    before = samples(alice.get("/metrics").get_data(as_text=True))
    alice.post("/api/lessons/rsi/complete")
    alice.get("/api/analysis/ACME")
    alice.get("/api/analysis/ACME")
    after = samples(alice.get("/metrics").get_data(as_text=True))

    def moved(name):
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert moved("stockapp_lessons_completed_total") == 1
    assert moved('stockapp_analysis_requests_total{symbol="ACME"}') == 2
    route = 'route="/api/analysis/<symbol>"'
    assert moved(f'stockapp_http_requests_total{{method="GET",{route},status="200"}}') == 2
    assert moved(f'stockapp_http_request_duration_seconds_count{{method="GET",{route}}}') == 2
    assert moved("stockapp_db_query_duration_seconds_count") >= 1
    assert after["stockapp_signups_total"] >= 1


def test_route_label_is_the_rule_template(api):
    api.get("/api/lessons/rsi")
    api.get("/no/such/page")
    text = api.get("/metrics").get_data(as_text=True)
    assert 'route="/api/lessons/<slug>",status="200"' in text
    assert 'route="unmatched",status="404"' in text
    assert 'route="/metrics"' not in text


def test_unknown_symbols_do_not_create_labels(api):
    api.get("/api/analysis/NOSUCH")
    text = api.get("/metrics").get_data(as_text=True)
    assert 'symbol="NOSUCH"' not in text


def test_multiprocess_mode(tmp_path, db_path):
    """Two processes write samples; /metrics in a third aggregates them from the directory."""
    script = (
        "from stockapp import create_app\n"
        "c = create_app().test_client()\n"
        "c.get('/api/lessons'); print(c.get('/metrics').get_data(as_text=True))\n"
    )
    metrics_dir = tmp_path / "metrics"  # its own folder: every *.db in it is read as samples
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "STOCKAPP_ENV": "testing",
        "STOCKAPP_DATABASE": db_path,
        "PYTHONPATH": str(APP_DIR),
    }
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=APP_DIR
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr
    outputs = [r.stdout for r in runs]
    assert any(metrics_dir.glob("*.db"))
    line = 'stockapp_http_requests_total{method="GET",route="/api/lessons",status="200"} 2.0'
    assert line in outputs[1]
