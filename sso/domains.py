"""Which email domains an organization has proven it owns: the mirror when it knows the
organization, WorkOS otherwise. Used to decide whether an SSO profile's email is verified."""

from accounts import workos_client
from accounts.errors import ProviderError
from sso.models import Organization


def verified_domains(organization_id):
    mirrored = Organization.objects.filter(workos_id=organization_id).values_list("domains", flat=True).first()
    if mirrored is not None:
        return {domain.lower() for domain in mirrored}  # the mirror keeps verified domains only
    wos = workos_client.client()
    try:
        org = workos_client.call("look up the organization", wos.organizations.get_organization, organization_id)
    except ProviderError as exc:
        if exc.status == 404:
            return set()
        raise
    return {d.domain.lower() for d in org.domains or [] if str(getattr(d.state, "value", d.state)) == "verified"}
