"""Settings for benchmark runs: the app's settings plus comparison views (never deployed)."""

from accounts.conf import DEFAULTS as ACCOUNTS_DEFAULTS
from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "ERROR"}}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}  # noqa: F405
# Throttles stay on (their cost is part of every sign-in) but never refuse a benchmark's flood.
GATEHOUSE_RATE_LIMITS = {scope: "1000000/m" for scope in ACCOUNTS_DEFAULTS["GATEHOUSE_RATE_LIMITS"]}
