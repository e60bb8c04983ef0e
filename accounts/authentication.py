"""DRF authentication for Gatehouse access tokens: verified from the token alone, no database.

The access token carries everything `request.user` needs (id, email, names, session, WorkOS
sid/org/role). Revocation therefore takes effect when the short-lived access token expires
(JWT_ACCESS_LIFETIME, 5 minutes by default); refresh checks the session every time.
"""

import functools
import hmac
import time

import jwt
from django.core.signals import setting_changed
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework import authentication, exceptions
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.state import token_backend

from accounts import jws
from accounts.conf import app_settings

ACCESS_COOKIE = "gatehouse_access"
REFRESH_COOKIE = "gatehouse_refresh"


class TokenUser:
    """The signed-in user as the access token describes them."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, claims):
        self.claims = claims
        self.id = self.pk = int(claims[simplejwt_settings.api_settings.USER_ID_CLAIM])

    email = property(lambda self: self.claims.get("email", ""))
    first_name = property(lambda self: self.claims.get("first_name", ""))
    last_name = property(lambda self: self.claims.get("last_name", ""))
    is_staff = property(lambda self: bool(self.claims.get("is_staff")))
    session_id = property(lambda self: self.claims.get("sess"))
    workos_session_id = property(lambda self: self.claims.get("sid"))
    organization_id = property(lambda self: self.claims.get("org_id"))
    role = property(lambda self: self.claims.get("role"))
    auth_method = property(lambda self: self.claims.get("amr"))

    def __str__(self):
        return self.email

    def get_username(self):
        return self.email


@functools.lru_cache(maxsize=32)
def _our_header(segment):
    """Is this exactly our header, {"alg": "HS256"} and at most "typ"? (Every token of ours has
    the same few bytes here: each is decoded once per process.)"""
    try:
        header = jws.json_object(jws.b64decode(segment))
    except (jws.Invalid, ValueError):
        return False
    return header.get("alg") == "HS256" and set(header) <= {"alg", "typ"}


def _verify_hs256(raw, mac):
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
    if audience is not None and claims.get("aud") != audience and not (isinstance(claims.get("aud"), list) and audience in claims["aud"]):
        raise jws.Invalid
    if "exp" not in claims:
        raise jws.Invalid
    return claims


@functools.lru_cache(maxsize=4096)
def _verified_claims(raw):
    """Signature, issuer and audience of one token string, checked once per process.

    The result depends only on the exact string (a changed byte is another cache key); expiry
    and not-before are time-dependent and checked on every use by `decode_access_token`.
    """
    mac = jws.hs256_mac()
    if mac is not None:
        return _verify_hs256(raw, mac)
    return jwt.decode(
        raw,
        token_backend.get_verifying_key(raw),
        algorithms=[token_backend.algorithm],
        audience=token_backend.audience,
        issuer=token_backend.issuer,
        options={"verify_aud": token_backend.audience is not None, "verify_exp": False, "verify_nbf": False, "require": ["exp"]},
    )


def _forget_keys(**kwargs):
    _verified_claims.cache_clear()
    _our_header.cache_clear()


setting_changed.connect(_forget_keys)


def decode_access_token(raw):
    """Claims of a valid, unexpired Gatehouse access token, or AuthenticationFailed."""
    try:
        claims = dict(_verified_claims(raw))  # a copy: the cached claims are shared
    except (jws.Invalid, ValueError, TypeError, jwt.PyJWTError, TokenBackendError):  # ValueError: bad base64 or JSON
        raise exceptions.AuthenticationFailed({"code": "token_invalid", "detail": "The access token is invalid or expired."}) from None
    conf = simplejwt_settings.api_settings  # rebound by simplejwt when SIMPLE_JWT changes
    leeway = conf.LEEWAY.total_seconds() if hasattr(conf.LEEWAY, "total_seconds") else conf.LEEWAY
    now = time.time()
    exp, nbf = claims["exp"], claims.get("nbf", 0)
    if not _is_number(exp) or not _is_number(nbf) or exp + leeway < now or nbf - leeway > now:
        raise exceptions.AuthenticationFailed({"code": "token_invalid", "detail": "The access token is invalid or expired."})
    if claims.get(conf.TOKEN_TYPE_CLAIM) != "access" or not claims.get("sess") or not str(claims.get(conf.USER_ID_CLAIM, "")).isdigit():
        raise exceptions.AuthenticationFailed({"code": "token_invalid", "detail": "This is not a Gatehouse access token."})
    return claims


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _CSRFCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <access>`, or the HttpOnly access cookie in cookie mode (+ CSRF)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        from_cookie = False
        if header:
            parts = header.split()
            if len(parts) != 2 or parts[0] != self.keyword:
                raise exceptions.AuthenticationFailed({"code": "token_invalid", "detail": "The Authorization header must be 'Bearer <access token>'."})
            raw = parts[1]
        elif app_settings.GATEHOUSE_TOKEN_COOKIES and request.COOKIES.get(ACCESS_COOKIE):
            raw = request.COOKIES[ACCESS_COOKIE]
            from_cookie = True
        else:
            return None
        claims = decode_access_token(raw)
        if from_cookie:
            enforce_csrf(request)
        return TokenUser(claims), claims

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


def enforce_csrf(request):
    """Cookie-borne credentials need CSRF protection on unsafe methods (as DRF's SessionAuthentication)."""
    check = _CSRFCheck(lambda req: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise exceptions.PermissionDenied({"code": "csrf_failed", "detail": f"CSRF check failed: {reason}. Send the csrftoken cookie's value in X-CSRFToken."})
