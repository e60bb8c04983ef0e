"""Password-login throttles, counted on the shared cache (Redis when REDIS_URL is set)."""

import hashlib

from rest_framework.throttling import SimpleRateThrottle

from accounts.models import normalize_email


class PasswordIPThrottle(SimpleRateThrottle):
    scope = "password_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordAccountThrottle(SimpleRateThrottle):
    scope = "password_account"

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        # hashed: any byte a client sends becomes a short, cache-safe key
        ident = hashlib.sha256(normalize_email(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
