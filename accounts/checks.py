"""System checks that name a missing or unsafe setting before the first request finds it."""

import sqlite3
from dataclasses import asdict
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from accounts import session_limits
from accounts.conf import app_settings
from accounts.models import SessionPolicy
from workos_integration.conf import app_settings as workos_settings


def _is_https(url):
    return urlsplit(url).scheme == "https"


def _is_loopback(url):
    return urlsplit(url).hostname in {"localhost", "127.0.0.1", "::1"}


def _weak(key):
    return key.startswith("django-insecure") or len(key) < 32 or len(set(key)) < 5


@register(Tags.security, deploy=False)
def check_secret_key(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    if _weak(settings.SECRET_KEY or ""):
        errors.append(
            Error(
                "SECRET_KEY is a default or weak value while DEBUG is false.",
                hint="Set SECRET_KEY to at least 50 random characters.",
                id="gatehouse.E001",
            )
        )
    from rest_framework_simplejwt.settings import api_settings as jwt_settings

    if jwt_settings.ALGORITHM.startswith("HS") and _weak(jwt_settings.SIGNING_KEY or ""):
        errors.append(
            Error(
                "JWT_SIGNING_KEY is weak or shorter than 32 characters while DEBUG is false: "
                "anyone who guesses it can mint access tokens.",
                hint="Set JWT_SIGNING_KEY to at least 50 random characters, or unset it to use SECRET_KEY.",
                id="gatehouse.E007",
            )
        )
    return errors


@register()
def check_workos(app_configs=None, **kwargs):
    errors = []
    api_key, client_id = workos_settings.WORKOS_API_KEY, workos_settings.WORKOS_CLIENT_ID
    if api_key and not client_id:
        errors.append(
            Error(
                "WORKOS_API_KEY is set but WORKOS_CLIENT_ID is not.",
                hint="Copy the client id (client_...) from the WorkOS dashboard.",
                id="gatehouse.E002",
            )
        )
    if client_id and not api_key:
        errors.append(
            Error(
                "WORKOS_CLIENT_ID is set but WORKOS_API_KEY is not.",
                hint="Copy the API key (sk_...) from the WorkOS dashboard.",
                id="gatehouse.E003",
            )
        )
    for field, problem in SessionPolicy.problems(asdict(session_limits.default())).items():
        errors.append(Error(f"GATEHOUSE_SESSION_POLICY {field}: {problem}", id="gatehouse.E015"))
    backend = app_settings.GATEHOUSE_PASSWORD_BACKEND
    if backend not in ("django", "workos", "either"):
        errors.append(
            Error(f"GATEHOUSE_PASSWORD_BACKEND must be django, workos or either, not {backend!r}.", id="gatehouse.E008")
        )
    elif backend != "django" and not (api_key and client_id):
        errors.append(
            Error(
                f"GATEHOUSE_PASSWORD_BACKEND is {backend} but WorkOS is not configured.",
                hint="Set WORKOS_API_KEY and WORKOS_CLIENT_ID.",
                id="gatehouse.E009",
            )
        )
    links = app_settings.GATEHOUSE_PASSWORD_RESET_LINKS
    if links not in ("ours", "any"):
        errors.append(Error(f"GATEHOUSE_PASSWORD_RESET_LINKS must be ours or any, not {links!r}.", id="gatehouse.E031"))
    style = app_settings.GATEHOUSE_API_STYLE
    if style not in ("snake", "camel"):
        errors.append(Error(f"GATEHOUSE_API_STYLE must be snake or camel, not {style!r}.", id="gatehouse.E017"))
    default_org = app_settings.GATEHOUSE_DEFAULT_ORGANIZATION_ID
    if default_org and not (default_org.startswith("org_") and default_org[4:].isalnum()):
        errors.append(
            Error(
                f"DEFAULT_ORGANIZATION_ID ({default_org!r}) is not a WorkOS organization id.",
                hint="Copy the id (org_...) from the WorkOS dashboard.",
                id="gatehouse.E016",
            )
        )
    if app_settings.GATEHOUSE_OPEN_ORGANIZATION_FALLBACK:
        errors.append(
            Warning(
                "OPEN_ORGANIZATION_FALLBACK is on: a new person WorkOS places in no organization joins "
                "DEFAULT_ORGANIZATION_ID (else the oldest organization) without proof.",
                hint="Only for single-tenant deployments; with several customers, leave it off.",
                id="gatehouse.W002",
            )
        )
    if api_key and client_id and not app_settings.WORKOS_REDIRECT_URI:
        errors.append(
            Error(
                "WORKOS_REDIRECT_URI is not set.",
                hint="Set it to https://<your host>/auth/callback and register it in WorkOS.",
                id="gatehouse.E004",
            )
        )
    if not settings.DEBUG:
        uris = [("WORKOS_REDIRECT_URI", app_settings.WORKOS_REDIRECT_URI)] + [
            ("WORKOS_ALLOWED_REDIRECT_URIS", uri) for uri in app_settings.WORKOS_ALLOWED_REDIRECT_URIS
        ]
        for name, uri in uris:
            if uri and not _is_https(uri) and not _is_loopback(uri):
                errors.append(
                    Error(
                        f"{name} contains a non-https URL ({uri}) while DEBUG is false.",
                        hint="Authorization codes must only travel over https.",
                        id="gatehouse.E005",
                    )
                )
        base = workos_settings.WORKOS_BASE_URL
        if base and not _is_https(base) and not _is_loopback(base):
            errors.append(
                Error(
                    f"WORKOS_BASE_URL ({base}) is not https while DEBUG is false.",
                    hint="API keys would travel in clear text.",
                    id="gatehouse.E006",
                )
            )
        if api_key and not workos_settings.WORKOS_WEBHOOK_SECRET:
            errors.append(
                Warning(
                    "WORKOS_WEBHOOK_SECRET is not set: /webhooks/workos will refuse every event.", id="gatehouse.W001"
                )
            )
    return errors


@register()
def check_oidc_providers(app_configs=None, **kwargs):
    errors = []
    for name in ("GOOGLE", "OKTA"):
        client_id = getattr(app_settings, f"{name}_CLIENT_ID")
        secret = getattr(app_settings, f"{name}_CLIENT_SECRET")
        uris = getattr(app_settings, f"{name}_ALLOWED_REDIRECT_URIS")
        if client_id and not secret:
            errors.append(Error(f"{name}_CLIENT_ID is set but {name}_CLIENT_SECRET is not.", id="gatehouse.E010"))
        if client_id and not uris:
            errors.append(
                Error(
                    f"{name}_CLIENT_ID is set but {name}_ALLOWED_REDIRECT_URIS is empty.",
                    hint="List the redirect URIs your SPA registers with the provider.",
                    id="gatehouse.E011",
                )
            )
        if not settings.DEBUG:
            for uri in uris:
                if not _is_https(uri):
                    errors.append(
                        Error(
                            f"{name}_ALLOWED_REDIRECT_URIS contains a non-https URL ({uri}) while DEBUG is false.",
                            id="gatehouse.E012",
                        )
                    )
        method = getattr(app_settings, f"{name}_TOKEN_AUTH_METHOD")
        if method not in ("client_secret_post", "client_secret_basic"):
            errors.append(
                Error(
                    f"{name}_TOKEN_AUTH_METHOD must be client_secret_post or client_secret_basic, not {method!r}.",
                    id="gatehouse.E014",
                )
            )
    if app_settings.OKTA_CLIENT_ID and not app_settings.OKTA_ISSUER:
        errors.append(
            Error(
                "OKTA_CLIENT_ID is set but OKTA_ISSUER is not.",
                hint="https://<your domain>.okta.com or https://<domain>/oauth2/<server id>.",
                id="gatehouse.E013",
            )
        )
    return errors


@register()
def check_dotted_paths(app_configs=None, **kwargs):
    errors = []
    for name in ("GATEHOUSE_PROVISIONING_ADAPTER", "GATEHOUSE_ORGANIZATION_DOMAINS"):
        errors += importable(app_settings, name, id="gatehouse.E020")
    return errors


def importable(conf, name, *, id):
    """The Error for a dotted-path setting that cannot be imported (an app's `conf` holds it)."""
    path = getattr(conf, name)
    try:
        import_string(path)
    except ImportError as exc:
        return [Error(f"{name} points at {path!r}, which cannot be imported: {exc}", id=id)]
    return []


@register()
def check_database(app_configs=None, databases=None, **kwargs):
    """A sign-in finds and stamps a user in one statement (UPDATE ... RETURNING): SQLite 3.35+."""
    from django.db import connections

    if any(connections[alias].vendor == "sqlite" for alias in connections) and sqlite3.sqlite_version_info < (3, 35):
        return [
            Error(
                f"SQLite {sqlite3.sqlite_version} is too old: Gatehouse needs 3.35 or later (UPDATE ... RETURNING).",
                id="gatehouse.E030",
            )
        ]
    return []
