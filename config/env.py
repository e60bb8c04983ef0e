"""Typed readers for environment variables.

Every reader raises ImproperlyConfigured naming the variable and the value it could not use, so
that a typo in deployment configuration stops the process with a sentence instead of a traceback.
"""

import os
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=""):
    return os.environ.get(name, default).strip()


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, got {raw!r}.")


def env_int(name, default, minimum=None):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_float(name, default, minimum=0.0):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_duration(name, default):
    """A duration such as `300`, `300s`, `5m`, `12h` or `7d` (plain numbers are seconds)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip().lower()
    unit = _UNITS.get(text[-1]) if text[-1].isalpha() else 1
    number = text[:-1] if text[-1].isalpha() else text
    if unit is None or not number.isdigit() or int(number) <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive duration such as 300, 300s, 5m, 12h or 7d, got {raw!r}.")
    return timedelta(seconds=int(number) * unit)


def env_url(name, default="", schemes=("http", "https")):
    from urllib.parse import urlsplit

    value = env_str(name, default)
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ImproperlyConfigured(f"{name} must be an absolute {'/'.join(schemes)} URL, got {value!r}.")
    return value


def positive_int(name):
    return env_int(name, 0, minimum=1)


def natural_int(name):
    return env_int(name, 0, minimum=0)


def from_environment(mapping):
    """{setting: reader(variable)} for each `setting: (variable, reader)` whose variable is set:
    an app's own default applies to every one that is not."""
    return {setting: reader(variable) for setting, (variable, reader) in mapping.items() if variable in os.environ}
