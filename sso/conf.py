"""The `sso` app's settings and their defaults (read when used; see accounts.conf.AppSettings)."""

from accounts.conf import AppSettings

DEFAULTS = {
    # where the admin links a connection to, in WorkOS's dashboard
    "WORKOS_DASHBOARD_URL": "https://dashboard.workos.com",
}
HELP = {"WORKOS_DASHBOARD_URL": "where the admin links a connection to, in WorkOS's dashboard"}

app_settings = AppSettings(DEFAULTS)
