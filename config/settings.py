"""Gatehouse settings: one module, every value read from the environment.

Defaults are for development (SQLite file, console-friendly); production must say DEBUG=false
(the default) and then provide a real SECRET_KEY. Every variable is documented in README.md.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_duration,
    env_float,
    env_int,
    env_list,
    env_str,
    env_url,
    from_environment,
    natural_int,
    positive_int,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)


def _secret_key():
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random value (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DEBUG=true for local development."
        )
    # Development only: one generated key kept beside the code so that sessions and tokens
    # survive restarts and are shared by every worker process.
    key_file = BASE_DIR / ".dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. Set it to the host names this server answers to, comma-separated "
        "(e.g. gatehouse.example.com), or set DEBUG=true for local development."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "workos_integration",
    "sso",
    "directory",
    "organizations",
    "standalone_connect",
]

MIDDLEWARE = [
    "config.middleware.WorkOSWaitingMiddleware",
    "config.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.BrowserSessionRevocationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.StaticCSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],  # the project's own pages; each app keeps its templates
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.impersonation",
                "organizations.context_processors.organization",
            ],
        },
    },
]

try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Gatehouse understands: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
    # A pool per process: a request takes a connection when it first queries and gives it back at
    # its end, and also before it waits on WorkOS (workos_integration.client.call), so hundreds
    # of sign-ins waiting on WorkOS hold none and a few connections serve them all.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # the pool checks them
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env_int("DB_POOL_SIZE", 16, minimum=1),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several app processes (gunicorn workers, the test server) share the file: wait for the
    # write lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # A file, not shared-cache memory, so concurrent test threads wait for locks like servers do.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}

REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # a Redis that is down or hung fails fast (accounts.sharedcache then falls back)
            "OPTIONS": {
                "socket_connect_timeout": env_float("REDIS_TIMEOUT", 0.5),
                "socket_timeout": env_float("REDIS_TIMEOUT", 0.5),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/auth/login"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Our pages load scripts and styles from our own origin only (no inline code anywhere).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO") else None
# HTTPS only outside DEBUG. Behind a proxy that already redirects and sends HSTS, turn these off
# with SECURE_SSL_REDIRECT=false and SECURE_HSTS_SECONDS=0.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- The apps' settings ------------------------------------------------------------------------
# Each app owns its settings' defaults (accounts/conf.py, workos_integration/conf.py, sso/conf.py,
# directory/conf.py, standalone_connect/conf.py); here only the environment variables that are
# set become settings, read and checked by type. The README's configuration table lists them.
_FROM_ENVIRONMENT = {
    # setting: (environment variable, reader)
    "WORKOS_API_KEY": ("WORKOS_API_KEY", env_str),
    "WORKOS_CLIENT_ID": ("WORKOS_CLIENT_ID", env_str),
    "WORKOS_BASE_URL": ("WORKOS_BASE_URL", env_url),
    "WORKOS_REDIRECT_URI": ("WORKOS_REDIRECT_URI", env_url),
    "WORKOS_ALLOWED_REDIRECT_URIS": ("WORKOS_ALLOWED_REDIRECT_URIS", env_list),
    "WORKOS_WEBHOOK_SECRET": ("WORKOS_WEBHOOK_SECRET", env_str),
    "WORKOS_REQUEST_TIMEOUT": ("WORKOS_REQUEST_TIMEOUT", positive_int),
    "WORKOS_AFTER_WAIT_SLOTS": ("WORKOS_AFTER_WAIT_SLOTS", positive_int),
    "WORKOS_MAX_RETRIES": ("WORKOS_MAX_RETRIES", natural_int),
    "WORKOS_LOGOUT_RETURN_TO": ("WORKOS_LOGOUT_RETURN_TO", env_url),
    "WORKOS_ALLOWED_LOGOUT_RETURN_TOS": ("WORKOS_ALLOWED_LOGOUT_RETURN_TOS", env_list),
    "WORKOS_DASHBOARD_URL": ("WORKOS_DASHBOARD_URL", env_url),
    "GOOGLE_CLIENT_ID": ("GOOGLE_CLIENT_ID", env_str),
    "GOOGLE_CLIENT_SECRET": ("GOOGLE_CLIENT_SECRET", env_str),
    "GOOGLE_ALLOWED_REDIRECT_URIS": ("GOOGLE_ALLOWED_REDIRECT_URIS", env_list),
    "GOOGLE_HOSTED_DOMAIN": ("GOOGLE_HOSTED_DOMAIN", env_str),
    "GOOGLE_DISCOVERY_URL": ("GOOGLE_DISCOVERY_URL", env_url),
    "GOOGLE_AUTHORIZE_URL": ("GOOGLE_AUTHORIZE_URL", env_url),
    "GOOGLE_TOKEN_URL": ("GOOGLE_TOKEN_URL", env_url),
    "GOOGLE_JWKS_URL": ("GOOGLE_JWKS_URL", env_url),
    "GOOGLE_TOKEN_AUTH_METHOD": ("GOOGLE_TOKEN_AUTH_METHOD", env_str),
    "OKTA_ISSUER": ("OKTA_ISSUER", env_url),
    "OKTA_CLIENT_ID": ("OKTA_CLIENT_ID", env_str),
    "OKTA_CLIENT_SECRET": ("OKTA_CLIENT_SECRET", env_str),
    "OKTA_ALLOWED_REDIRECT_URIS": ("OKTA_ALLOWED_REDIRECT_URIS", env_list),
    "OKTA_TOKEN_AUTH_METHOD": ("OKTA_TOKEN_AUTH_METHOD", env_str),
    "OIDC_JWKS_CACHE_SECONDS": ("OIDC_JWKS_CACHE_SECONDS", positive_int),
    "OIDC_HTTP_TIMEOUT": ("OIDC_HTTP_TIMEOUT", positive_int),
    "GATEHOUSE_TOKEN_COOKIES": ("GATEHOUSE_TOKEN_COOKIES", env_bool),
    "GATEHOUSE_API_STYLE": ("GATEHOUSE_API_STYLE", env_str),
    "GATEHOUSE_TOKEN_DELIVERY_CHOICE": ("GATEHOUSE_TOKEN_DELIVERY_CHOICE", env_bool),
    "GATEHOUSE_ALLOWED_EMAIL_DOMAINS": (
        "GATEHOUSE_ALLOWED_EMAIL_DOMAINS",
        lambda name: [d.lower() for d in env_list(name)],
    ),
    "GATEHOUSE_PROVISIONING_ADAPTER": ("GATEHOUSE_PROVISIONING_ADAPTER", env_str),
    "GATEHOUSE_SIGNIN_STATE_MAX_AGE": ("GATEHOUSE_SIGNIN_STATE_MAX_AGE", lambda name: env_int(name, 0, minimum=30)),
    "GATEHOUSE_DEFAULT_ORGANIZATION_ID": ("DEFAULT_ORGANIZATION_ID", env_str),
    "GATEHOUSE_OPEN_ORGANIZATION_FALLBACK": ("OPEN_ORGANIZATION_FALLBACK", env_bool),
    "GATEHOUSE_PASSWORD_BACKEND": ("GATEHOUSE_PASSWORD_BACKEND", env_str),
    "GATEHOUSE_PASSWORD_RESET_LINKS": ("GATEHOUSE_PASSWORD_RESET_LINKS", env_str),
    "GATEHOUSE_TOTP_ISSUER": ("GATEHOUSE_TOTP_ISSUER", env_str),
    "GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS": ("REFRESH_REUSE_GRACE_SECONDS", natural_int),
    "GATEHOUSE_AUDIT_STREAM": ("AUDIT_STREAM", env_bool),
    "GATEHOUSE_IMPERSONATION_FORBIDDEN": ("IMPERSONATION_FORBIDDEN", env_list),
    "GATEHOUSE_ORGANIZATION_ADMIN_ROLES": ("ORGANIZATION_ADMIN_ROLES", env_list),
    "GATEHOUSE_API_KEY_CACHE_SECONDS": ("API_KEY_CACHE_SECONDS", natural_int),
    "GATEHOUSE_ORGANIZATION_DOMAINS": ("GATEHOUSE_ORGANIZATION_DOMAINS", env_str),
    "GATEHOUSE_TRUSTED_PROXY_COUNT": ("TRUSTED_PROXY_COUNT", natural_int),
    "GATEHOUSE_TRUSTED_PROXIES": ("TRUSTED_PROXIES", env_list),
    "CONNECT_LOGIN_PATH": ("CONNECT_LOGIN_PATH", lambda name: env_str(name).strip("/")),
    "CONNECT_CONSENT_OPTIONS": ("CONNECT_CONSENT_OPTIONS", env_str),
    "CONNECT_USER_METADATA": ("CONNECT_USER_METADATA", env_str),
    "CONNECT_ISSUER": ("CONNECT_ISSUER", env_url),
    "CONNECT_JWKS_URL": ("CONNECT_JWKS_URL", env_url),
    "CONNECT_AUDIENCE": ("CONNECT_AUDIENCE", env_str),
}
globals().update(from_environment(_FROM_ENVIRONMENT))
# Settings that are dicts hold what the environment sets; each app merges them over its defaults:
# the default session policy (accounts/session_limits.py), what deprovisioning does per trigger
# (directory/access.py) and the rate limits per scope ("<count>/<period>", e.g. 20/m or 5/300s).
_DICTS_FROM_ENVIRONMENT = {
    "GATEHOUSE_SESSION_POLICY": {
        "enabled": ("SESSION_POLICY_ENABLED", env_bool),
        "idle_timeout_minutes": ("SESSION_IDLE_TIMEOUT_MINUTES", positive_int),
        "absolute_lifetime_hours": ("SESSION_ABSOLUTE_LIFETIME_HOURS", positive_int),
        "warning_minutes": ("SESSION_WARNING_MINUTES", positive_int),
    },
    "GATEHOUSE_DEPROVISIONING": {
        trigger: (f"DEPROVISION_{trigger.upper()}", env_str)
        for trigger in ("directory_user_removed", "directory_user_inactive", "membership_removed")
        + ("membership_inactive", "workos_user_deleted")
    },
    "GATEHOUSE_RATE_LIMITS": {
        scope: (f"THROTTLE_{scope.upper()}", env_str)
        for scope in ("password_ip", "password_account", "authorize_ip", "sign_in_ip", "email_send", "api_key_ip")
        + ("organization",)
    },
}
globals().update({setting: from_environment(keys) for setting, keys in _DICTS_FROM_ENVIRONMENT.items()})

# --- How this project wires its apps together (not defaults: choices) --------------------------
# The development server's own callback, so that `DEBUG=true` runs with no WorkOS setup.
if DEBUG and "WORKOS_REDIRECT_URI" not in globals():
    WORKOS_REDIRECT_URI = "http://127.0.0.1:8000/auth/callback"
# An SSO profile's email counts as verified only within its organization's verified domains:
# read from the SSO mirror first, then WorkOS (accounts alone would always ask WorkOS).
GATEHOUSE_ORGANIZATION_DOMAINS = globals().get("GATEHOUSE_ORGANIZATION_DOMAINS", "sso.domains.verified_domains")
# The organizations the admin offers for login rules and session policies: the SSO mirror's.
GATEHOUSE_ORGANIZATION_CHOICES = "sso.mirror.organization_choices"
# The example single-page client under /examples/spa/ (config/examples.py).
GATEHOUSE_EXAMPLES_ENABLED = env_bool("GATEHOUSE_EXAMPLES_ENABLED", DEBUG)

# --- API ---------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.AccessTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["accounts.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "accounts.api.schema.IntegratorSchema",
    "EXCEPTION_HANDLER": "accounts.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "Gatehouse API",
    "DESCRIPTION": "WorkOS-backed sign-in for SPAs: JWT pairs, refresh, logout. Errors are "
    '`{"code": "<stable_snake_case>", "message": "<sentence>", "detail"?: {...}}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI served from our own static files: the docs work offline and without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"SessionFallbackEnum": ["redirect", "logout"]},
    # the answers' names follow GATEHOUSE_API_STYLE
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "accounts.api.style.postprocess_schema"],
}

# Our HS256 tokens' key: SECRET_KEY unless set (then at least 32 random characters; checked).
JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY") or SECRET_KEY
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": env_duration("JWT_ACCESS_LIFETIME", timedelta(minutes=5)),
    "REFRESH_TOKEN_LIFETIME": env_duration("JWT_REFRESH_LIFETIME", timedelta(days=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ISSUER": env_str("JWT_ISSUER", "gatehouse"),
    "AUDIENCE": env_str("JWT_AUDIENCE", "gatehouse"),
    "LEEWAY": 5,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# One console handler, each record printed once: Django's own loggers do not also propagate to
# the root's. The development server logs its requests; the WorkOS SDK's HTTP client only problems.
# /metrics (Prometheus): a bearer token, or the addresses (or networks) that may scrape; neither: off
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")
LOG_FORMAT = env_str("LOG_FORMAT", "plain")  # json: one JSON object per line (config/logging.py)
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIDFilter"}},
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s: %(message)s"},
        "bare": {"format": "%(message)s"},
        "json": {"()": "config.logging.JSONFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        },
        "requests": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "bare",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO"), "propagate": False},
        "django.server": {"handlers": ["requests"], "level": "INFO" if DEBUG else "WARNING", "propagate": False},
        "httpx2": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
