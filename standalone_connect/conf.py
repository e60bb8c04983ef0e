"""The `standalone_connect` app's settings and their defaults (read when used; see accounts.conf)."""

from accounts.conf import AppSettings

DEFAULTS = {
    "CONNECT_LOGIN_PATH": "connect/login",
    "CONNECT_CONSENT_OPTIONS": "standalone_connect.consent.default_consent_options",
    "CONNECT_USER_METADATA": "standalone_connect.consent.default_user_metadata",
    "CONNECT_ISSUER": "",
    "CONNECT_JWKS_URL": "",
    "CONNECT_AUDIENCE": "",
}

app_settings = AppSettings(DEFAULTS)
