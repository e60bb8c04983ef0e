"""Gatehouse's production server settings: `gunicorn -c gunicorn.conf.py config.wsgi`.

Threaded workers (gthread), many threads each: a sign-in or a refresh mostly waits on WorkOS
(100-300 ms a round trip), and a thread that waits costs little, so one worker per core holds
hundreds of them in flight and the CPU, not the waiting, is the limit (docs/benchmarks.md, the
storm rows). Three things keep that safe: a request gives its pooled database connection back
before it waits on WorkOS (config/settings.py, DB_POOL), holds no transaction across the wait,
and finishes its work after WorkOS answers through a small gate per worker
(workos_integration/waiting.py), so that requests which never wait on WorkOS, `/api/auth/me`
first, do not queue behind a storm of sign-ins. Connections stay alive between requests.

Override with the environment: BIND, WEB_CONCURRENCY (processes, one per core by default),
GUNICORN_THREADS (per process, 256 by default), GUNICORN_KEEPALIVE (seconds an idle connection
stays open), GUNICORN_MAX_REQUESTS (recycle a worker after that many requests; 0, the default,
never), GUNICORN_ACCESSLOG (a file, "-" for standard output, empty for none),
GUNICORN_SWITCH_INTERVAL (seconds a thread keeps the interpreter lock before handing it over).
"""

import multiprocessing
import os
import shutil
import sys
import tempfile

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 256))
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


def post_worker_init(worker):
    # Hundreds of threads share one interpreter lock per worker: a short request (/api/auth/me)
    # waits for it behind the sign-ins' work at every turn. Handing it over every millisecond
    # instead of every five keeps those waits short.
    sys.setswitchinterval(float(os.environ.get("GUNICORN_SWITCH_INTERVAL", 0.001)))
