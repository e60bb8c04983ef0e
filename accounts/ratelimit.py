"""Rate limits, declared as data (`GATEHOUSE_RATE_LIMITS = {scope: "20/m", ...}`) and counted on
the shared cache (Redis when REDIS_URL is set), so every app process sees the same counts.

Each (scope, identity) gets a counter per fixed window, bumped with the cache's atomic `incr`:
concurrent attempts cannot slip through between a read and a write. Used by the API's DRF
throttles (accounts.api.throttles) and by the browser pages alike.

When the shared cache is down, counting goes on in each process (accounts.sharedcache logs it):
the limits then hold per process instead of across them, neither refusing everyone nor letting
guesses through unbounded.
"""

import hashlib
import re
import threading
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from accounts import sharedcache
from accounts.client import client_ip
from accounts.conf import app_settings
from accounts.models import normalize_email
from observability import metrics

_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


def parse_rate(rate):
    """`20/m`, `20/min`, `5/300s`, `100/h` -> (count, seconds)."""
    match = _RATE.match(str(rate).lower())
    if not match or match.group(3) not in _UNITS or int(match.group(1)) < 1:
        raise ImproperlyConfigured(f"{rate!r} is not a rate such as 20/m, 5/300s or 100/h.")
    return int(match.group(1)), int(match.group(2) or 1) * _UNITS[match.group(3)]


@dataclass(frozen=True)
class Limited:
    """A refused attempt: `wait` seconds until the window ends; `first` for the first refusal in it."""

    scope: str
    wait: float
    first: bool


def _key(scope, ident, window):
    # hashed: any byte a client sends becomes a short, cache-safe key
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"gatehouse:rl:{scope}:{digest}:{window}"


# The counters of this process, while the shared cache is down: {key: (count, expires)}.
_local: dict[str, tuple[int, float]] = {}
_local_lock = threading.Lock()


def _local_incr(key, period, now):
    with _local_lock:
        if len(_local) > 10_000:  # windows past: a flood of identities cannot grow it for ever
            for stale in [k for k, (_, until) in _local.items() if until < now]:
                del _local[stale]
        count, until = _local.get(key, (0, now + period + 1))
        _local[key] = (count + 1, until)
        return count + 1


def _incr(key, period, now):
    try:
        cache.add(key, 0, timeout=period + 1)
        try:
            return cache.incr(key)
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, timeout=period + 1)
            return 1
    except Exception as exc:  # noqa: BLE001 -- any backend's failure is the shared cache being down
        sharedcache.down(exc, "counting attempts in this process")
        return _local_incr(key, period, now)


def _current(key):
    try:
        return cache.get(key, 0)
    except Exception as exc:  # noqa: BLE001
        sharedcache.down(exc, "reading this process's counts")
        with _local_lock:
            return _local.get(key, (0, 0.0))[0]


def _window(scope, ident):
    """(limit, period, now, the current window's cache key) for a limited scope, else None."""
    rate = app_settings.GATEHOUSE_RATE_LIMITS.get(scope)
    if not rate or not ident:
        return None
    limit, period = parse_rate(rate)
    now = time.time()
    return limit, period, now, _key(scope, ident, int(now // period))


def _refused(scope, period, now, first):
    metrics.THROTTLED.labels(scope).inc()
    return Limited(scope=scope, wait=max((int(now // period) + 1) * period - now, 1.0), first=first)


def hit(scope, ident):
    """Count one attempt; return a Limited when it is over the scope's rate, else None."""
    found = _window(scope, ident)
    if found is None:
        return None
    limit, period, now, key = found
    count = _incr(key, period, now)
    return None if count <= limit else _refused(scope, period, now, first=count == limit + 1)


def blocked(scope, ident):
    """A Limited when the scope's window is already full for `ident` (nothing counted), else None:
    for refusing before costly work, when only failures are counted."""
    found = _window(scope, ident)
    if found is None:
        return None
    limit, period, now, key = found
    return None if _current(key) < limit else _refused(scope, period, now, first=False)


def count(scope, ident):
    """How many attempts the current window holds (for tests and the admin's curiosity)."""
    rate = app_settings.GATEHOUSE_RATE_LIMITS.get(scope)
    if not rate:
        return 0
    _limit, period = parse_rate(rate)
    return _current(_key(scope, ident, int(time.time() // period)))


def account_ident(email):
    email = normalize_email(email if isinstance(email, str) else "")
    return email or None


def check_password_attempt(request, email):
    """The password throttles, per client IP then per account: the first refusal, or None."""
    return hit("password_ip", client_ip(request)) or hit("password_account", account_ident(email))
