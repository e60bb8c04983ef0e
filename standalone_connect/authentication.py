"""DRF authentication for access tokens AuthKit issues to Connect OAuth clients.

RS256 tokens verified against AuthKit's JWKS (cached), issuer CONNECT_ISSUER, audience
CONNECT_AUDIENCE when set. The `external_id` claim is our user id (we sent it as `user.id` at
completion); configure a JWT template in WorkOS that adds it.
"""

import functools

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.signals import setting_changed
from rest_framework import authentication, exceptions


@functools.cache
def _jwks_client(url):
    return jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=settings.OIDC_JWKS_CACHE_SECONDS, timeout=settings.OIDC_HTTP_TIMEOUT)


setting_changed.connect(lambda **kwargs: _jwks_client.cache_clear())


class KeysUnavailable(exceptions.APIException):
    status_code = 503
    default_code = "provider_unavailable"


def _fail(code, detail):
    raise exceptions.AuthenticationFailed({"code": code, "detail": detail})


class ConnectTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        if not (settings.CONNECT_ISSUER and settings.CONNECT_JWKS_URL):
            _fail("connect_not_configured", "Connect tokens are not accepted here (CONNECT_ISSUER / CONNECT_JWKS_URL unset).")
        raw = header[7:].strip()
        try:
            key = _jwks_client(settings.CONNECT_JWKS_URL).get_signing_key_from_jwt(raw)
            claims = jwt.decode(
                raw,
                key.key,
                algorithms=["RS256"],
                issuer=settings.CONNECT_ISSUER,
                audience=settings.CONNECT_AUDIENCE or None,
                leeway=30,
                options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": bool(settings.CONNECT_AUDIENCE)},
            )
        except jwt.ExpiredSignatureError:
            _fail("token_expired", "The access token has expired.")
        except jwt.InvalidIssuerError:
            _fail("token_wrong_issuer", "The access token was not issued by our authorization server.")
        except jwt.InvalidAudienceError:
            _fail("token_wrong_audience", "The access token is for another audience.")
        except jwt.PyJWKClientConnectionError:
            raise KeysUnavailable({"code": "provider_unavailable", "detail": "The authorization server's keys could not be fetched."}) from None
        except (jwt.PyJWTError, jwt.PyJWKClientError):
            _fail("token_invalid", "The access token is invalid.")
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
