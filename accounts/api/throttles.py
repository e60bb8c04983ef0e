"""DRF throttles over accounts.ratelimit: each names a scope and says whom it counts.

Rates are read from settings at call time (GATEHOUSE_RATE_LIMITS), so a changed setting takes
effect at once. The first refusal in a window is audited; the rest of a flood writes nothing.
"""

from rest_framework.throttling import BaseThrottle

from accounts import audit, ratelimit
from accounts.client import client_ip
from accounts.models import AuditEvent


def _email(request):
    data = request.data if isinstance(request.data, dict) else {}
    email = data.get("email")
    return email if isinstance(email, str) else ""


class RateLimitThrottle(BaseThrottle):
    scope = ""

    def ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        self.limited = ratelimit.hit(self.scope, self.ident(request))
        if self.limited is None:
            return True
        if self.limited.first:
            audit.record(AuditEvent.Kind.THROTTLED, email=_email(request), request=request, reason=self.scope)
        return False

    def wait(self):
        return self.limited.wait if self.limited else None


class PasswordIPThrottle(RateLimitThrottle):
    scope = "password_ip"


class PasswordAccountThrottle(RateLimitThrottle):
    scope = "password_account"

    def ident(self, request):
        return ratelimit.account_ident(_email(request))


class PasswordChangeThrottle(RateLimitThrottle):
    """A password change tries the current password: counted against the signed-in account."""

    scope = "password_change"

    def ident(self, request):
        return ratelimit.account_ident(getattr(request.user, "email", ""))


class AuthorizeIPThrottle(RateLimitThrottle):
    """Starting a sign-in writes a state row: a flood from one address must stop early."""

    scope = "authorize_ip"


class SignInIPThrottle(RateLimitThrottle):
    """Every other unauthenticated endpoint (code exchanges, refresh, verify)."""

    scope = "sign_in_ip"


class EmailSendThrottle(RateLimitThrottle):
    """Emails sent to one address (codes, reset links): nobody's inbox can be flooded from here."""

    scope = "email_send"

    def ident(self, request):
        return ratelimit.account_ident(_email(request))
