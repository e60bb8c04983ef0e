"""The organization endpoints' throttle: per signed-in person or API key, on the shared cache."""

from accounts.api.throttles import RateLimitThrottle


class OrganizationThrottle(RateLimitThrottle):
    scope = "organization"

    def ident(self, request):
        user = request.user
        key = getattr(user, "key", None)
        if key is not None:
            return f"key:{key.id}"
        return f"user:{user.id}" if getattr(user, "is_authenticated", False) else super().ident(request)
