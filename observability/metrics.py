"""Gatehouse's metrics, in Prometheus's format, counted by the code that knows (sign-ins in the
audit trail, throttles in the rate limiter, WorkOS calls in the client, webhook events in the
pipeline) and served at `/metrics` (config.views).

Under gunicorn each worker process counts its own; with PROMETHEUS_MULTIPROC_DIR set (the shipped
gunicorn.conf.py sets it) the scrape adds them up. Label values come from fixed sets (methods,
stable error codes, scopes, operation names), never from a client. Nothing is counted while
`/metrics` cannot be scraped (`enabled`).
"""

import os
from typing import Any

from django.conf import settings
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


def enabled() -> bool:
    """Counting is on while `/metrics` can be scraped (METRICS_TOKEN or METRICS_ALLOWED_IPS): with
    neither, nobody reads the numbers, and counting them would cost every request for nothing."""
    return bool(settings.METRICS_TOKEN or settings.METRICS_ALLOWED_IPS)


class _Off:
    """What a metric is while counting is off: every operation does nothing."""

    def labels(self, *values: str) -> "_Off":
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


_OFF = _Off()


class _Switched:
    """A labelled metric that counts only while `enabled()`."""

    def __init__(self, metric: Counter | Histogram) -> None:
        self._metric = metric

    def labels(self, *values: str) -> Any:
        return self._metric.labels(*values) if enabled() else _OFF


def _counter(*args: Any, **kwargs: Any) -> _Switched:
    return _Switched(Counter(*args, **kwargs))


def _histogram(*args: Any, **kwargs: Any) -> _Switched:
    return _Switched(Histogram(*args, **kwargs))


SIGN_INS = _counter(
    "gatehouse_sign_ins_total",
    "Sign-ins by method and outcome (reason: the refusal's code)",
    ["method", "outcome", "reason"],
)
REFRESHES = _counter(
    "gatehouse_refreshes_total", "Token refreshes by outcome (reason: the refusal's code)", ["outcome", "reason"]
)
TOKEN_REFUSALS = _counter("gatehouse_token_refusals_total", "Access tokens refused on /api/auth/me, by code", ["code"])
THROTTLED = _counter("gatehouse_throttled_total", "Requests refused by a rate limit, by scope", ["scope"])
WORKOS_CALLS = _counter(
    "gatehouse_workos_calls_total", "WorkOS API calls by operation and outcome", ["operation", "status"]
)
WORKOS_SECONDS = _histogram(
    "gatehouse_workos_call_seconds",
    "WorkOS API call latency by operation",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
WEBHOOK_EVENTS = _counter(
    "gatehouse_workos_events_total", "WorkOS events (webhooks, catch-up) by type and outcome", ["type", "outcome"]
)
DEPROVISIONINGS = _counter(
    "gatehouse_deprovisionings_total", "Accounts whose access was removed, by trigger", ["trigger"]
)
SYNCS = _counter("gatehouse_syncs_total", "Mirror syncs from WorkOS by kind and outcome", ["kind", "outcome"])
SYNC_SECONDS = _histogram(
    "gatehouse_sync_seconds", "Mirror sync duration by kind", ["kind"], buckets=(1, 5, 15, 60, 300, 900, 3600)
)
SYNC_ROWS = _counter(
    "gatehouse_sync_rows_total", "Mirror rows a sync wrote or removed, by object and change", ["object", "change"]
)
OPEN_SIGN_INS = Gauge("gatehouse_open_sign_ins", "Sign-ins not ended (browser and app)", multiprocess_mode="livemax")


def render(open_sign_ins: int) -> tuple[bytes, str]:
    """The exposition text (all worker processes' counts when multiprocess), and its content type."""
    OPEN_SIGN_INS.set(open_sign_ins)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
