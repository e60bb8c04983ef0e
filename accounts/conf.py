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
    "GATEHOUSE_API_STYLE": "snake",
    "GATEHOUSE_TOKEN_DELIVERY_CHOICE": False,
    "GATEHOUSE_ALLOWED_EMAIL_DOMAINS": [],
    "GATEHOUSE_PROVISIONING_ADAPTER": "accounts.adapter.DefaultAdapter",
    "GATEHOUSE_ORGANIZATION_DOMAINS": "accounts.signin.workos.organization_verified_domains",
    # () -> [(organization id, name)] offered where the admin asks for an organization ("": type it)
    "GATEHOUSE_ORGANIZATION_CHOICES": "",
    "GATEHOUSE_SIGNIN_STATE_MAX_AGE": 600,
    "GATEHOUSE_PASSWORD_BACKEND": "django",
    "GATEHOUSE_PASSWORD_RESET_LINKS": "ours",
    "GATEHOUSE_SESSION_POLICY": {},
    "GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS": 10,
    "GATEHOUSE_AUDIT_STREAM": False,  # over accounts.session_limits.Policy's defaults
    "GATEHOUSE_DEFAULT_ORGANIZATION_ID": "",
    "GATEHOUSE_OPEN_ORGANIZATION_FALLBACK": False,
    "GATEHOUSE_TOTP_ISSUER": "Gatehouse",
    "GATEHOUSE_IMPERSONATION_FORBIDDEN": ["api_keys", "members", "password", "recovery_codes"],
    "GATEHOUSE_TRUSTED_PROXY_COUNT": 0,
    "GATEHOUSE_TRUSTED_PROXIES": [],
    # Per scope; a project's dict is merged over these (a scope set to None is not limited).
    "GATEHOUSE_RATE_LIMITS": {
        "password_ip": "20/m",
        "password_account": "5/m",
        "authorize_ip": "60/m",
        "sign_in_ip": "120/m",
        "email_send": "5/10m",
        "api_key_ip": "30/m",
        "organization": "120/m",
        "password_change": "5/10m",
        "readiness_ip": "600/m",
    },
}

# What each setting means (docs/configuration.md is generated from these and the defaults above).
HELP = {
    "WORKOS_REDIRECT_URI": "the browser callback (`https://<host>/auth/callback`), registered in WorkOS; the "
    "project uses `http://127.0.0.1:8000/auth/callback` when DEBUG",
    "WORKOS_ALLOWED_REDIRECT_URIS": "other redirect URIs SPAs may use for the AuthKit/SSO round trip",
    "WORKOS_LOGOUT_RETURN_TO": "where WorkOS sends the browser after logout",
    "WORKOS_ALLOWED_LOGOUT_RETURN_TOS": "other addresses an app may name as `return_to` in `POST /api/auth/logout/` "
    "(others are ignored)",
    "GOOGLE_CLIENT_ID": "Google OAuth client for `/api/auth/google/`",
    "GOOGLE_CLIENT_SECRET": "its secret",
    "GOOGLE_ALLOWED_REDIRECT_URIS": "redirect URIs the SPA registered with Google",
    "GOOGLE_HOSTED_DOMAIN": "only accept Google accounts of this Workspace domain (`hd`)",
    "GOOGLE_DISCOVERY_URL": "read Google's endpoints from a discovery document instead of the published ones",
    "GOOGLE_AUTHORIZE_URL": "Google's authorization endpoint",
    "GOOGLE_TOKEN_URL": "Google's token endpoint",
    "GOOGLE_JWKS_URL": "Google's signing keys (issuer `https://accounts.google.com` or `accounts.google.com`)",
    "GOOGLE_TOKEN_AUTH_METHOD": "how the client authenticates at Google's token endpoint",
    "OKTA_ISSUER": "`https://<domain>` (org server) or `https://<domain>/oauth2/<id>`",
    "OKTA_CLIENT_ID": "Okta OIDC app for `/api/auth/okta/`",
    "OKTA_CLIENT_SECRET": "its secret",
    "OKTA_ALLOWED_REDIRECT_URIS": "redirect URIs the SPA registered with Okta",
    "OKTA_TOKEN_AUTH_METHOD": "how the client authenticates at Okta's token endpoint",
    "OIDC_JWKS_CACHE_SECONDS": "how long Google's and Okta's signing keys are cached",
    "OIDC_HTTP_TIMEOUT": "seconds per Google/Okta request",
    "GATEHOUSE_TOKEN_COOKIES": "deliver tokens as HttpOnly cookies instead of in the body",
    "GATEHOUSE_TOKEN_DELIVERY_CHOICE": "let each client choose with `X-Token-Delivery: cookie` or `body` on its "
    "sign-in and refresh requests (GATEHOUSE_TOKEN_COOKIES is the default); the demo turns it on",
    "GATEHOUSE_API_STYLE": "the names sign-in, refresh and step answers use: `snake` (`access_token`, "
    "`session_config`) or `camel` (`token`, `refreshToken`, `sessionConfig`, `user.fullName`: docs/api.md, "
    "API styles); requests are read in both",
    "GATEHOUSE_ALLOWED_EMAIL_DOMAINS": "domains whose people may be provisioned on first sign-in (empty: any)",
    "GATEHOUSE_PROVISIONING_ADAPTER": "class deciding who may be provisioned, linked or signed in",
    "GATEHOUSE_ORGANIZATION_DOMAINS": "callable: organization id -> its verified email domains (SSO emails outside "
    "them are not verified); this project wires `sso.domains.verified_domains` (the mirror, then WorkOS)",
    "GATEHOUSE_ORGANIZATION_CHOICES": "callable: the organizations the admin offers for login rules and session "
    "policies (empty: type the id); this project wires `sso.mirror.organization_choices`",
    "GATEHOUSE_SIGNIN_STATE_MAX_AGE": "seconds a sign-in may take (a round trip, a pending step, a device sign-in)",
    "GATEHOUSE_PASSWORD_BACKEND": "where passwords are checked when no login rule says: `django`, `workos`, or "
    "`either` (ours first, then WorkOS's: both kinds of account, as in the demo)",
    "GATEHOUSE_PASSWORD_RESET_LINKS": "which reset links the reset page accepts: `ours` (only those Gatehouse asked "
    "WorkOS for; any other is refused before the form) or `any` (also links made in WorkOS's dashboard, checked "
    "when the new password is sent)",
    "GATEHOUSE_SESSION_POLICY": "the default session policy (organizations' own are set in the admin)",
    "GATEHOUSE_AUDIT_STREAM": "queue each audit event of an organization for WorkOS Audit Logs (sent by "
    "`manage.py stream_audit --every 30`; retried until stored)",
    "GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS": "a refresh token used again this soon after its rotation gets a new pair "
    "for the same sign-in (a lost answer, two tabs racing); later, reuse ends the sign-in",
    "GATEHOUSE_DEFAULT_ORGANIZATION_ID": "the organization a brand-new person WorkOS places in none joins, if they "
    "belong there (docs/api.md, Organizations of new people)",
    "GATEHOUSE_OPEN_ORGANIZATION_FALLBACK": "single-tenant deployments only: such a person joins the default "
    "organization, else the oldest, without proof",
    "GATEHOUSE_TOTP_ISSUER": "the name authenticator apps show for a factor enrolled at sign-in",
    "GATEHOUSE_IMPERSONATION_FORBIDDEN": "what support staff signed in as a person (WorkOS impersonation) may not do: "
    "`api_keys` (create, revoke), `members` (roles, removals, invitations), `password` (change it), "
    "`recovery_codes` (make new ones)",
    "GATEHOUSE_TRUSTED_PROXY_COUNT": "proxies in front of the app; the client IP is then read from `X-Forwarded-For`",
    "GATEHOUSE_TRUSTED_PROXIES": "or: the proxies' addresses or networks, skipped from the right of `X-Forwarded-For`",
    "GATEHOUSE_RATE_LIMITS": "per scope, `<count>/<period>` (s, m, h or d), counted on the shared cache",
}
HELP_BY_KEY = {
    "GATEHOUSE_RATE_LIMITS": {
        "password_ip": "password and code attempts per client IP (API and pages)",
        "password_account": "password attempts per account",
        "authorize_ip": "sign-ins started per client IP",
        "sign_in_ip": "other unauthenticated calls per client IP (callbacks, refresh, verify, steps, device "
        "polls, `/api/auth/me` refusals)",
        "email_send": "emails (sign-in codes, reset links) requested per address",
        "api_key_ip": "invalid organization API keys per client IP (then 429, WorkOS not asked)",
        "organization": "calls of the organization endpoints (switch, members, invitations, keys) per person or key",
        "password_change": "password changes tried per signed-in account (each tries the current password)",
        "readiness_ip": "`/readyz` probes per client IP (each costs a database round trip)",
    },
    "GATEHOUSE_SESSION_POLICY": {
        "enabled": "enforce the default session policy",
        "idle_timeout_minutes": "idle longer than this ends a sign-in (5 min to 7 days)",
        "absolute_lifetime_hours": "no sign-in lasts longer",
        "warning_minutes": "how long before an idle sign-out clients warn",
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
