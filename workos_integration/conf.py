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
    "WORKOS_AFTER_WAIT_SLOTS": 2,
}
HELP = {
    "WORKOS_API_KEY": "`sk_...` from the WorkOS dashboard",
    "WORKOS_CLIENT_ID": "`client_...` from the WorkOS dashboard",
    "WORKOS_BASE_URL": "WorkOS's API; point it at the emulator to work offline",
    "WORKOS_REQUEST_TIMEOUT": "seconds a WorkOS call may take, its retries included (a WorkOS that hangs holds a "
    "worker no longer)",
    "WORKOS_MAX_RETRIES": "SDK retries for reads and deletes (code exchange, refresh and Connect completion never "
    "retry)",
    "WORKOS_WEBHOOK_SECRET": "secret of the WorkOS webhook endpoint (`/webhooks/workos` refuses events without it)",
    "WORKOS_AFTER_WAIT_SLOTS": "threads per process that finish requests after a WorkOS answer at once (the others "
    "wait their turn asleep, so requests that never wait on WorkOS are not slowed by a storm of sign-ins)",
}

app_settings = AppSettings(DEFAULTS)
