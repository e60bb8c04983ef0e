"""Session limits (the session policy): how long a sign-in may last, idle and in total, per WorkOS organization.

A sign-in (`AuthSession`) follows the policy of its organization (a `SessionPolicy` row, edited
in the admin) or the default (`GATEHOUSE_SESSION_POLICY`). Every sign-in and refresh answer
carries it as `session_config`, so clients can warn people; the server enforces it:

- refresh (`accounts.sessions.refresh`) ends a sign-in idle longer than the idle timeout
  (`session_idle_timeout`) or older than the absolute lifetime (`session_expired`);
- browsers (`accounts.middleware`) are signed out the same way, and their last activity is
  written at most once per `SEEN_WRITE_INTERVAL`;
- access tokens (`accounts.tokens.mint`) expire no later than the absolute limit, nor later
  than the idle timeout from their minting.

Policies are read on every refresh and browser request: all rows are cached together
(accounts.rowcache). Sign-ins outside any organization read nothing.
"""

from dataclasses import asdict, dataclass, fields
from datetime import timedelta

from accounts.conf import app_settings
from accounts.models import SessionPolicy, SignInMethod
from accounts.rowcache import cached_table

IDLE = "session_idle_timeout"
EXPIRED = "session_expired"
SEEN_WRITE_INTERVAL = timedelta(seconds=60)
# Sign-ins a client may renew by sending the person through the identity provider again.
_PASSWORD_LIKE = {SignInMethod.PASSWORD, SignInMethod.WORKOS_PASSWORD, SignInMethod.MAGIC_CODE}


@dataclass(frozen=True)
class Policy:
    enabled: bool = True
    idle_timeout_minutes: int = 30
    absolute_lifetime_hours: int = 8
    warning_minutes: int = 2
    idle_tracking: bool = True
    sso_silent_renewal: bool = True
    sso_fallback: str = "redirect"
    password_silent_renewal: bool = False
    password_fallback: str = "logout"

    @property
    def idle(self):
        return timedelta(minutes=self.idle_timeout_minutes) if self.enabled and self.idle_tracking else None

    @property
    def absolute(self):
        return timedelta(hours=self.absolute_lifetime_hours) if self.enabled else None

    def lapsed(self, *, created_at, last_seen_at, now):
        """IDLE or EXPIRED when a sign-in has outlived this policy, else None."""
        if self.absolute and now - created_at > self.absolute:
            return EXPIRED
        if self.idle and now - (last_seen_at or created_at) > self.idle:
            return IDLE
        return None

    def access_limit(self, *, created_at, now):
        """The latest an access token minted `now` may expire, or None when unlimited."""
        limits = [created_at + self.absolute] if self.absolute else []
        if self.idle:
            limits.append(now + self.idle)
        return min(limits) if limits else None

    def config(self, session):
        """`session_config`: the policy, and what it means for this sign-in."""
        group = "password" if session.method in _PASSWORD_LIKE else "sso"
        return {
            **asdict(self),
            "silent_renewal": getattr(self, f"{group}_silent_renewal"),
            "fallback": getattr(self, f"{group}_fallback"),
            "expires_at": session.created_at + self.absolute if self.absolute else None,
        }


_FIELDS = [f.name for f in fields(Policy)]


def default():
    return Policy(
        **{**asdict(Policy()), **{k: v for k, v in app_settings.GATEHOUSE_SESSION_POLICY.items() if k in _FIELDS}}
    )


_by_organization = cached_table(
    SessionPolicy,
    "gatehouse:session-policies",
    lambda: {
        row["organization_id"]: Policy(**{k: row[k] for k in _FIELDS})
        for row in SessionPolicy.objects.values("organization_id", *_FIELDS)
    },
)


def for_organization(organization_id):
    if organization_id:
        policy = _by_organization().get(organization_id)
        if policy is not None:
            return policy
    return default()


def for_session(session):
    return for_organization(session.organization_id)
