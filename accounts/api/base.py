"""What every API view shares: the public-view base, sign-in failure handling, the schema's
error responses, and how a token pair goes out (body or HttpOnly cookies). Other apps' API views
(`sso`) build on these too."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as s
from accounts.api import style
from accounts.api.throttles import SignInIPThrottle
from accounts.authentication import ACCESS_COOKIE, REFRESH_COOKIE, wants_cookies
from accounts.errors import GatehouseError
from accounts.signin import flow
from accounts.signin.identity import StepRequired

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Invalid request"),
    401: OpenApiResponse(s.ErrorSerializer, description="Not authenticated or bad credentials"),
    403: OpenApiResponse(s.ErrorSerializer, description="Refused by policy"),
    404: OpenApiResponse(s.ErrorSerializer, description="Not found, or not configured on this server"),
    429: OpenApiResponse(s.ErrorSerializer, description="Throttled; see Retry-After"),
    502: OpenApiResponse(s.ErrorSerializer, description="Identity provider unreachable"),
    503: OpenApiResponse(s.ErrorSerializer, description="Identity provider unavailable; see Retry-After"),
}


def errors(*statuses):
    """The documented error responses of an operation."""
    return {status: ERRORS[status] for status in statuses}


class PublicAPIView(APIView):
    """No authentication; throttled per client IP (the sign-in scope unless a view says otherwise)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [SignInIPThrottle]

    def finalize_response(self, request, response, *args, **kwargs):
        # tokens and sign-in states must never sit in a browser's or a proxy's cache
        add_never_cache_headers(response)
        return super().finalize_response(request, response, *args, **kwargs)


class SignInView(PublicAPIView):
    """A sign-in endpoint: every refusal is audited and announced (`user_login_failed`)."""

    method = ""
    waits_on_workos = True  # its work queues at workos_integration.waiting's gate, not /api/auth/me

    def handle_exception(self, exc):
        if isinstance(exc, GatehouseError) and not isinstance(exc, StepRequired):
            data = self.request.data if isinstance(self.request.data, dict) else {}
            flow.sign_in_failed(
                self.request, email=data.get("email", ""), reason=exc.code, method=self.method, error=exc
            )
        return super().handle_exception(exc)


# Readable by scripts and holding no secret: tells a page whether token cookies may be there, so
# that a signed-out page need not ask the API (and log a 401) to find out.
SIGNED_IN_HINT_COOKIE = "gatehouse_signed_in"


def set_token_cookies(response, pair):
    common = {"secure": not settings.DEBUG, "httponly": True, "samesite": "Lax"}
    response.set_cookie(ACCESS_COOKIE, pair.access, expires=pair.access_expires_at, path="/api/", **common)
    response.set_cookie(
        REFRESH_COOKIE, pair.refresh, expires=pair.refresh_expires_at, path="/api/token/refresh/", **common
    )
    response.set_cookie(
        SIGNED_IN_HINT_COOKIE, "1", expires=pair.refresh_expires_at, path="/", **{**common, "httponly": False}
    )


def clear_token_cookies(response):
    response.delete_cookie(ACCESS_COOKIE, path="/api/", samesite="Lax")
    response.delete_cookie(REFRESH_COOKIE, path="/api/token/refresh/", samesite="Lax")
    response.delete_cookie(SIGNED_IN_HINT_COOKIE, path="/", samesite="Lax")


def pair_response(pair, body, *, access_key="access", refresh_key="refresh", in_body=False, cookies=None, request=None):
    """Tokens in the body, or (cookie mode, unless `in_body`: clients without cookies, such as a
    CLI) in HttpOnly cookies and not in the body; with the sign-in's `session_config`; named in
    the API style in force. Cookie mode: `cookies` when given, else what the request asks for
    (accounts.authentication.wants_cookies)."""
    cookies = (wants_cookies(request) if cookies is None else cookies) and not in_body
    body = {**body, "session_config": pair.session_config}
    if not cookies:
        body = {access_key: pair.access, refresh_key: pair.refresh, **body}
    response = Response(style.present(body))
    if cookies:
        set_token_cookies(response, pair)
    return response


def signed_in(request, signin, *, in_body=False, with_user=True):
    """The answer to an app sign-in (what accounts.signin.flow.complete made on the token
    channel): its pair and, `with_user`, the user; a step still to pass is the 403 that names it."""
    if signin.pending is not None:
        raise signin.pending.error()
    if not with_user:
        return pair_response(signin.pair, {}, in_body=in_body, request=request)
    pair = signin.pair
    body = {
        "access_expires_at": pair.access_expires_at,
        "refresh_expires_at": pair.refresh_expires_at,
        "user": s.UserSerializer(signin.user, context={"session": pair.session}).data,
        "created": signin.created,
    }
    if signin.recovery_codes:  # an authenticator was set up: its recovery codes, this once
        body["recovery_codes"] = signin.recovery_codes
    return pair_response(
        pair, body, access_key="access_token", refresh_key="refresh_token", in_body=in_body, request=request
    )
