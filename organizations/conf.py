"""The `organizations` app's settings and their defaults (read when used; see accounts.conf.AppSettings)."""

from accounts.conf import AppSettings

DEFAULTS = {
    "GATEHOUSE_ORGANIZATION_ADMIN_ROLES": ["admin"],
    "GATEHOUSE_API_KEY_CACHE_SECONDS": 30,
}
HELP = {
    "GATEHOUSE_ORGANIZATION_ADMIN_ROLES": "the WorkOS roles whose holders manage their organization's API keys",
    "GATEHOUSE_API_KEY_CACHE_SECONDS": "how long a validated organization API key is trusted before WorkOS is asked "
    "again (at most 30: a key revoked elsewhere stops working within this time)",
}
MAX_API_KEY_CACHE_SECONDS = 30

app_settings = AppSettings(DEFAULTS)
