"""Gunicorn settings for the production image (`gunicorn -c gunicorn.conf.py stockapp.wsgi:app`)."""

import os
import shutil

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threaded workers keep connections alive between requests (sync workers close every one), so
# the proxy's upstream keepalive pool saves a TCP handshake per request.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Longer than the proxy's keepalive_timeout (50 s): the proxy, not gunicorn, closes idle
# connections, so nginx never sends a request on a connection gunicorn is closing.
keepalive = 75
# After SIGTERM (a release stops old replicas so), in-flight requests get this long to finish:
# as long as the proxy waits for an answer (proxy_read_timeout 30s), and below the container's
# stop_grace_period (40 s), after which Docker kills.
graceful_timeout = 30
# Heartbeat files on tmpfs: a disk-backed /tmp can stall workers into timeouts.
worker_tmp_dir = "/dev/shm"
# The app logs each request itself as JSON, with the client address ProxyFix trusts and the
# proxy's request id (stockapp/requestlog.py): gunicorn's own access log would only repeat it.
accesslog = None
errorlog = "-"
# gunicorn >= 25 opens a control socket under $HOME by default; the root filesystem is read-only.
control_socket_disable = True
# No preload: metrics must be created in each worker, after on_starting cleared the directory.
preload_app = False


def on_starting(server):
    """Start from an empty multiprocess directory so dead processes' samples do not linger."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return
    os.makedirs(path, exist_ok=True)
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    server.log.info("cleared prometheus multiprocess dir %s", path)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
