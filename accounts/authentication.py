"""DRF authentication for Gatehouse access tokens: verified from the token alone, no database
(accounts.tokens.verify_access).

The access token carries everything `request.user` needs (id, email, names, session, WorkOS
sid/org/role). Revocation therefore takes effect when the short-lived access token expires
(JWT_ACCESS_LIFETIME, 5 minutes by default); refresh checks the session every time.
"""

from django.middleware.csrf import CsrfViewMiddleware
from rest_framework import authentication, exceptions

from accounts import tokens
from accounts.conf import app_settings
from accounts.errors import TokenError

ACCESS_COOKIE = "gatehouse_access"
REFRESH_COOKIE = "gatehouse_refresh"


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
                raise exceptions.AuthenticationFailed(
                    {"code": "token_invalid", "detail": "The Authorization header must be 'Bearer <access token>'."}
                )
            raw = parts[1]
        elif cookies_accepted() and request.COOKIES.get(ACCESS_COOKIE):
            raw = request.COOKIES[ACCESS_COOKIE]
            from_cookie = True
        else:
            return None
        try:
            claims = tokens.verify_access(raw)
        except TokenError as exc:
            raise exceptions.AuthenticationFailed({"code": exc.code, "detail": exc.message}) from None
        if from_cookie:
            enforce_csrf(request)
        return tokens.TokenUser(claims), claims

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


def cookies_accepted():
    """Are tokens ever delivered as cookies here (always, or when a client asks)?"""
    return app_settings.GATEHOUSE_TOKEN_COOKIES or app_settings.GATEHOUSE_TOKEN_DELIVERY_CHOICE


def wants_cookies(request):
    """Cookie delivery for this request: the client's `X-Token-Delivery: cookie|body` where
    GATEHOUSE_TOKEN_DELIVERY_CHOICE allows it, else GATEHOUSE_TOKEN_COOKIES."""
    asked = request.headers.get("X-Token-Delivery", "").lower() if request is not None else ""
    if app_settings.GATEHOUSE_TOKEN_DELIVERY_CHOICE and asked in ("cookie", "body"):
        return asked == "cookie"
    return app_settings.GATEHOUSE_TOKEN_COOKIES


def enforce_csrf(request):
    """Cookie-borne credentials need CSRF protection on unsafe methods (as DRF's SessionAuthentication)."""
    check = _CSRFCheck(lambda req: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise exceptions.PermissionDenied(
            {
                "code": "csrf_failed",
                "detail": f"CSRF check failed: {reason}. Send the csrftoken cookie's value in X-CSRFToken.",
            }
        )
