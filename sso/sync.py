"""Bring the SSO mirror in line with WorkOS: every organization, then every connection, through
the mirror toolkit (workos_integration.mirror: paged, upserted in batches, then what WorkOS no
longer lists removed). Pages are read ahead in the background while the last batch is written.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from sso.mirror import connection_fields, organization_fields, store_domains
from sso.models import Connection, Organization
from workos_integration import client as workos_client
from workos_integration.mirror import PAGE_SIZE, WRITE_BATCH, Counts, batches, measured, remove_unseen, upsert_rows


@dataclass
class SyncReport:
    organizations: Counts = field(default_factory=Counts)
    connections: Counts = field(default_factory=Counts)

    def __str__(self) -> str:
        return f"connections: {self.connections}; organizations: {self.organizations}"


def _store_changed_domains(rows: list[dict[str, Any]], before: dict[str, dict[str, Any]]) -> None:
    changed = {
        row["workos_id"]: row["domains"]
        for row in rows
        if before.get(row["workos_id"], {}).get("domains") != row["domains"]
    }
    if changed:
        store_domains(changed)


@measured("organizations_and_connections")
def sync_all(progress: Callable[[str, int], None] | None = None, batch: int = WRITE_BATCH) -> SyncReport:
    """Mirror every organization and connection, `batch` rows per upsert. `progress(kind, seen)`
    is called after each batch."""
    report = SyncReport()
    started = timezone.now()
    wos = workos_client.client()
    orgs = workos_client.call("list organizations", wos.organizations.list_organizations, limit=PAGE_SIZE)
    seen_orgs: set[str] = set()
    seen_conns: set[str] = set()
    for objects in workos_client.read_ahead(batches(workos_client.paged(orgs, "list organizations"), batch)):
        rows = [dict(organization_fields(o.to_dict()), workos_id=o.id, last_synced_at=started) for o in objects]
        upsert_rows(Organization, rows, report.organizations, seen_orgs, then=_store_changed_domains)
        if progress:
            progress("organizations", len(seen_orgs))
    org_pks = dict(Organization.objects.values_list("workos_id", "pk"))
    conns = workos_client.call("list connections", wos.sso.list_connections, limit=PAGE_SIZE)
    for objects in workos_client.read_ahead(batches(workos_client.paged(conns, "list connections"), batch)):
        rows = [
            dict(
                connection_fields(c.to_dict()),
                workos_id=c.id,
                organization_id=org_pks.get(c.organization_id),
                last_synced_at=started,
            )
            for c in objects
        ]
        upsert_rows(Connection, rows, report.connections, seen_conns)
        if progress:
            progress("connections", len(seen_conns))
    report.connections.removed = remove_unseen(Connection, started, seen_conns)
    report.organizations.removed = remove_unseen(Organization, started, seen_orgs)
    return report
