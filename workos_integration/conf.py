"""The `workos_integration` app's settings and their defaults: how to reach WorkOS and how to
check its webhooks (read when used; see accounts.conf.AppSettings)."""

from accounts.conf import AppSettings

DEFAULTS = {
    "WORKOS_API_KEY": "",
    "WORKOS_CLIENT_ID": "",
    "WORKOS_BASE_URL": "https://api.workos.com",
    "WORKOS_REQUEST_TIMEOUT": 10,
    "WORKOS_MAX_RETRIES": 2,
    "WORKOS_WEBHOOK_SECRET": "",
}

app_settings = AppSettings(DEFAULTS)
