"""Gatehouse's production server settings: `gunicorn -c gunicorn.conf.py config.wsgi`.

Threaded workers (gthread) keep client connections alive between requests, where gunicorn's
default sync workers close every connection after one response, so each request would pay a new
TCP connection. Override with the environment: BIND, WEB_CONCURRENCY (processes), GUNICORN_THREADS,
GUNICORN_KEEPALIVE (seconds an idle connection stays open).
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 30))
timeout = 30
graceful_timeout = 30
# recycle workers now and then (memory growth), not all at once
max_requests = 10000
max_requests_jitter = 1000
accesslog = "-"
