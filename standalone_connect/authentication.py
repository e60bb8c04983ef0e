"""DRF authentication for access tokens AuthKit issues to Connect OAuth clients.

RS256 tokens verified against AuthKit's JWKS (cached), issuer CONNECT_ISSUER, audience
CONNECT_AUDIENCE when set. The `external_id` claim is our user id (we sent it as `user.id` at
completion); configure a JWT template in WorkOS that adds it.
"""

from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions

from accounts import jwks
from standalone_connect.conf import app_settings as connect_settings


class KeysUnavailable(exceptions.APIException):
    status_code = 503
    default_code = "provider_unavailable"


_REASONS = {
    "expired": ("token_expired", "The access token has expired."),
    "issuer": ("token_wrong_issuer", "The access token was not issued by our authorization server."),
    "audience": ("token_wrong_audience", "The access token is for another audience."),
}


def _fail(code, detail):
    raise exceptions.AuthenticationFailed({"code": code, "detail": detail})


class ConnectTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        if not (connect_settings.CONNECT_ISSUER and connect_settings.CONNECT_JWKS_URL):
            _fail(
                "connect_not_configured",
                "Connect tokens are not accepted here (CONNECT_ISSUER / CONNECT_JWKS_URL unset).",
            )
        raw = header[7:].strip()
        try:
            claims = jwks.verify(
                raw,
                jwks.key_set(connect_settings.CONNECT_JWKS_URL),
                algorithms=("RS256",),
                issuer=connect_settings.CONNECT_ISSUER,
                audience=connect_settings.CONNECT_AUDIENCE or None,
            )
        except jwks.Rejected as exc:
            if exc.reason == "keys_unavailable":
                raise KeysUnavailable(
                    {"code": "provider_unavailable", "detail": "The authorization server's keys could not be fetched."}
                ) from None
            code, detail = _REASONS.get(exc.reason, ("token_invalid", "The access token is invalid."))
            _fail(code, detail)
        user_id = str(claims.get("external_id") or "")
        if not user_id.isdigit():
            _fail("token_invalid", "The access token does not name a user of this application (external_id).")
        user = get_user_model().objects.filter(pk=int(user_id), is_active=True).first()
        if user is None:
            _fail("user_inactive", "The user of this token is unknown or disabled.")
        return user, claims

    def authenticate_header(self, request):
        meta = request.build_absolute_uri("/.well-known/oauth-protected-resource")
        return f'Bearer error="unauthorized", error_description="Authorization needed", resource_metadata="{meta}"'
