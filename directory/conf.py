"""The `directory` app's settings and their defaults (read when used; see accounts.conf.AppSettings)."""

from accounts.conf import AppSettings

DEFAULTS = {
    # trigger -> action when WorkOS removes someone, over directory.access.DEFAULT_ACTIONS
    "GATEHOUSE_DEPROVISIONING": {},
}
HELP = {
    "GATEHOUSE_DEPROVISIONING": "what an account loses when WorkOS removes the person, per trigger: "
    "`deactivate`, `remove_organization`, `end_sessions` or `ignore`"
}
HELP_BY_KEY = {
    "GATEHOUSE_DEPROVISIONING": {
        "directory_user_removed": "removed from the directory",
        "directory_user_inactive": "suspended or deactivated in the directory",
        "membership_removed": "the WorkOS organization membership is deleted",
        "membership_inactive": "the membership is deactivated",
        "workos_user_deleted": "the WorkOS user is deleted",
    }
}

app_settings = AppSettings(DEFAULTS)
