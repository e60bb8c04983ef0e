"""Gatehouse's JWT pairs (simplejwt's format and settings), in one place: `mint` makes a pair,
`verify_access` checks an access token (the hot path: HS256 with a prepared key, no database),
`read_refresh` checks a refresh token before rotation, `verify` is the full check of either.

- Every pair belongs to an `AuthSession` (claim `sess`); the WorkOS session id rides as `sid`,
  plus `org_id`, `role` and `amr` (how the user signed in), so that an access token describes its
  user without a database query.
- A refresh token is used once: `mark_used` writes its blacklist row (unique, so of two
  concurrent refreshes exactly one wins) and tells a fresh use from a race and from a replay.

What a sign-in is, and when it starts, refreshes and ends, is accounts.sessions's business.
"""

import functools
import hmac
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt import models as simplejwt_models
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import jws, session_limits
from accounts.conf import app_settings
from accounts.errors import TokenError
from accounts.models import AuthSession

# A rotated refresh token seen again within this window is a client race (two tabs refreshing at
# once), not theft: the late caller is refused without revoking the session.


@dataclass
class TokenPair:
    access: str
    refresh: str
    access_expires_at: object
    refresh_expires_at: object
    session: AuthSession
    session_config: dict  # the session policy of this sign-in, as sign-in and refresh answers carry it


def _jwt() -> Any:
    # simplejwt rebinds its settings object when SIMPLE_JWT changes: always read it afresh.
    return simplejwt_settings.api_settings


def _claims_for(user: Any, session: AuthSession) -> dict[str, Any]:
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
        **({"permissions": list(session.permissions)} if session.permissions else {}),
        **({"gen": session.generation} if session.generation else {}),
        **({"imp": session.impersonator} if session.impersonator else {}),
    }


def mint(user: Any, session: AuthSession) -> TokenPair:
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
    refresh = {
        conf.TOKEN_TYPE_CLAIM: "refresh",
        "exp": refresh_exp,
        "iat": issued,
        conf.JTI_CLAIM: uuid.uuid4().hex,
        **claims,
    }
    access = {
        conf.TOKEN_TYPE_CLAIM: "access",
        "exp": access_exp,
        "iat": issued,
        conf.JTI_CLAIM: uuid.uuid4().hex,
        **claims,
    }
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


def read_refresh(raw: str) -> dict[str, Any]:
    """The claims of a valid refresh token (rotation then decides whether it is still unused)."""
    return _decode(raw, expected_type="refresh")


def _decode(raw: str, *, expected_type: str | None = None) -> dict[str, Any]:
    """Verify signature, expiry, issuer and audience, and the token type; return the claims.

    `expected_type` None accepts either an access or a refresh token.
    """
    if not isinstance(raw, str) or not raw:
        raise TokenError("A token is required.", code="token_missing")
    try:
        claims = token_backend.decode(raw, verify=True)  # type: ignore[arg-type]  # the stubs want a Token; it takes the string
    except TokenBackendError:
        raise TokenError("The token is invalid or expired.", code="token_invalid") from None
    token_type = claims.get(_jwt().TOKEN_TYPE_CLAIM)
    if token_type not in ("access", "refresh") or not claims.get("sess") or not claims.get(_jwt().JTI_CLAIM):
        raise TokenError("The token is invalid or expired.", code="token_invalid")
    if expected_type and token_type != expected_type:
        raise TokenError(
            f"This is not {'an access' if expected_type == 'access' else 'a refresh'} token.", code="token_wrong_type"
        )
    return claims


class Use:
    """What presenting a refresh token was: its first use, a race within the grace, or a replay."""

    FRESH = "fresh"
    RACE = "race"
    REPLAY = "replay"


def mark_used(raw: str, claims: dict[str, Any], user_id: int) -> str:
    """Record that this refresh token has been used: of parallel uses, one is FRESH."""
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
        grace = timedelta(seconds=app_settings.GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS)
        return Use.RACE if used_at and timezone.now() - used_at < grace else Use.REPLAY
    return Use.FRESH


def give_back(claims: dict[str, Any]) -> None:
    """Undo `mark_used` for a rotation that failed on WorkOS's side, not the sign-in's."""
    BlacklistedToken.objects.filter(token__jti=claims[_jwt().JTI_CLAIM]).delete()


def user_id_of(claims: dict[str, Any]) -> str:
    return str(claims.get(_jwt().USER_ID_CLAIM))


def session_is_active(session_id: str) -> bool:
    return AuthSession.objects.filter(id=session_id, revoked_at__isnull=True).exists()


def verify(raw: str) -> dict[str, Any]:
    """Full check of an access or refresh token, session revocation included (not the hot path)."""
    claims = _decode(raw)
    if (
        claims[_jwt().TOKEN_TYPE_CLAIM] == "refresh"
        and BlacklistedToken.objects.filter(token__jti=claims[_jwt().JTI_CLAIM]).exists()
    ):
        raise TokenError("This refresh token was already used.", code="token_blacklisted")
    if not session_is_active(claims["sess"]):
        raise TokenError("This sign-in has ended.", code="session_revoked")
    return claims


# --- access tokens: verified from the token alone --------------------------------------------


class TokenUser(simplejwt_models.TokenUser):
    """The signed-in user as the access token describes them: simplejwt's stateless user (no
    groups, no permissions, no saving), with an integer id like User.pk's and our claims by name."""

    def __init__(self, claims: dict[str, Any]) -> None:
        self.token = self.claims = claims  # type: ignore[assignment]  # the claims are what simplejwt reads
        self.id = self.pk = int(claims[_jwt().USER_ID_CLAIM])  # type: ignore[assignment]  # our ids are numbers

    email = property(lambda self: self.claims.get("email", ""))
    first_name = property(lambda self: self.claims.get("first_name", ""))
    last_name = property(lambda self: self.claims.get("last_name", ""))
    session_id = property(lambda self: self.claims.get("sess"))
    workos_session_id = property(lambda self: self.claims.get("sid"))
    organization_id = property(lambda self: self.claims.get("org_id"))
    role = property(lambda self: self.claims.get("role"))
    auth_method = property(lambda self: self.claims.get("amr"))
    permissions = property(lambda self: tuple(self.claims.get("permissions") or ()))
    impersonator = property(lambda self: self.claims.get("imp"))  # {email, reason} when support staff

    def __str__(self) -> str:
        return self.email

    def get_username(self) -> str:
        return self.email


@functools.lru_cache(maxsize=32)
def _our_header(segment: str) -> bool:
    """Is this exactly our header, {"alg": "HS256"} and at most "typ"? (Every token of ours has
    the same few bytes here: each is decoded once per process.)"""
    try:
        header = jws.json_object(jws.b64decode(segment))
    except (jws.Invalid, ValueError):
        return False
    return header.get("alg") == "HS256" and set(header) <= {"alg", "typ"}


def _verify_hs256(raw: str, mac: Any) -> dict[str, Any]:
    """An HS256 token of ours: exactly our header, our signature, our issuer and audience. The
    cheapest checks first; the signature before the payload is even decoded. The signature must
    be spelled exactly as we spell it, so one token has one string (and one cache entry); the
    header and payload need no character check: the signature covers them byte for byte."""
    header, payload, signature = raw.split(".")  # ValueError unless exactly three segments
    if not _our_header(header):
        raise jws.Invalid
    signing_input = raw[: len(header) + 1 + len(payload)].encode()  # header.payload, as signed
    if not hmac.compare_digest(jws.hs256_signature(signing_input, mac), signature.encode()):
        raise jws.Invalid
    claims = jws.json_object(jws.b64decode(payload))
    if token_backend.issuer is not None and claims.get("iss") != token_backend.issuer:
        raise jws.Invalid
    audience = token_backend.audience
    if (
        audience is not None
        and claims.get("aud") != audience
        and not (isinstance(claims.get("aud"), list) and audience in claims["aud"])
    ):
        raise jws.Invalid
    if "exp" not in claims:
        raise jws.Invalid
    return claims


@functools.lru_cache(maxsize=4096)
def _verified_claims(raw: str) -> dict[str, Any]:
    """Signature, issuer and audience of one token string, checked once per process.

    The result depends only on the exact string (a changed byte is another cache key); expiry
    and not-before are time-dependent and checked on every use by `verify_access`.
    """
    mac = jws.hs256_mac()
    if mac is not None:
        return _verify_hs256(raw, mac)
    return jwt.decode(
        raw,
        token_backend.get_verifying_key(raw),  # type: ignore[arg-type]  # as above
        algorithms=[token_backend.algorithm],
        audience=token_backend.audience,
        issuer=token_backend.issuer,
        options={
            "verify_aud": token_backend.audience is not None,
            "verify_exp": False,
            "verify_nbf": False,
            "require": ["exp"],
        },
    )


def _forget_keys(**kwargs: Any) -> None:
    _verified_claims.cache_clear()
    _our_header.cache_clear()


setting_changed.connect(_forget_keys)


def verify_access(raw: str) -> dict[str, Any]:
    """Claims of a valid, unexpired Gatehouse access token (the hot path: no database, the
    signature checked once per token string per process), or TokenError."""
    try:
        claims = dict(_verified_claims(raw))  # a copy: the cached claims are shared
    except (jws.Invalid, ValueError, TypeError, jwt.PyJWTError, TokenBackendError):  # ValueError: bad base64 or JSON
        raise TokenError("The access token is invalid or expired.", code="token_invalid") from None
    conf = _jwt()
    leeway = conf.LEEWAY.total_seconds() if hasattr(conf.LEEWAY, "total_seconds") else conf.LEEWAY
    now = time.time()
    exp, nbf = claims["exp"], claims.get("nbf", 0)
    if not _is_number(exp) or not _is_number(nbf) or exp + leeway < now or nbf - leeway > now:
        raise TokenError("The access token is invalid or expired.", code="token_invalid")
    if (
        claims.get(conf.TOKEN_TYPE_CLAIM) != "access"
        or not claims.get("sess")
        or not str(claims.get(conf.USER_ID_CLAIM, "")).isdigit()
    ):
        raise TokenError("This is not a Gatehouse access token.", code="token_invalid")
    return claims


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
