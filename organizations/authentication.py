"""DRF authentication by organization API key: `Authorization: Bearer <key>`, for any view that
lists `OrganizationAPIKeyAuthentication` (next to, or instead of, the access-token one).

A key is validated through WorkOS (organizations.api_keys.validate, cached at most 30 s). Invalid
keys answer 401 `api_key_invalid` and are counted per client address on the shared cache; past
the limit (`api_key_ip`), 429 before WorkOS is asked. A key is never a Django user: it cannot
sign in to a page or the admin, and `request.user` is an `APIKeyCaller`.
"""

from rest_framework import authentication, exceptions

from accounts import ratelimit
from accounts.client import client_ip
from accounts.http import throttled_message
from organizations import api_keys


class APIKeyCaller:
    """Who calls with an organization API key: the key's organization and permissions."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = is_superuser = False
    role = None

    def __init__(self, key: api_keys.APIKey) -> None:
        self.key = key
        self.organization_id = key.organization_id
        self.permissions = key.permissions

    def __str__(self) -> str:
        return f"API key {self.key.name} ({self.key.id})"


def _looks_like_a_jwt(raw: str) -> bool:
    return raw.count(".") == 2


class OrganizationAPIKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(parts) != 2 or parts[0] != self.keyword or _looks_like_a_jwt(parts[1]):
            return None  # not a key: another authentication class may know it
        raw = parts[1]
        ip = client_ip(request)
        self._throttled(ratelimit.blocked("api_key_ip", ip))  # guessing: WorkOS is not asked again
        key = api_keys.validate(raw) if len(raw) <= 200 and raw.isprintable() else None
        if key is None:
            self._throttled(ratelimit.hit("api_key_ip", ip))
            raise exceptions.AuthenticationFailed(
                {"code": "api_key_invalid", "detail": "This API key is not valid (unknown, revoked or expired)."}
            )
        return APIKeyCaller(key), key

    @staticmethod
    def _throttled(limited):
        if limited is not None:
            raise exceptions.Throttled(wait=limited.wait, detail=throttled_message(limited))

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
