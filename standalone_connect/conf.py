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
HELP = {
    "CONNECT_LOGIN_PATH": "the path of the Standalone Connect Login URI",
    "CONNECT_CONSENT_OPTIONS": "callable: the `user_consent_options` sent at Connect completion",
    "CONNECT_USER_METADATA": "callable: the metadata stored on the AuthKit user at Connect completion",
    "CONNECT_ISSUER": "accept AuthKit Connect access tokens from this issuer on `/api/connect/*`",
    "CONNECT_JWKS_URL": "their signing keys",
    "CONNECT_AUDIENCE": "their audience, when set",
}

app_settings = AppSettings(DEFAULTS)
