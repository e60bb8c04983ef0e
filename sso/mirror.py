"""From a WorkOS organization or connection, in its JSON shape, to the mirror's fields: the one
mapping both the sync (SDK objects, via `to_dict()`) and the webhooks (validated event data)
use."""

from sso.models import Organization, OrganizationDomain, domain_index
from workos_integration.mirror import when


def _common(data, domains):
    return dict(
        name=data.get("name") or "",
        domains=domains,
        domain_index=domain_index(domains),
        workos_created_at=when(data.get("created_at")),
        workos_updated_at=when(data.get("updated_at")),
    )


def organization_fields(data):
    """Fields of an Organization row; only verified domains are kept."""
    return _common(data, [d["domain"] for d in data.get("domains") or [] if d.get("state", "verified") == "verified"])


def connection_fields(data):
    """Fields of a Connection row, but for the `organization` foreign key, which the caller
    resolves from `organization_workos_id` (in bulk for a sync, by one lookup for a webhook)."""
    return dict(
        _common(data, [d["domain"] for d in data.get("domains") or []]),
        connection_type=data.get("connection_type") or "",
        state=data.get("state") or "",
        organization_workos_id=data.get("organization_id") or "",
    )


def store_domains(domains_by_organization):
    """Replace the OrganizationDomain rows of the organizations given ({WorkOS id: domains}) with
    their domains, lower-cased. Run it in the transaction that writes the organizations."""
    pks = dict(Organization.objects.filter(workos_id__in=list(domains_by_organization)).values_list("workos_id", "pk"))
    OrganizationDomain.objects.filter(organization_id__in=list(pks.values())).delete()
    OrganizationDomain.objects.bulk_create(
        [
            OrganizationDomain(organization_id=pks[workos_id], domain=domain)
            for workos_id, domains in domains_by_organization.items()
            if workos_id in pks
            for domain in sorted({d.lower() for d in domains})
        ],
        ignore_conflicts=True,  # a sync or webhook writing the same organization at once
    )


def organization_choices():
    """The mirrored organizations as (WorkOS id, name), for the admin's organization fields."""
    return list(Organization.objects.order_by("name").values_list("workos_id", "name"))
