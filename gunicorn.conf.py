"""Gatehouse's production server settings: `gunicorn -c gunicorn.conf.py config.wsgi`.

Threaded workers (gthread) keep client connections alive between requests, where gunicorn's
default sync workers close every connection after one response, so each request would pay a new
TCP connection. Override with the environment: BIND, WEB_CONCURRENCY (processes), GUNICORN_THREADS,
GUNICORN_KEEPALIVE (seconds an idle connection stays open), GUNICORN_MAX_REQUESTS (recycle a
worker after that many requests; 0, the default, never), GUNICORN_ACCESSLOG (a file, "-" for
standard output, empty for none).
"""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 30))
timeout = 30
graceful_timeout = 30
# Recycling workers after N requests guards against memory growth, but each restart costs a
# second of CPU importing Django: off by default (no known growth), GUNICORN_MAX_REQUESTS to set.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None

# Metrics across worker processes (observability/metrics.py): each worker writes its counts to a
# directory (made fresh for this server unless PROMETHEUS_MULTIPROC_DIR names one); the scrape adds
# them up. Set before prometheus_client is imported anywhere: it decides its storage then.
_made_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _made_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gatehouse-metrics-")

from prometheus_client import multiprocess  # noqa: E402


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
