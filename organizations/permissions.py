"""DRF permissions for an organization's callers: its admins, and named permissions held by
either kind of caller (an organization API key, or a person signed in to the organization)."""

from rest_framework import exceptions, permissions

from organizations.conf import app_settings


def permissions_of(user) -> tuple[str, ...]:
    """An API key's permissions, or those of a person's role in the organization of their sign-in
    (WorkOS's, carried by the access token)."""
    if not getattr(user, "organization_id", None):
        return ()
    return tuple(getattr(user, "permissions", ()) or ())


def HasPermission(name: str) -> type[permissions.BasePermission]:  # noqa: N802  (used as a class)
    """A permission class requiring the permission slug `name`:
    `permission_classes = [HasPermission("widgets:read")]`."""

    class _HasPermission(permissions.BasePermission):
        message = {"code": "permission_missing", "detail": f"This needs the permission {name!r}."}

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated) and name in permissions_of(request.user)

    _HasPermission.__name__ = _HasPermission.__qualname__ = f"HasPermission({name!r})"
    return _HasPermission


class IsOrganizationAdmin(permissions.BasePermission):
    """A person (not a key) signed in to an organization with one of GATEHOUSE_ORGANIZATION_ADMIN_ROLES."""

    message = {
        "code": "organization_admin_required",
        "detail": "Only an administrator of your organization may do this.",
    }

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not getattr(user, "session_id", None):  # an API key, or anything that is not a person's sign-in
            return False
        if not user.organization_id:
            raise exceptions.PermissionDenied(
                {"code": "organization_required", "detail": "This sign-in is not in an organization."}
            )
        return (user.role or "") in app_settings.GATEHOUSE_ORGANIZATION_ADMIN_ROLES
