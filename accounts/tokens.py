"""Gatehouse's JWT pairs (simplejwt's format and settings): minting, marking a refresh token used, decoding.

- Every pair belongs to an `AuthSession` (claim `sess`); the WorkOS session id rides as `sid`,
  plus `org_id`, `role` and `amr` (how the user signed in), so that an access token describes its
  user without a database query.
- A refresh token is used once: `mark_used` writes its blacklist row (unique, so of two
  concurrent refreshes exactly one wins) and tells a fresh use from a race and from a replay.

What a sign-in is, and when it starts, refreshes and ends, is accounts.sessions's business.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import jws, session_limits
from accounts.errors import TokenError
from accounts.models import AuthSession

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
    session_config: dict  # the session policy of this sign-in, as sign-in and refresh answers carry it


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


def mint(user, session):
    """A new pair for `session`: the refresh token, and an access token carrying the same claims
    (what simplejwt's RefreshToken().access_token makes, signed by accounts.jws)."""
    conf = _jwt()
    now = timezone.now()
    issued = int(now.timestamp())
    refresh_exp = int((now + conf.REFRESH_TOKEN_LIFETIME).timestamp())
    # never past what the session policy allows: its absolute limit, or the idle timeout from now
    lifetime = conf.ACCESS_TOKEN_LIFETIME
    policy = session_limits.for_session(session)
    limit = policy.access_limit(created_at=session.created_at, now=now)
    if limit is not None:
        lifetime = max(min(lifetime, limit - now), timedelta(seconds=1))
    access_exp = int((now + lifetime).timestamp())
    claims = {conf.USER_ID_CLAIM: str(user.pk), **_claims_for(user, session)}
    refresh = {conf.TOKEN_TYPE_CLAIM: "refresh", "exp": refresh_exp, "iat": issued, conf.JTI_CLAIM: uuid.uuid4().hex, **claims}
    access = {conf.TOKEN_TYPE_CLAIM: "access", "exp": access_exp, "iat": issued, conf.JTI_CLAIM: uuid.uuid4().hex, **claims}
    # No OutstandingToken row yet: the AuthSession is the record of this sign-in, and the row
    # simplejwt's blacklist needs is written when the token is rotated (one insert fewer per
    # sign-in).
    return TokenPair(
        access=jws.encode(access),
        refresh=jws.encode(refresh),
        access_expires_at=datetime_from_epoch(access_exp),
        refresh_expires_at=datetime_from_epoch(refresh_exp),
        session=session,
        session_config=policy.config(session),
    )


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


class Use:
    """What presenting a refresh token was: its first use, a race within the grace, or a replay."""

    FRESH = "fresh"
    RACE = "race"
    REPLAY = "replay"


def mark_used(raw, claims, user_id):
    """Record that this refresh token has been used (call inside the rotation's transaction)."""
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=claims[_jwt().JTI_CLAIM],
        defaults={
            "user_id": user_id,
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
        return Use.RACE if used_at and timezone.now() - used_at < REUSE_GRACE else Use.REPLAY
    return Use.FRESH


def user_id_of(claims):
    return str(claims.get(_jwt().USER_ID_CLAIM))


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
