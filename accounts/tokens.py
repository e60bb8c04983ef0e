"""Gatehouse's JWT pairs (simplejwt) and the sign-in sessions behind them.

- Every pair belongs to an `AuthSession` (claim `sess`); the WorkOS session id rides as `sid`,
  plus `org_id`, `role` and `amr` (how the user signed in), so that an access token describes its
  user without a database query.
- Refresh rotates: the presented token is blacklisted (a unique row, so of two concurrent
  refreshes exactly one wins) and a new pair is issued. A rotated token presented again after a
  short grace period is treated as stolen: the whole session is revoked.
- When the session came from AuthKit, refresh also rotates the WorkOS refresh token, so a session
  WorkOS has ended (sign-out elsewhere, admin revocation) stops refreshing here too.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import audit, secretbox
from accounts.client import client_ip, user_agent
from accounts.errors import GatehouseError, TokenError
from accounts.models import AuditEvent, AuthSession

log = logging.getLogger(__name__)

# A rotated refresh token seen again within this window is a client race (two tabs refreshing at
# once), not theft: the late caller is refused without revoking the session.
REUSE_GRACE = timedelta(seconds=10)


@dataclass
class TokenPair:
    access: str
    refresh: str
    access_expires_at: object
    refresh_expires_at: object
    session: AuthSession


def _jwt():
    # simplejwt rebinds its settings object when SIMPLE_JWT changes: always read it afresh.
    return simplejwt_settings.api_settings


def _claims_for(user, session):
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_staff": user.is_staff,
        "sess": session.id,
        "sid": session.workos_session_id or None,
        "org_id": session.organization_id or None,
        "role": session.role or None,
        "amr": session.method,
    }


def _mint(user, session):
    conf = _jwt()
    refresh = RefreshToken()
    refresh.set_exp(lifetime=conf.REFRESH_TOKEN_LIFETIME)
    refresh[conf.USER_ID_CLAIM] = str(user.pk)
    for name, value in _claims_for(user, session).items():
        refresh[name] = value
    access = refresh.access_token
    access.set_exp(lifetime=conf.ACCESS_TOKEN_LIFETIME)
    # No OutstandingToken row yet: the AuthSession is the record of this sign-in, and the row
    # simplejwt's blacklist needs is written when the token is rotated (one insert fewer per
    # sign-in).
    return TokenPair(
        access=str(access),
        refresh=str(refresh),
        access_expires_at=datetime_from_epoch(access["exp"]),
        refresh_expires_at=datetime_from_epoch(refresh["exp"]),
        session=session,
    )


def client_info(request):
    if request is None:
        return {}
    return {"user_agent": user_agent(request), "ip_address": client_ip(request)}


def issue_pair(user, *, method, request=None, workos_session_id="", workos_refresh_token="", organization_id="", role=""):
    """Open a sign-in session for `user` and return its first token pair."""
    with transaction.atomic():
        session = AuthSession.objects.create(
            user=user,
            method=method,
            workos_session_id=workos_session_id or "",
            workos_refresh_token=secretbox.seal(workos_refresh_token),
            organization_id=organization_id or "",
            role=role or "",
            **client_info(request),
        )
        return _mint(user, session)


BROWSER_SESSION_KEY = "gatehouse_auth_session"


def open_browser_session(request, user, *, method, workos_session_id=""):
    """Record a browser sign-in (Django session) as an AuthSession, so that it is listed and can be
    ended like an app sign-in; accounts.middleware signs the browser out once it is revoked."""
    session = AuthSession.objects.create(
        user=user, method=method, channel=AuthSession.Channel.BROWSER, workos_session_id=workos_session_id or "", **client_info(request)
    )
    request.session[BROWSER_SESSION_KEY] = session.id
    return session


def decode(raw, *, expected_type=None):
    """Verify signature, expiry, issuer and audience, and the token type; return the claims.

    `expected_type` None accepts either an access or a refresh token.
    """
    if not isinstance(raw, str) or not raw:
        raise TokenError("A token is required.", code="token_missing")
    try:
        claims = token_backend.decode(raw, verify=True)
    except TokenBackendError:
        raise TokenError("The token is invalid or expired.", code="token_invalid") from None
    token_type = claims.get(_jwt().TOKEN_TYPE_CLAIM)
    if token_type not in ("access", "refresh") or not claims.get("sess") or not claims.get(_jwt().JTI_CLAIM):
        raise TokenError("The token is invalid or expired.", code="token_invalid")
    if expected_type and token_type != expected_type:
        raise TokenError(f"This is not {'an access' if expected_type == 'access' else 'a refresh'} token.", code="token_wrong_type")
    return claims


def refresh_pair(raw, *, refresh_workos=None):
    """Rotate a refresh token. `refresh_workos(session)` rotates the WorkOS side, if any."""
    claims = decode(raw, expected_type="refresh")
    outcome = None
    with transaction.atomic():
        session = AuthSession.objects.select_for_update().filter(id=claims["sess"]).select_related("user").first()
        if session is None or session.user_id is None or str(session.user_id) != str(claims.get(_jwt().USER_ID_CLAIM)):
            raise TokenError("This sign-in no longer exists. Sign in again.", code="session_not_found")
        if session.revoked_at:
            raise TokenError("This sign-in has ended. Sign in again.", code="session_revoked")
        user = session.user
        if not user.is_active:
            raise TokenError("This account is disabled.", code="user_inactive")
        outstanding, _ = OutstandingToken.objects.get_or_create(
            jti=claims[_jwt().JTI_CLAIM],
            defaults={
                "user_id": session.user_id,
                "token": raw,
                "created_at": datetime_from_epoch(claims["iat"]),
                "expires_at": datetime_from_epoch(claims["exp"]),
            },
        )
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:
            used_at = BlacklistedToken.objects.filter(token=outstanding).values_list("blacklisted_at", flat=True).first()
            if used_at and timezone.now() - used_at < REUSE_GRACE:
                raise TokenError("This refresh token was just used by another request.", code="refresh_token_already_used") from None
            outcome = "reused"
        if outcome is None:
            if refresh_workos and (session.workos_refresh_token or session.workos_session_id):
                try:
                    refresh_workos(session)
                except GatehouseError as exc:
                    if exc.code == "invalid_grant":
                        outcome = "workos_ended"
                    else:
                        raise  # rolls back the blacklist row: the same token works on retry
            if outcome is None:
                session.last_refreshed_at = timezone.now()
                session.save(update_fields=["last_refreshed_at", "workos_refresh_token", "organization_id", "role"])
                return _mint(user, session)
    # Revocations happen outside the failed rotation so that they are committed.
    if outcome == "reused":
        log.warning("Refresh token reuse detected for session %s (user %s): revoking it", session.id, session.user_id)
        revoke_sessions(AuthSession.objects.filter(id=session.id), reason="refresh_reuse")
        audit.record(AuditEvent.Kind.REFRESH_REUSE, user=session.user, session=session.id)
        raise TokenError("This refresh token was already used. The sign-in has been ended for safety.", code="refresh_token_reused")
    revoke_sessions(AuthSession.objects.filter(id=session.id), reason="workos_session_ended")
    raise TokenError("The WorkOS session has ended. Sign in again.", code="session_revoked")


def revoke_sessions(queryset, *, reason):
    """End sessions: their refresh tokens stop working at once; access tokens expire shortly."""
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_reason=reason, workos_refresh_token="")


def revoke_workos_session(workos_session_id, *, reason="logout"):
    if not workos_session_id:
        return 0
    return revoke_sessions(AuthSession.objects.filter(workos_session_id=workos_session_id), reason=reason)


def session_is_active(session_id):
    return AuthSession.objects.filter(id=session_id, revoked_at__isnull=True).exists()


def verify(raw):
    """Full check of an access or refresh token, session revocation included (not the hot path)."""
    claims = decode(raw)
    if claims[_jwt().TOKEN_TYPE_CLAIM] == "refresh" and BlacklistedToken.objects.filter(token__jti=claims[_jwt().JTI_CLAIM]).exists():
        raise TokenError("This refresh token was already used.", code="token_blacklisted")
    if not session_is_active(claims["sess"]):
        raise TokenError("This sign-in has ended.", code="session_revoked")
    return claims
