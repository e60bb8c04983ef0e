"""The toolkit that mirrors a WorkOS list into a table (used by sso.sync and directory.sync).

Rows are keyed by `workos_id` and carry `last_synced_at`. A sync pages through WorkOS (100 a
page), writes rows in large batches (`upsert_rows`: one statement per batch), then removes what
it did not see (`remove_unseen`): only after it has seen every page, and only rows nobody stamped
after it started (a concurrent run or an event may have written them since). A run that fails
part way removes nothing. A page fetched before a deletion WorkOS has since told us about never
revives the object (tombstones).
"""

import functools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.dateparse import parse_datetime

from observability import metrics
from workos_integration.models import Tombstone

PAGE_SIZE = 100  # objects per WorkOS request (the API's maximum)
T = TypeVar("T")
R = TypeVar("R")
WRITE_BATCH = 1000  # rows per upsert: fewer, larger statements cost the database less per row


def when(value: str | datetime | None) -> datetime | None:
    """A WorkOS time (ISO 8601 text, or already a datetime) as a datetime."""
    return value if isinstance(value, datetime) or value is None else parse_datetime(value)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed"


def measured(kind: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """A sync function's metrics: each run (`kind`, ok or failed) and its duration, and the rows of
    its report (a dataclass of Counts per object) by object and change."""

    def decorate(sync: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(sync)
        def run(*args: Any, **kwargs: Any) -> R:
            started, outcome = time.perf_counter(), "failed"
            try:
                report = sync(*args, **kwargs)
                outcome = "ok"
            finally:
                metrics.SYNCS.labels(kind, outcome).inc()
                metrics.SYNC_SECONDS.labels(kind).observe(time.perf_counter() - started)
            for part in fields(report):  # type: ignore[arg-type]
                for change, rows in asdict(getattr(report, part.name)).items():
                    if rows:
                        metrics.SYNC_ROWS.labels(part.name, change).inc(rows)
            return report

        return run

    return decorate


def batches(iterator: Iterable[T], size: int = WRITE_BATCH) -> Iterator[list[T]]:
    batch = []
    for item in iterator:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def upsert_rows(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    counts: Counts,
    seen: set[str],
    then: Callable[[list[dict[str, Any]], dict[str, dict[str, Any]]], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Write `rows` (tombstoned objects left out) and count them; returns what the written rows
    held before, by WorkOS id (the compared fields), for callers that act on changes.
    `then(rows, before)` runs in the same transaction, after the rows are written."""
    seen.update(row["workos_id"] for row in rows)
    buried = set(
        Tombstone.objects.filter(workos_id__in=[row["workos_id"] for row in rows]).values_list("workos_id", flat=True)
    )
    rows = [row for row in rows if row["workos_id"] not in buried]
    if not rows:
        return {}
    ids = [row["workos_id"] for row in rows]
    fields = [name for name in rows[0] if name != "workos_id"]
    compared = [name for name in fields if name != "last_synced_at"]
    with transaction.atomic():
        found = model._default_manager.filter(workos_id__in=ids).order_by().values("workos_id", *compared)
        existing = {row.pop("workos_id"): row for row in found}
        # every row is written (its last_synced_at moves on); what changed is only counted
        model._default_manager.bulk_create(
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


def remove_unseen(model: type[models.Model], started: datetime, seen: set[str]) -> int:
    """Delete the rows a complete run did not see and nobody stamped since it started."""
    gone = [
        pk
        for pk, workos_id in model._default_manager.filter(last_synced_at__lt=started).values_list("pk", "workos_id")
        if workos_id not in seen
    ]
    removed = 0
    for start in range(0, len(gone), 500):
        removed += model._default_manager.filter(pk__in=gone[start : start + 500], last_synced_at__lt=started).delete()[
            0
        ]
    return removed
