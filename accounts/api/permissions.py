"""Permissions beyond "has a valid access token"."""

from rest_framework import exceptions, permissions

from accounts.models import AuthSession


class SignInActive(permissions.IsAuthenticated):
    """The access token's sign-in has not ended. One query: for the endpoints that manage
    sign-ins, where a token of an ended sign-in (logged out, revoked, user deleted) must not
    keep working for the rest of its lifetime. `/api/auth/me` stays query-free without it."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        user = request.user
        if not AuthSession.objects.filter(id=user.session_id, user_id=user.id, revoked_at__isnull=True).exists():
            raise exceptions.AuthenticationFailed(
                {"code": "session_revoked", "detail": "This sign-in has ended. Sign in again."}
            )
        return True
