"""The shared cache (Redis in production) as Gatehouse uses it: when it is down, a read is a miss
and a write is skipped, never an error for the person signing in; throttles count in this
process instead (accounts.ratelimit). The log says so, at most once a minute per process."""

import logging
import threading
import time
from typing import Any

from django.core.cache import cache

log = logging.getLogger(__name__)
_WARN_EVERY = 60.0
_last_warning = [0.0]
_lock = threading.Lock()


def down(exc: Exception, action: str) -> None:
    """Note that the shared cache failed (logged at most once a minute)."""
    now = time.monotonic()
    with _lock:
        if now - _last_warning[0] < _WARN_EVERY:
            return
        _last_warning[0] = now
    log.warning("The shared cache is unavailable (%s: %s): %s", type(exc).__name__, exc, action)


# Any backend's failure (redis-py's ConnectionError, TimeoutError...) is the cache being down.
def get(key: str, default: Any = None) -> Any:
    try:
        return cache.get(key, default)
    except Exception as exc:  # noqa: BLE001
        down(exc, "reading it as a miss")
        return default


def set(key: str, value: Any, timeout: float | None) -> None:  # noqa: A001  (the cache's own word)
    try:
        cache.set(key, value, timeout)
    except Exception as exc:  # noqa: BLE001
        down(exc, "not writing to it")


def delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception as exc:  # noqa: BLE001
        down(exc, "not deleting from it")
