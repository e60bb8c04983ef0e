"""The audit trail: one row per security-relevant event, and a Django signal for each kind.

Never stores secrets or tokens: only who, what, from where, and a reason code.
"""

import logging

from django.dispatch import Signal

from accounts import audit_stream
from accounts.client import client_ip, user_agent
from accounts.models import AuditEvent, User
from observability import metrics

SIGNALS = {kind: Signal() for kind in AuditEvent.Kind.values}
log = logging.getLogger("gatehouse.audit")
_OUTCOMES = {
    AuditEvent.Kind.SIGN_IN_SUCCEEDED: "succeeded",
    AuditEvent.Kind.SIGN_IN_FAILED: "refused",
    AuditEvent.Kind.THROTTLED: "throttled",
}


def _clean(value, limit):
    """Client-supplied text as it may be stored: no control characters (PostgreSQL refuses NUL)."""
    text = value if isinstance(value, str) else str(value)
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def _user_id(user):
    """The id to store for `user`: a User row's, or (for the user an access token describes) the
    id it names if that user still exists; a token can outlive its user."""
    if user is None:
        return None
    if getattr(user, "_meta", None):
        return user.pk
    return user.id if User.objects.filter(pk=user.id).exists() else None


def record(kind, *, user=None, email="", request=None, reason="", **details):
    """Write one event. `user` is a User or the access token's user (accounts.authentication.TokenUser)."""
    event = AuditEvent.objects.create(
        kind=kind,
        user_id=_user_id(user),
        email=_clean(email or getattr(user, "email", "") or "", 254),
        ip_address=client_ip(request),
        user_agent=user_agent(request),
        reason=_clean(reason, 64),
        details={k: _clean(v, 500) if isinstance(v, str) else v for k, v in details.items() if v not in (None, "")},
    )
    if kind in (AuditEvent.Kind.SIGN_IN_SUCCEEDED, AuditEvent.Kind.SIGN_IN_FAILED):
        metrics.SIGN_INS.labels(str(details.get("method") or "unknown"), _OUTCOMES[kind], event.reason).inc()
    elif kind == AuditEvent.Kind.USER_DEPROVISIONED:
        metrics.DEPROVISIONINGS.labels(event.reason).inc()
    # the same event as a log line (with LOG_FORMAT=json, fields a log pipeline can count)
    log.info(
        "%s %s",
        kind,
        event.email or "-",
        extra={
            "event": str(kind),
            "user_id": event.user_id,
            "email": event.email,
            "organization": details.get("organization_id") or details.get("organization") or None,
            "method": details.get("method"),
            "outcome": _OUTCOMES.get(kind),
            "reason": event.reason,
        },
    )
    audit_stream.enqueue(
        event,
        details.get("organization_id") or details.get("organization") or getattr(user, "organization_id", "") or "",
    )
    SIGNALS[kind].send(sender=AuditEvent, event=event, request=request)
    return event
