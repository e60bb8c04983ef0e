"""Ending sign-ins: ours (refresh tokens, browser sessions) and the WorkOS sessions behind them."""

from accounts import audit, tokens, workos_auth
from accounts.models import AuditEvent, AuthSession


def end_sessions(user, sessions, *, reason, request=None):
    """End our sign-ins and the WorkOS sessions behind them. Returns how many ended."""
    sessions = list(sessions.filter(revoked_at__isnull=True))
    ended = tokens.revoke_sessions(AuthSession.objects.filter(pk__in=[x.pk for x in sessions]), reason=reason)
    for sid in {x.workos_session_id for x in sessions if x.workos_session_id}:
        workos_auth.revoke_session(sid)
    if ended:
        audit.record(AuditEvent.Kind.SESSIONS_REVOKED, user=user, request=request, reason=reason, count=ended)
    return ended
