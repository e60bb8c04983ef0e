"""The one pipeline of WorkOS events: signed webhooks and the Events API, each event applied once.

Webhooks are verified against the raw body (HMAC-SHA256 with the shared secret, timestamp
tolerance). Each event type has one registered handler (`register`, called by the apps that
mirror WorkOS objects), and its data is type- and length-checked before anything is stored;
out-of-order deliveries never overwrite newer data (`upsert` compares the event's timezone-aware
`updated_at`), and a deletion leaves a tombstone so that a late update cannot bring the object
back.

`catch_up` reads the Events API from where the last run stopped and applies what the webhooks
missed (Gatehouse was down, a delivery was dropped), through the same `process`. The cursor is
the time of the last event applied: the next run asks for events from that moment on (those
seen again are duplicates, skipped), so a cursor event WorkOS has since dropped from its 30-day
window never stalls the reading.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from accounts.errors import GatehouseError
from observability import metrics
from workos_integration import client as workos_client
from workos_integration.conf import app_settings
from workos_integration.models import EventCursor, Tombstone, WebhookEvent

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 180
PAGE_SIZE = 100
# WorkOS keeps events 30 days (the Events API's window) and retries a webhook for days, not
# weeks: a record of an applied event, or a tombstone, older than that guards against nothing.
RETENTION = dt.timedelta(days=30)
# `t=<milliseconds>, v1=<hex sha256>`, as WorkOS sends it; anything else is malformed.
_SIGNATURE = re.compile(r"^t=([0-9]{1,15}), v1=([0-9a-f]{64})$")


class WebhookRejected(GatehouseError):
    status = 401
    code = "invalid_signature"


def _check_signature(body, header):
    match = _SIGNATURE.match(header)
    if not match:
        raise WebhookRejected("The WorkOS-Signature header is malformed.", code="signature_malformed", status=400)
    timestamp_ms, signature = match.groups()
    if abs(time.time() - int(timestamp_ms) / 1000) > TOLERANCE_SECONDS:
        raise WebhookRejected("The signature timestamp is too old or in the future.", code="signature_stale")
    expected = hmac.new(
        app_settings.WORKOS_WEBHOOK_SECRET.encode(), f"{timestamp_ms}.".encode() + body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(signature, expected):
        raise WebhookRejected("The signature does not match.", code="invalid_signature")


def verify(body, signature):
    if not app_settings.WORKOS_WEBHOOK_SECRET:
        raise WebhookRejected(
            "Webhooks are not configured on this server (WORKOS_WEBHOOK_SECRET).",
            code="webhooks_not_configured",
            status=503,
        )
    if not signature:
        raise WebhookRejected("The WorkOS-Signature header is missing.", code="signature_missing", status=400)
    _check_signature(body, signature)
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookRejected("The body is not JSON.", code="invalid_body", status=400) from None
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("event"), str)
        or not isinstance(event.get("data"), dict)
        or not (event["id"] + event["event"]).isprintable()
        or len(event["id"]) > 64
        or len(event["event"]) > 100
    ):
        raise WebhookRejected("The body is not a WorkOS event.", code="invalid_body", status=400)
    return event


# --- what an event's data must look like before any of it is stored ---------------------------


class AwareDateTime(serializers.Field):
    """An ISO 8601 string with a timezone: a naive time would be compared in the wrong zone."""

    def to_internal_value(self, value):
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None or parsed.tzinfo is None:
            raise serializers.ValidationError("Must be an ISO 8601 date-time with a timezone.")
        return parsed


def _validated(shape, data):
    checked = shape(data=data)
    if not checked.is_valid():
        raise WebhookRejected(
            "The event's data is not a valid WorkOS object.", code="invalid_event", status=400, detail=checked.errors
        )
    return checked.validated_data


def _newer(row, data):
    return row is None or row.workos_updated_at is None or data["updated_at"] >= row.workos_updated_at


def upsert(model, data, fields):
    """(row, 'applied') with the event's data stored, or (current row, 'stale') when the mirror
    already holds newer data or the object was deleted."""
    row = model.objects.select_for_update().filter(workos_id=data["id"]).first()
    if Tombstone.objects.filter(workos_id=data["id"]).exists() or not _newer(row, data):
        return row, "stale"
    row, _ = model.objects.update_or_create(workos_id=data["id"], defaults={**fields, "last_synced_at": timezone.now()})
    return row, "applied"


@dataclass(frozen=True)
class _Handler:
    shape: type
    apply: object
    applied: object = None
    prepare: object = None


_HANDLERS = {}


def register(event_type, shape, handler, *, applied=None, prepare=None):
    """An app's handler for an event type: `shape` (a serializer class) validates the data,
    `handler(data)` applies it inside the event's transaction and returns 'applied' or 'stale';
    `applied(event)`, when given, runs after an applied event's transaction (its audit, say);
    `prepare(data)`, when given, runs before it: the WorkOS reads the handler will need, so that no
    transaction is held while WorkOS answers."""
    _HANDLERS[event_type] = _Handler(shape, handler, applied, prepare)


def handled_types():
    return sorted(_HANDLERS)


def process(event):
    """Apply one verified event, from a webhook or the Events API alike: an event id is applied
    once, whichever way it came. Returns 'applied', 'stale', 'duplicate' or 'ignored' (counted)."""
    handler = _HANDLERS.get(event["event"])
    outcome = _apply(event, handler) if handler is not None else "ignored"
    metrics.WEBHOOK_EVENTS.labels(event["event"] if handler is not None else "other", outcome).inc()
    return outcome


def _apply(event, handler):
    data = _validated(handler.shape, event["data"])
    if handler.prepare is not None:
        handler.prepare(data)
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(event_id=event["id"], event=event["event"])
            outcome = handler.apply(data)
    except IntegrityError:
        return "duplicate"
    if outcome == "applied" and handler.applied is not None:
        handler.applied(event)
    return outcome


def forget_old(now=None):
    """Remove records of applied events and tombstones older than RETENTION (catch_up does it at
    the end of each run). Returns how many rows went."""
    cutoff = (now or timezone.now()) - RETENTION
    events, _ = WebhookEvent.objects.filter(received_at__lt=cutoff).delete()
    tombstones, _ = Tombstone.objects.filter(deleted_at__lt=cutoff).delete()
    return events + tombstones


# --- the Events API ----------------------------------------------------------------------------


@dataclass
class CatchUpReport:
    outcomes: dict = field(default_factory=dict)
    last_event_at: object = None
    forgotten: int = 0  # records of old events and tombstones removed (forget_old)

    @property
    def read(self):
        return sum(self.outcomes.values())

    def __str__(self):
        counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items())) or "nothing new"
        forgotten = f"; {self.forgotten} records older than {RETENTION.days} days forgotten" if self.forgotten else ""
        return f"{self.read} events read ({counts}); cursor at {self.last_event_at or 'the start'}{forgotten}"


def _zulu(moment):
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def catch_up(since=None):
    """Apply every handled event since the stored cursor (or `since`, an aware datetime, on a
    first run). A WorkOS failure stops the run with the cursor at the last event applied; an
    event whose data does not validate is logged and passed over, as its webhook would be."""
    cursor, _ = EventCursor.objects.get_or_create(name="workos")
    start = cursor.last_event_at or since
    wos = workos_client.client()
    params = {"events": handled_types(), "limit": PAGE_SIZE, "order": "asc"}
    if start is not None:
        params["range_start"] = _zulu(start)
    report = CatchUpReport(last_event_at=cursor.last_event_at)
    page = workos_client.call("list events", wos.events.list_events, **params)
    for event in workos_client.paged(page, "list events"):
        raw = event.to_dict() if hasattr(event, "to_dict") else dict(event)
        if raw["id"] == cursor.last_event_id:
            continue  # where the last run stopped (the range starts at its time)
        try:
            outcome = process({"id": raw["id"], "event": raw["event"], "data": raw.get("data") or {}})
        except WebhookRejected as exc:
            log.warning("Event %s (%s) could not be applied: %s", raw.get("id"), raw.get("event"), exc.message)
            outcome = "rejected"
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        created = raw.get("created_at")
        created = created if isinstance(created, dt.datetime) else parse_datetime(str(created or ""))
        if created is not None:
            EventCursor.objects.filter(pk=cursor.pk).update(last_event_id=raw["id"], last_event_at=created)
            report.last_event_at = created
    report.forgotten = forget_old()
    return report
