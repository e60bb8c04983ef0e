"""Password-login throttles, counted on the shared cache (Redis when REDIS_URL is set)."""

import hashlib

from rest_framework.throttling import SimpleRateThrottle

from accounts import audit
from accounts.models import AuditEvent, normalize_email


class _AuditedThrottle(SimpleRateThrottle):
    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        if not allowed:
            data = request.data if isinstance(request.data, dict) else {}
            email = data.get("email") if isinstance(data.get("email"), str) else ""
            audit.record(AuditEvent.Kind.THROTTLED, email=email, request=request, reason=self.scope)
        return allowed


class PasswordIPThrottle(_AuditedThrottle):
    scope = "password_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordAccountThrottle(_AuditedThrottle):
    scope = "password_account"

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        # hashed: any byte a client sends becomes a short, cache-safe key
        ident = hashlib.sha256(normalize_email(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
