"""Who is on the other end of a request: the client IP and user agent, as we may trust them.

The IP is `REMOTE_ADDR` unless trusted proxies are configured, because `X-Forwarded-For` is
whatever the client wants it to be: trusting it by default would let anyone buy fresh throttle
attempts, or write any address into the audit trail, by sending a new header each time.

- `GATEHOUSE_TRUSTED_PROXY_COUNT = N`: exactly N proxies we run sit in front of the app, each
  appending the address it saw; the client is the Nth address from the right.
- `GATEHOUSE_TRUSTED_PROXIES = [ip or CIDR, ...]`: walk `X-Forwarded-For` from the right,
  skipping our proxies; the first address that is not one of them is the client. A request that
  did not come through one of them (its `REMOTE_ADDR` is not listed) keeps `REMOTE_ADDR`.
"""

import contextlib
import functools
import ipaddress

from django.core.signals import setting_changed

from accounts.conf import app_settings

_ATTR = "_gatehouse_client_ip"


@functools.cache
def _trusted_networks():
    return tuple(ipaddress.ip_network(item, strict=False) for item in app_settings.GATEHOUSE_TRUSTED_PROXIES)


setting_changed.connect(
    lambda setting, **kwargs: _trusted_networks.cache_clear() if setting == "GATEHOUSE_TRUSTED_PROXIES" else None
)


def _ip(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address, networks):
    return any(address in network for network in networks)


def _resolve(meta):
    remote = meta.get("REMOTE_ADDR") or None
    count = app_settings.GATEHOUSE_TRUSTED_PROXY_COUNT
    networks = _trusted_networks()
    if not (count or networks) or remote is None:
        return remote
    forwarded = [part for part in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()]
    if count:
        if len(forwarded) < count:
            return remote  # the request did not pass through all of our proxies
        address = _ip(forwarded[-count])
        return str(address) if address is not None else remote
    remote_address = _ip(remote)
    if remote_address is None or not _is_trusted(remote_address, networks):
        return remote
    for part in reversed(forwarded):
        address = _ip(part)
        if address is None:
            return remote  # a garbled chain: never guess
        if not _is_trusted(address, networks):
            return str(address)
    return remote


def behind_trusted_proxy(request):
    """Did this request come through a proxy we run (so its headers may be believed)?"""
    if app_settings.GATEHOUSE_TRUSTED_PROXY_COUNT:
        return True
    remote = _ip(request.META.get("REMOTE_ADDR") or "")
    return remote is not None and _is_trusted(remote, _trusted_networks())


def client_ip(request):
    """The client's IP address as a string (None without a request)."""
    if request is None:
        return None
    cached = getattr(request, _ATTR, None)
    if cached is None:
        cached = _resolve(request.META) or ""
        with contextlib.suppress(AttributeError):
            setattr(request, _ATTR, cached)
    return cached or None


def user_agent(request, limit=300):
    if request is None:
        return ""
    return "".join(ch for ch in (request.META.get("HTTP_USER_AGENT") or "") if ch.isprintable())[:limit]


@functools.lru_cache(maxsize=1024)
def describe_device(agent):
    """A user agent as people say it: "Chrome on Linux", "Mobile Safari on iOS", else the raw text."""
    from ua_parser import parse

    if not agent:
        return ""
    parsed = parse(agent)
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else ""
    if not browser or browser == "Other":
        return agent[:60]
    return f"{browser} on {system}" if system else browser
