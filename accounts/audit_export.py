"""The audit trail out of Gatehouse: CSV (opens in a spreadsheet) or JSON Lines (one event per
line, for a log pipeline), from the admin's list (filtered, selected) or `manage.py export_audit`."""

import csv
import io
import json
from collections.abc import Iterable, Iterator

from accounts.models import AuditEvent

COLUMNS = ("created_at", "kind", "email", "user_id", "ip_address", "user_agent", "reason", "details")


def _row(event: AuditEvent) -> dict:
    return {
        "created_at": event.created_at.isoformat(),
        "kind": event.kind,
        "email": event.email,
        "user_id": event.user_id,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "reason": event.reason,
        "details": event.details,
    }


def _safe_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: never a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The events as CSV text, a chunk per event (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for event in events:
        row = _row(event)
        row["details"] = json.dumps(row["details"], sort_keys=True)
        writer.writerow([_safe_cell(row[name]) for name in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def as_jsonl(events: Iterable[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield json.dumps(_row(event), sort_keys=True) + "\n"
