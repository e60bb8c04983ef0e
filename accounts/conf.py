"""The `accounts` app's settings and their defaults (each app has its own conf.py: sso,
directory, standalone_connect and workos_integration own theirs).

Read from Django settings each time they are used (so `override_settings` and a changed setting
take effect at once), with a default when the project does not set one: another Django project
can add the app and set only what it needs. Gatehouse's own project fills them from the
environment in config/settings.py, where each is documented.
"""

from django.conf import settings

DEFAULTS = {
    # WorkOS sign-in (how to reach WorkOS: workos_integration.conf)
    "WORKOS_REDIRECT_URI": "",
    "WORKOS_ALLOWED_REDIRECT_URIS": [],
    "WORKOS_LOGOUT_RETURN_TO": "",
    "WORKOS_ALLOWED_LOGOUT_RETURN_TOS": [],
    # Google and Okta
    "GOOGLE_CLIENT_ID": "",
    "GOOGLE_CLIENT_SECRET": "",
    "GOOGLE_ALLOWED_REDIRECT_URIS": [],
    "GOOGLE_HOSTED_DOMAIN": "",
    "GOOGLE_DISCOVERY_URL": "",
    "GOOGLE_AUTHORIZE_URL": "https://accounts.google.com/o/oauth2/v2/auth",
    "GOOGLE_TOKEN_URL": "https://oauth2.googleapis.com/token",
    "GOOGLE_JWKS_URL": "https://www.googleapis.com/oauth2/v3/certs",
    "GOOGLE_TOKEN_AUTH_METHOD": "client_secret_post",
    "OKTA_ISSUER": "",
    "OKTA_CLIENT_ID": "",
    "OKTA_CLIENT_SECRET": "",
    "OKTA_ALLOWED_REDIRECT_URIS": [],
    "OKTA_TOKEN_AUTH_METHOD": "client_secret_basic",
    "OIDC_JWKS_CACHE_SECONDS": 3600,
    "OIDC_HTTP_TIMEOUT": 10,
    # Gatehouse
    "GATEHOUSE_TOKEN_COOKIES": False,
    "GATEHOUSE_ALLOWED_EMAIL_DOMAINS": [],
    "GATEHOUSE_PROVISIONING_ADAPTER": "accounts.adapter.DefaultAdapter",
    "GATEHOUSE_ORGANIZATION_DOMAINS": "accounts.signin.workos.organization_verified_domains",
    # () -> [(organization id, name)] offered where the admin asks for an organization ("": type it)
    "GATEHOUSE_ORGANIZATION_CHOICES": "",
    "GATEHOUSE_SIGNIN_STATE_MAX_AGE": 600,
    "GATEHOUSE_PASSWORD_BACKEND": "django",
    "GATEHOUSE_SESSION_POLICY": {},  # over accounts.session_limits.Policy's defaults
    "GATEHOUSE_DEFAULT_ORGANIZATION_ID": "",
    "GATEHOUSE_OPEN_ORGANIZATION_FALLBACK": False,
    "GATEHOUSE_TOTP_ISSUER": "Gatehouse",
    "GATEHOUSE_TRUSTED_PROXY_COUNT": 0,
    "GATEHOUSE_TRUSTED_PROXIES": [],
    # Per scope; a project's dict is merged over these (a scope set to None is not limited).
    "GATEHOUSE_RATE_LIMITS": {
        "password_ip": "20/m",
        "password_account": "5/m",
        "authorize_ip": "60/m",
        "sign_in_ip": "120/m",
        "email_send": "5/10m",
    },
}


class AppSettings:
    def __init__(self, defaults):
        self._defaults = defaults

    def __getattr__(self, name):
        try:
            default = self._defaults[name]
        except KeyError:
            raise AttributeError(f"{name} is not one of this app's settings") from None
        value = getattr(settings, name, default)
        if isinstance(default, dict) and isinstance(value, dict):
            return {**default, **value}
        return value


app_settings = AppSettings(DEFAULTS)
