"""The organization of a browser's sign-in, for the page header (its switcher link)."""

from django.utils.functional import SimpleLazyObject

from organizations.conf import app_settings
from sso.models import Organization


def organization(request):
    organization_id = getattr(request, "signin_organization_id", "")
    if not organization_id:
        return {}

    def current():
        name = Organization.objects.filter(workos_id=organization_id).values_list("name", flat=True).first()
        return {"id": organization_id, "name": name or organization_id}

    return {
        "signin_organization": SimpleLazyObject(current),
        "organization_admin": getattr(request, "signin_role", "") in app_settings.GATEHOUSE_ORGANIZATION_ADMIN_ROLES,
    }
