"""Which email domains an organization has proven it owns: the mirror when it knows the
organization, WorkOS otherwise. Used to decide whether an SSO profile's email is verified."""

from accounts.signin.workos import organization_verified_domains
from sso.models import Organization


def verified_domains(organization_id):
    mirrored = Organization.objects.filter(workos_id=organization_id).values_list("domains", flat=True).first()
    if mirrored is not None:
        return {domain.lower() for domain in mirrored}  # the mirror keeps verified domains only
    return organization_verified_domains(organization_id)
