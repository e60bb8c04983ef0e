"""The `directory` app's settings and their defaults (read when used; see accounts.conf.AppSettings)."""

from accounts.conf import AppSettings

DEFAULTS = {
    # trigger -> action when WorkOS removes someone, over directory.access.DEFAULT_ACTIONS
    "GATEHOUSE_DEPROVISIONING": {},
}

app_settings = AppSettings(DEFAULTS)
