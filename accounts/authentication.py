"""DRF authentication for Gatehouse access tokens: verified from the token alone, no database.

The access token carries everything `request.user` needs (id, email, names, session, WorkOS
sid/org/role). Revocation therefore takes effect when the short-lived access token expires
(JWT_ACCESS_LIFETIME, 5 minutes by default); refresh checks the session every time.
"""

import functools
import time

import jwt
from django.core.signals import setting_changed
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework import authentication, exceptions
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.state import token_backend

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


@functools.lru_cache(maxsize=4096)
def _verified_claims(raw):
    """Signature, issuer and audience of one token string, checked once per process.

    The result depends only on the exact string (a changed byte is another cache key); expiry
    is time-dependent and checked on every use by `decode_access_token`.
    """
    return jwt.decode(
        raw,
        token_backend.get_verifying_key(raw),
        algorithms=[token_backend.algorithm],
        audience=token_backend.audience,
        issuer=token_backend.issuer,
        options={"verify_aud": token_backend.audience is not None, "verify_exp": False, "require": ["exp"]},
    )


setting_changed.connect(lambda **kwargs: _verified_claims.cache_clear())


def decode_access_token(raw):
    """Claims of a valid, unexpired Gatehouse access token, or AuthenticationFailed."""
    try:
        claims = dict(_verified_claims(raw))  # a copy: the cached claims are shared
    except (jwt.PyJWTError, TokenBackendError):
        raise exceptions.AuthenticationFailed({"code": "token_invalid", "detail": "The access token is invalid or expired."}) from None
    conf = simplejwt_settings.api_settings  # rebound by simplejwt when SIMPLE_JWT changes
    leeway = conf.LEEWAY.total_seconds() if hasattr(conf.LEEWAY, "total_seconds") else conf.LEEWAY
    if not isinstance(claims["exp"], (int, float)) or claims["exp"] + leeway < time.time():
        raise exceptions.AuthenticationFailed({"code": "token_invalid", "detail": "The access token is invalid or expired."})
    if claims.get(conf.TOKEN_TYPE_CLAIM) != "access" or not claims.get("sess") or not str(claims.get(conf.USER_ID_CLAIM, "")).isdigit():
        raise exceptions.AuthenticationFailed({"code": "token_invalid", "detail": "This is not a Gatehouse access token."})
    return claims


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
