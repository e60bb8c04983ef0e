"""Sign a browser out when its sign-in (AuthSession) has been ended elsewhere, or when the session
policy ends it (idle too long, or past its absolute lifetime)."""

from django.contrib import auth, messages
from django.utils import timezone

from accounts import session_limits
from accounts.models import AuthSession
from accounts.sessions import end_sessions, policy_error
from accounts.signin.flow import BROWSER_SESSION_KEY

# Why a browser was signed out, in words, by the reason its sign-in was ended with.
ENDED_BECAUSE = {
    "directory_user_removed": "Your organization removed you from its directory, so you were signed out.",
    "directory_user_inactive": "Your organization suspended your account, so you were signed out.",
    "membership_removed": "Your membership of the organization ended, so you were signed out.",
    "membership_inactive": "Your membership of the organization was deactivated, so you were signed out.",
    "workos_user_deleted": "Your account was removed, so you were signed out.",
    "user_deactivated": "This account was disabled, so you were signed out.",
    "password_changed": "The password of this account was changed. Sign in again.",
}
ENDED_ELSEWHERE = "This sign-in was ended elsewhere. Sign in again."


class BrowserSessionRevocationMiddleware:
    """One indexed lookup per request of a signed-in browser (and a write of its last activity at
    most once a minute); nothing for anonymous or token requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session_id = request.session.get(BROWSER_SESSION_KEY) if hasattr(request, "session") else None
        if session_id:
            self._check(request, session_id)
        return self.get_response(request)

    def _check(self, request, session_id):
        mine = AuthSession.objects.filter(id=session_id, revoked_at__isnull=True)
        row = mine.values("created_at", "last_seen_at", "organization_id", "role", "impersonator").first()
        if row is None:
            reason = AuthSession.objects.filter(id=session_id).values_list("revoked_reason", flat=True).first()
            auth.logout(request)
            messages.info(request, ENDED_BECAUSE.get(reason, ENDED_ELSEWHERE))
            return
        # for the page header: the organization switcher, and the organization page for its admins
        request.signin_organization_id, request.signin_role = row["organization_id"], row["role"]
        request.signin_impersonator = row["impersonator"]  # pages show a banner
        now = timezone.now()
        policy = session_limits.for_organization(row["organization_id"])
        lapsed = policy.lapsed(created_at=row["created_at"], last_seen_at=row["last_seen_at"], now=now)
        if lapsed:
            end_sessions(mine, reason=lapsed, user=request.user, request=request)
            auth.logout(request)
            messages.info(request, policy_error(lapsed, policy).message)
        elif row["last_seen_at"] is None or now - row["last_seen_at"] > session_limits.SEEN_WRITE_INTERVAL:
            mine.update(last_seen_at=now)
