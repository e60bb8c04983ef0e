"""Rate limits, declared as data (`GATEHOUSE_RATE_LIMITS = {scope: "20/m", ...}`) and counted on
the shared cache (Redis when REDIS_URL is set), so every app process sees the same counts.

Each (scope, identity) gets a counter per fixed window, bumped with the cache's atomic `incr`:
concurrent attempts cannot slip through between a read and a write. Used by the API's DRF
throttles (accounts.api.throttles) and by the browser pages alike.
"""

import hashlib
import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from accounts.client import client_ip
from accounts.conf import app_settings
from accounts.models import normalize_email

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


def hit(scope, ident):
    """Count one attempt; return a Limited when it is over the scope's rate, else None."""
    rate = app_settings.GATEHOUSE_RATE_LIMITS.get(scope)
    if not rate or not ident:
        return None
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    key = _key(scope, ident, window)
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return None
    return Limited(scope=scope, wait=max((window + 1) * period - now, 1.0), first=count == limit + 1)


def blocked(scope, ident):
    """A Limited when the scope's window is already full for `ident` (nothing counted), else None:
    for refusing before costly work, when only failures are counted."""
    rate = app_settings.GATEHOUSE_RATE_LIMITS.get(scope)
    if not rate or not ident:
        return None
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    if cache.get(_key(scope, ident, window), 0) < limit:
        return None
    return Limited(scope=scope, wait=max((window + 1) * period - now, 1.0), first=False)


def count(scope, ident):
    """How many attempts the current window holds (for tests and the admin's curiosity)."""
    rate = app_settings.GATEHOUSE_RATE_LIMITS.get(scope)
    if not rate:
        return 0
    _limit, period = parse_rate(rate)
    return cache.get(_key(scope, ident, int(time.time() // period)), 0)


def account_ident(email):
    email = normalize_email(email if isinstance(email, str) else "")
    return email or None


def check_password_attempt(request, email):
    """The password throttles, per client IP then per account: the first refusal, or None."""
    return hit("password_ip", client_ip(request)) or hit("password_account", account_ident(email))
