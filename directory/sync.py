"""Bring the directory mirror in line with WorkOS: every directory, then each one's groups and
users (100 a page, upserted 1,000 at a time), then what WorkOS no longer lists is removed. A
directory user who became inactive, or is gone, loses access (directory.access), as with the
events.

As for every mirror (workos_integration.mirror): a run that fails part way removes nothing, and only rows not
stamped since the run started are removed, so a concurrent run or event is never undone.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from directory import access
from directory.events import apply_directory_user
from directory.mirror import directory_fields, group_fields, user_fields
from directory.models import Directory, DirectoryGroup, DirectoryUser
from workos_integration import client as workos_client
from workos_integration.mirror import PAGE_SIZE, Counts, batches, measured, remove_unseen, upsert_rows


@dataclass
class DirectorySyncReport:
    directories: Counts = field(default_factory=Counts)
    groups: Counts = field(default_factory=Counts)
    users: Counts = field(default_factory=Counts)

    def __str__(self) -> str:
        return "; ".join(
            f"{name}: {c}"
            for name, c in (("directories", self.directories), ("groups", self.groups), ("users", self.users))
        )


def _rows(
    items: list[Any], fields: Callable[[dict[str, Any]], dict[str, Any]], started: datetime
) -> list[dict[str, Any]]:
    return [dict(fields(item.to_dict()), workos_id=item.id, last_synced_at=started) for item in items]


def _sync_users(wos: Any, directory: str, started: datetime, report: DirectorySyncReport, seen: set[str]) -> None:
    listing = workos_client.call(
        "list directory users", wos.directory_sync.list_users, directory=directory, limit=PAGE_SIZE
    )
    for batch in workos_client.read_ahead(batches(workos_client.paged(listing, "list directory users"))):
        ids = [u.id for u in batch]
        before = {
            workos_id: row["state"]
            for workos_id, row in upsert_rows(
                DirectoryUser, _rows(batch, user_fields, started), report.users, seen
            ).items()
        }
        people = {p.workos_id: p for p in DirectoryUser.objects.filter(workos_id__in=ids)}
        groups = dict(
            DirectoryGroup.objects.filter(workos_id__in={g.id for u in batch for g in (u.groups or [])}).values_list(
                "workos_id", "pk"
            )
        )
        through = DirectoryUser.groups.through
        with transaction.atomic():
            through.objects.filter(directoryuser_id__in=[p.pk for p in people.values()]).delete()
            through.objects.bulk_create(
                [
                    through(directoryuser_id=people[u.id].pk, directorygroup_id=groups[g.id])
                    for u in batch
                    if u.id in people
                    for g in (u.groups or [])
                    if g.id in groups
                ]
            )
        for workos_id, person in people.items():
            if before.get(workos_id) != person.state or person.user_id is None:
                apply_directory_user(person)


def _remove_gone_users(started: datetime, seen: set[str]) -> int:
    """Directory users WorkOS no longer lists lose access, then leave the mirror."""
    removed = 0
    for person in DirectoryUser.objects.filter(last_synced_at__lt=started).iterator():
        if person.workos_id in seen:
            continue
        if not person.user_id:  # WorkOS's word on the organization's domains, before the transaction
            access.organization_domains(person.organization_workos_id)
        with transaction.atomic():
            if DirectoryUser.objects.filter(pk=person.pk, last_synced_at__lt=started).delete()[0]:
                apply_directory_user(person, removed=True)
                removed += 1
    return removed


@measured("directories")
def sync_directories() -> DirectorySyncReport:
    report = DirectorySyncReport()
    started = timezone.now()
    wos = workos_client.client()
    seen: dict[str, set[str]] = {"directories": set(), "groups": set(), "users": set()}
    listing = workos_client.call("list directories", wos.directory_sync.list_directories, limit=PAGE_SIZE)
    for batch in batches(workos_client.paged(listing, "list directories")):
        upsert_rows(Directory, _rows(batch, directory_fields, started), report.directories, seen["directories"])
    for directory in sorted(seen["directories"]):
        listing = workos_client.call(
            "list directory groups", wos.directory_sync.list_groups, directory=directory, limit=PAGE_SIZE
        )
        for batch in batches(workos_client.paged(listing, "list directory groups")):
            upsert_rows(DirectoryGroup, _rows(batch, group_fields, started), report.groups, seen["groups"])
        _sync_users(wos, directory, started, report, seen["users"])
    report.users.removed = _remove_gone_users(started, seen["users"])
    report.groups.removed = remove_unseen(DirectoryGroup, started, seen["groups"])
    report.directories.removed = remove_unseen(Directory, started, seen["directories"])
    return report
