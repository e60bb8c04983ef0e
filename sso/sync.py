"""Bring the local mirror in line with WorkOS: page through organizations and connections (100 a
page, the SDK's auto-pagination, read ahead in the background while the last batch is written),
upsert them in batches of ten pages, then remove what WorkOS no longer has.

Safe to run twice at once: only after a run has seen every page does it delete, and then only
rows it did not see that nobody stamped after it started (a concurrent run or a webhook may
have written them since). A run that fails part way deletes nothing.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts import workos_client
from sso.mirror import connection_fields, organization_fields, store_domains
from sso.models import Connection, Organization, Tombstone

PAGE_SIZE = 100  # objects per WorkOS request (the API's maximum)
WRITE_BATCH = 1000  # rows per upsert: fewer, larger statements cost the database less per row


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class SyncReport:
    organizations: Counts = field(default_factory=Counts)
    connections: Counts = field(default_factory=Counts)

    def __str__(self):
        o, c = self.organizations, self.connections
        return (
            f"connections: {c.created} created, {c.updated} updated, {c.unchanged} unchanged, {c.removed} removed; "
            f"organizations: {o.created} created, {o.updated} updated, {o.unchanged} unchanged, {o.removed} removed"
        )


def _upsert(model, rows, counts, seen, then=None):
    """Write `rows` (tombstoned objects left out) and count them; returns what the written rows
    held before, by WorkOS id (the compared fields), for callers that act on changes.
    `then(rows, before)` runs in the same transaction, after the rows are written."""
    seen.update(row["workos_id"] for row in rows)
    # a page fetched before a deletion WorkOS has since told us about must not revive the object
    buried = set(Tombstone.objects.filter(workos_id__in=[row["workos_id"] for row in rows]).values_list("workos_id", flat=True))
    rows = [row for row in rows if row["workos_id"] not in buried]
    if not rows:
        return {}
    ids = [row["workos_id"] for row in rows]
    fields = [name for name in rows[0] if name != "workos_id"]
    compared = [name for name in fields if name != "last_synced_at"]
    with transaction.atomic():
        found = model.objects.filter(workos_id__in=ids).order_by().values("workos_id", *compared)
        existing = {row.pop("workos_id"): row for row in found}
        # every row is written (its last_synced_at moves on); what changed is only counted
        model.objects.bulk_create(
            [model(**row) for row in rows], update_conflicts=True, unique_fields=["workos_id"], update_fields=fields
        )
        if then is not None:
            then(rows, existing)
    for row in rows:
        before = existing.get(row["workos_id"])
        if before is None:
            counts.created += 1
        elif all(before[name] == row[name] for name in compared):
            counts.unchanged += 1
        else:
            counts.updated += 1
    return existing


def _store_changed_domains(rows, before):
    changed = {row["workos_id"]: row["domains"] for row in rows if before.get(row["workos_id"], {}).get("domains") != row["domains"]}
    if changed:
        store_domains(changed)


def _batches(iterator, size=WRITE_BATCH):
    batch = []
    for item in iterator:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def sync_all(progress=None, batch=WRITE_BATCH):
    """Mirror every organization and connection, `batch` rows per upsert. `progress(kind, seen)`
    is called after each batch."""
    report = SyncReport()
    started = timezone.now()
    wos = workos_client.client()
    orgs = workos_client.call("list organizations", wos.organizations.list_organizations, limit=PAGE_SIZE)
    seen_orgs, seen_conns = set(), set()
    for objects in workos_client.read_ahead(_batches(workos_client.paged(orgs, "list organizations"), batch)):
        rows = [dict(organization_fields(o.to_dict()), workos_id=o.id, last_synced_at=started) for o in objects]
        _upsert(Organization, rows, report.organizations, seen_orgs, then=_store_changed_domains)
        if progress:
            progress("organizations", len(seen_orgs))
    org_pks = dict(Organization.objects.values_list("workos_id", "pk"))
    conns = workos_client.call("list connections", wos.sso.list_connections, limit=PAGE_SIZE)
    for objects in workos_client.read_ahead(_batches(workos_client.paged(conns, "list connections"), batch)):
        rows = [dict(connection_fields(c.to_dict()), workos_id=c.id, organization_id=org_pks.get(c.organization_id), last_synced_at=started) for c in objects]
        _upsert(Connection, rows, report.connections, seen_conns)
        if progress:
            progress("connections", len(seen_conns))
    report.connections.removed = _remove_unseen(Connection, started, seen_conns)
    report.organizations.removed = _remove_unseen(Organization, started, seen_orgs)
    return report


def _remove_unseen(model, started, seen):
    gone = [pk for pk, workos_id in model.objects.filter(last_synced_at__lt=started).values_list("pk", "workos_id") if workos_id not in seen]
    removed = 0
    for start in range(0, len(gone), 500):
        removed += model.objects.filter(pk__in=gone[start : start + 500], last_synced_at__lt=started).delete()[0]
    return removed
