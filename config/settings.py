"""Gatehouse settings: one module, every value read from the environment.

Defaults are for development (SQLite file, console-friendly); production must say DEBUG=false
(the default) and then provide a real SECRET_KEY. Every variable is documented in README.md.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_duration, env_int, env_list, env_str, env_url

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

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
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
    "standalone_connect",
]

MIDDLEWARE = [
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
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several app processes (gunicorn workers, the test server) share the file: wait for the
    # write lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    # A file, not shared-cache memory, so concurrent test threads wait for locks like servers do.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}

REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
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
STATICFILES_DIRS = [BASE_DIR / "static"]
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
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- WorkOS ------------------------------------------------------------------------------------
WORKOS_API_KEY = env_str("WORKOS_API_KEY")
WORKOS_CLIENT_ID = env_str("WORKOS_CLIENT_ID")
WORKOS_BASE_URL = env_url("WORKOS_BASE_URL", "https://api.workos.com")
WORKOS_REDIRECT_URI = env_url("WORKOS_REDIRECT_URI", "http://127.0.0.1:8000/auth/callback" if DEBUG else "")
# Redirect URIs an SPA may ask us to use for the AuthKit/SSO round trip (the browser callback is
# always allowed).
WORKOS_ALLOWED_REDIRECT_URIS = env_list("WORKOS_ALLOWED_REDIRECT_URIS")
WORKOS_WEBHOOK_SECRET = env_str("WORKOS_WEBHOOK_SECRET")
WORKOS_REQUEST_TIMEOUT = env_int("WORKOS_REQUEST_TIMEOUT", 10, minimum=1)
# Retries for idempotent WorkOS reads and deletes (code exchanges and completions never retry).
WORKOS_MAX_RETRIES = env_int("WORKOS_MAX_RETRIES", 2, minimum=0)
WORKOS_LOGOUT_RETURN_TO = env_url("WORKOS_LOGOUT_RETURN_TO")
# Other places an app may ask WorkOS to send the browser after logout (POST /api/auth/logout/
# {"return_to"}); each must also be an allowed logout redirect in WorkOS.
WORKOS_ALLOWED_LOGOUT_RETURN_TOS = env_list("WORKOS_ALLOWED_LOGOUT_RETURN_TOS")
WORKOS_DASHBOARD_URL = env_url("WORKOS_DASHBOARD_URL", "https://dashboard.workos.com")

# --- Google and Okta (OpenID Connect code exchange for existing users) -------------------------
GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
GOOGLE_ALLOWED_REDIRECT_URIS = env_list("GOOGLE_ALLOWED_REDIRECT_URIS")
GOOGLE_HOSTED_DOMAIN = env_str("GOOGLE_HOSTED_DOMAIN")
# Google's endpoints are fixed and published; set GOOGLE_DISCOVERY_URL instead to read them
# from a discovery document (tests point it at a local provider).
GOOGLE_DISCOVERY_URL = env_url("GOOGLE_DISCOVERY_URL")
GOOGLE_AUTHORIZE_URL = env_url("GOOGLE_AUTHORIZE_URL", "https://accounts.google.com/o/oauth2/v2/auth")
GOOGLE_TOKEN_URL = env_url("GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")
GOOGLE_JWKS_URL = env_url("GOOGLE_JWKS_URL", "https://www.googleapis.com/oauth2/v3/certs")
GOOGLE_TOKEN_AUTH_METHOD = env_str("GOOGLE_TOKEN_AUTH_METHOD", "client_secret_post")
OKTA_ISSUER = env_url("OKTA_ISSUER")
OKTA_CLIENT_ID = env_str("OKTA_CLIENT_ID")
OKTA_CLIENT_SECRET = env_str("OKTA_CLIENT_SECRET")
OKTA_ALLOWED_REDIRECT_URIS = env_list("OKTA_ALLOWED_REDIRECT_URIS")
OKTA_TOKEN_AUTH_METHOD = env_str("OKTA_TOKEN_AUTH_METHOD", "client_secret_basic")
OIDC_JWKS_CACHE_SECONDS = env_int("OIDC_JWKS_CACHE_SECONDS", 3600, minimum=1)
OIDC_HTTP_TIMEOUT = env_int("OIDC_HTTP_TIMEOUT", 10, minimum=1)

# --- Gatehouse ---------------------------------------------------------------------------------
GATEHOUSE_TOKEN_COOKIES = env_bool("GATEHOUSE_TOKEN_COOKIES", False)
GATEHOUSE_ALLOWED_EMAIL_DOMAINS = [d.lower() for d in env_list("GATEHOUSE_ALLOWED_EMAIL_DOMAINS")]
GATEHOUSE_PROVISIONING_ADAPTER = env_str("GATEHOUSE_PROVISIONING_ADAPTER", "accounts.adapter.DefaultAdapter")
GATEHOUSE_SIGNIN_STATE_MAX_AGE = env_int("GATEHOUSE_SIGNIN_STATE_MAX_AGE", 600, minimum=30)
GATEHOUSE_EXAMPLES_ENABLED = env_bool("GATEHOUSE_EXAMPLES_ENABLED", DEBUG)
# The session policy of sign-ins outside any organization with its own (those are edited in the
# admin): idle timeout, absolute lifetime, warning time. See accounts/session_limits.py.
GATEHOUSE_SESSION_POLICY = {
    "enabled": env_bool("SESSION_POLICY_ENABLED", True),
    "idle_timeout_minutes": env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30, minimum=1),
    "absolute_lifetime_hours": env_int("SESSION_ABSOLUTE_LIFETIME_HOURS", 8, minimum=1),
    "warning_minutes": env_int("SESSION_WARNING_MINUTES", 2, minimum=1),
}
# The WorkOS organization a brand-new user joins when WorkOS gives none and the sign-in names none,
# if they belong there (a membership, a verified domain of theirs, or an invitation).
GATEHOUSE_DEFAULT_ORGANIZATION_ID = env_str("DEFAULT_ORGANIZATION_ID")
# Single-tenant deployments only: place such a person in DEFAULT_ORGANIZATION_ID, else the oldest
# organization, without proof that they belong there. Off: a stranger could join a customer.
GATEHOUSE_OPEN_ORGANIZATION_FALLBACK = env_bool("OPEN_ORGANIZATION_FALLBACK", False)
# Where passwords live when no login rule says: "django" (this database) or "workos" (WorkOS
# user management, checked with its password grant). A rule's method overrides it per domain.
GATEHOUSE_PASSWORD_BACKEND = env_str("GATEHOUSE_PASSWORD_BACKEND", "django")
# The issuer name authenticator apps show next to a TOTP factor enrolled at sign-in.
GATEHOUSE_TOTP_ISSUER = env_str("GATEHOUSE_TOTP_ISSUER", "Gatehouse")
# organization id -> its verified email domains (a set); an SSO profile's email counts as
# verified only within them. The default reads the SSO mirror, then asks WorkOS.
GATEHOUSE_ORGANIZATION_DOMAINS = env_str("GATEHOUSE_ORGANIZATION_DOMAINS", "sso.domains.verified_domains")
# The organizations the admin offers for login rules and session policies: the SSO mirror's.
GATEHOUSE_ORGANIZATION_CHOICES = "sso.mirror.organization_choices"
# What happens to an account when WorkOS removes the person (directory/access.py): per trigger,
# deactivate, remove_organization, end_sessions or ignore. Nothing is ever deleted.
GATEHOUSE_DEPROVISIONING = {
    "directory_user_removed": env_str("DEPROVISION_DIRECTORY_USER_REMOVED", "deactivate"),
    "directory_user_inactive": env_str("DEPROVISION_DIRECTORY_USER_INACTIVE", "deactivate"),
    "membership_removed": env_str("DEPROVISION_MEMBERSHIP_REMOVED", "remove_organization"),
    "membership_inactive": env_str("DEPROVISION_MEMBERSHIP_INACTIVE", "remove_organization"),
    "workos_user_deleted": env_str("DEPROVISION_WORKOS_USER_DELETED", "deactivate"),
}

# --- Standalone Connect ------------------------------------------------------------------------
CONNECT_LOGIN_PATH = env_str("CONNECT_LOGIN_PATH", "connect/login").strip("/")
CONNECT_CONSENT_OPTIONS = env_str("CONNECT_CONSENT_OPTIONS", "standalone_connect.consent.default_consent_options")
CONNECT_USER_METADATA = env_str("CONNECT_USER_METADATA", "standalone_connect.consent.default_user_metadata")
CONNECT_ISSUER = env_url("CONNECT_ISSUER")
CONNECT_JWKS_URL = env_url("CONNECT_JWKS_URL")
CONNECT_AUDIENCE = env_str("CONNECT_AUDIENCE")

# --- Client identity and rate limits ---------------------------------------------------------
# X-Forwarded-For is trusted only through proxies named here (see accounts/client.py): a count
# of proxies in front of the app, or their addresses/networks.
GATEHOUSE_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
GATEHOUSE_TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# Per scope, "<count>/<period>" with s, m, h or d (e.g. 20/m, 5/300s); counted on the shared cache.
GATEHOUSE_RATE_LIMITS = {
    "password_ip": env_str("THROTTLE_PASSWORD_IP", "20/m"),
    "password_account": env_str("THROTTLE_PASSWORD_ACCOUNT", "5/m"),
    "authorize_ip": env_str("THROTTLE_AUTHORIZE_IP", "60/m"),
    "sign_in_ip": env_str("THROTTLE_SIGN_IN_IP", "120/m"),
    "email_send": env_str("THROTTLE_EMAIL_SEND", "5/10m"),
}

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
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}, "bare": {"format": "%(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}, "requests": {"class": "logging.StreamHandler", "formatter": "bare"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO"), "propagate": False},
        "django.server": {"handlers": ["requests"], "level": "INFO" if DEBUG else "WARNING", "propagate": False},
        "httpx2": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
