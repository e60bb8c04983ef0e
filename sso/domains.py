"""Which email domains an organization has proven it owns: the mirror when it knows the
organization, WorkOS otherwise (its answer kept a minute in the shared cache, so that an event's
handler finds what `prepare` fetched before the event's transaction). Used to decide whether an
SSO profile's email is verified and whether a directory may act on an account."""

from accounts import sharedcache
from accounts.signin.workos import organization_verified_domains
from sso.models import Organization

_ASKED_FOR = 60  # seconds a WorkOS answer is kept


def verified_domains(organization_id):
    mirrored = Organization.objects.filter(workos_id=organization_id).values_list("domains", flat=True).first()
    if mirrored is not None:
        return {domain.lower() for domain in mirrored}  # the mirror keeps verified domains only
    key = f"gatehouse:organization-domains:{organization_id}"
    known = sharedcache.get(key)
    if known is None:
        known = sorted(organization_verified_domains(organization_id))
        sharedcache.set(key, known, _ASKED_FOR)
    return set(known)
