"""The served version: STOCKAPP_VERSION over version.py, on /healthz and as stockapp_build_info."""

import os
import re
import subprocess
import sys
from pathlib import Path

from stockapp import version

APP_DIR = Path(__file__).resolve().parent.parent


def build_info_lines(text):
    return [line for line in text.splitlines() if line.startswith("stockapp_build_info")]


def test_env_overrides_the_bundled_version(make_app, monkeypatch):
    monkeypatch.setenv("STOCKAPP_VERSION", "2.4.6-rc1")
    client = make_app().test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "version": "2.4.6-rc1"}
    lines = build_info_lines(client.get("/metrics").get_data(as_text=True))
    assert lines == ['stockapp_build_info{version="2.4.6-rc1"} 1.0']


def test_blank_env_falls_back_to_version_py(make_app, monkeypatch):
    monkeypatch.setenv("STOCKAPP_VERSION", "  ")
    monkeypatch.setattr(version, "VERSION", "0.0.7")
    client = make_app().test_client()
    assert client.get("/healthz").get_json()["version"] == "0.0.7"
    lines = build_info_lines(client.get("/metrics").get_data(as_text=True))
    assert lines == ['stockapp_build_info{version="0.0.7"} 1.0']


def test_an_earlier_apps_version_does_not_linger(make_app, monkeypatch):
    monkeypatch.setenv("STOCKAPP_VERSION", "1.0.0")
    make_app()
    monkeypatch.setenv("STOCKAPP_VERSION", "1.0.1")
    text = make_app().test_client().get("/metrics").get_data(as_text=True)
    assert build_info_lines(text) == ['stockapp_build_info{version="1.0.1"} 1.0']


def run_workers(metrics_dir, env, script, count=2):
    outputs = []
    for _ in range(count):
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=APP_DIR
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    return outputs


def test_build_info_is_one_sample_across_workers_in_multiprocess_mode(tmp_path, db_path):
    """Two worker processes each set the gauge; the scrape shows one sample, not one per pid."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "STOCKAPP_ENV": "testing",
        "STOCKAPP_DATABASE": db_path,
        "STOCKAPP_VERSION": "3.1.4",
        "PYTHONPATH": str(APP_DIR),
    }
    script = (
        "from stockapp import create_app\n"
        "print(create_app().test_client().get('/metrics').get_data(as_text=True))\n"
    )
    outputs = run_workers(metrics_dir, env, script)
    assert len(list(metrics_dir.glob("gauge_livemax_*.db"))) == 2  # both workers wrote
    assert build_info_lines(outputs[1]) == ['stockapp_build_info{version="3.1.4"} 1.0']


def test_control_a_per_process_gauge_mode_would_duplicate_the_sample(tmp_path):
    """The control of the test above: 'liveall' gives each worker its own pid-labelled line."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    script = (
        "from prometheus_client import CollectorRegistry, Gauge, generate_latest, multiprocess\n"
        "Gauge('stockapp_build_info', 'x', ['version'], multiprocess_mode='liveall')"
        ".labels(version='3.1.4').set(1)\n"
        "r = CollectorRegistry(); multiprocess.MultiProcessCollector(r)\n"
        "print(generate_latest(r).decode())\n"
    )
    lines = build_info_lines(run_workers(metrics_dir, env, script)[1])
    assert len(lines) == 2 and all('pid="' in line for line in lines)


def test_dockerfile_prod_stage_stamps_the_version():
    text = (APP_DIR / "Dockerfile").read_text()
    assert text.startswith("# ") and "ARG BASE_IMAGE=" in text.split("FROM", 1)[0]
    prod = text.split("FROM base AS prod", 1)[1]
    arg = re.search(r"^ARG APP_VERSION=(\S+)$", prod, re.MULTILINE)
    assert arg is not None and arg.group(1) == version.VERSION  # default matches version.py
    env_block = re.search(r"^ENV (?:.*\\\n)*.*$", prod, re.MULTILINE).group(0)
    assert "STOCKAPP_VERSION=$APP_VERSION" in env_block
