"""Signed WorkOS webhooks -> idempotent updates of the local mirror.

Verified against the raw body (HMAC-SHA256 with the shared secret, timestamp tolerance); each
event id is processed once; every field is type- and length-checked before anything is stored;
out-of-order deliveries never overwrite newer data (the event's timezone-aware `updated_at` is
compared), and a deletion leaves a tombstone so that a late update cannot bring the object back.
"""

import datetime
import hashlib
import hmac
import json
import logging
import re
import time

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from accounts import audit
from accounts.conf import app_settings
from accounts.errors import GatehouseError
from accounts.models import AuditEvent
from sso.mirror import connection_fields, organization_fields, store_domains
from sso.models import Connection, Organization, Tombstone, WebhookEvent, bury

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 180
# WorkOS keeps events 30 days (the Events API's window) and retries a webhook for days, not
# weeks: a record of an applied event, or a tombstone, older than that guards against nothing.
RETENTION = datetime.timedelta(days=30)
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
    expected = hmac.new(app_settings.WORKOS_WEBHOOK_SECRET.encode(), f"{timestamp_ms}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature, expected):
        raise WebhookRejected("The signature does not match.", code="invalid_signature")


def verify(body, signature):
    if not app_settings.WORKOS_WEBHOOK_SECRET:
        raise WebhookRejected("Webhooks are not configured on this server (WORKOS_WEBHOOK_SECRET).", code="webhooks_not_configured", status=503)
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


class _Domain(serializers.Serializer):
    domain = serializers.CharField(max_length=253)
    state = serializers.CharField(max_length=32, required=False, default="verified")


class _Object(serializers.Serializer):
    id = serializers.RegexField(r"^[A-Za-z0-9_]{1,64}$")
    updated_at = AwareDateTime()
    created_at = AwareDateTime(required=False)
    name = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")
    domains = _Domain(many=True, required=False, default=list)


class _ConnectionData(_Object):
    connection_type = serializers.CharField(max_length=64, allow_blank=True, required=False, default="")
    state = serializers.CharField(max_length=32, allow_blank=True, required=False, default="")
    organization_id = serializers.CharField(max_length=64, allow_blank=True, allow_null=True, required=False, default="")


def _validated(shape, data):
    checked = shape(data=data)
    if not checked.is_valid():
        raise WebhookRejected("The event's data is not a valid WorkOS object.", code="invalid_event", status=400, detail=checked.errors)
    return checked.validated_data


def _newer(row, data):
    return row is None or row.workos_updated_at is None or data["updated_at"] >= row.workos_updated_at


def _buried(workos_id):
    return Tombstone.objects.filter(workos_id=workos_id).exists()


def upsert(model, data, fields):
    """(row, 'applied') with the event's data stored, or (current row, 'stale') when the mirror
    already holds newer data or the object was deleted. Other apps' mirrors use it too."""
    row = model.objects.select_for_update().filter(workos_id=data["id"]).first()
    if _buried(data["id"]) or not _newer(row, data):
        return row, "stale"
    row, _ = model.objects.update_or_create(workos_id=data["id"], defaults={**fields, "last_synced_at": timezone.now()})
    return row, "applied"


def _upsert_connection(data):
    fields = connection_fields(data)
    org_id = fields["organization_workos_id"]
    fields["organization"] = Organization.objects.filter(workos_id=org_id).first() if org_id else None
    return upsert(Connection, data, fields)[1]


def _upsert_organization(data):
    fields = organization_fields(data)
    row, outcome = upsert(Organization, data, fields)
    if outcome == "applied":
        store_domains({row.workos_id: fields["domains"]})
    return outcome


def _deleter(model, kind):
    def delete(data):
        bury(kind, data["id"], data["updated_at"])
        model.objects.filter(workos_id=data["id"]).delete()
        return "applied"

    return delete


HANDLERS = {
    "connection.activated": (_ConnectionData, _upsert_connection),
    "connection.deactivated": (_ConnectionData, _upsert_connection),
    "connection.deleted": (_Object, _deleter(Connection, "connection")),
    "organization.created": (_Object, _upsert_organization),
    "organization.updated": (_Object, _upsert_organization),
    "organization.deleted": (_Object, _deleter(Organization, "organization")),
}


def register(event_type, shape, handler):
    """Another app's handler for an event type: `shape` (a serializer class) validates the data,
    `handler(data)` applies it inside the event's transaction and returns 'applied' or 'stale'."""
    HANDLERS[event_type] = (shape, handler)


def handled_types():
    return sorted(HANDLERS)


def process(event):
    """Apply one verified event, from a webhook or the Events API alike: an event id is applied
    once, whichever way it came. Returns 'applied', 'stale', 'duplicate' or 'ignored'."""
    if event["event"] not in HANDLERS:
        return "ignored"
    shape, handler = HANDLERS[event["event"]]
    data = _validated(shape, event["data"])
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(event_id=event["id"], event=event["event"])
            outcome = handler(data)
    except IntegrityError:
        return "duplicate"
    if outcome == "applied" and event["event"].startswith("connection."):
        kind = AuditEvent.Kind.SSO_CONNECTION_DELETED if event["event"] == "connection.deleted" else AuditEvent.Kind.SSO_CONNECTION_CHANGED
        audit.record(kind, reason=event["event"], connection=event["data"]["id"], event_id=event["id"])
    return outcome


def forget_old(now=None):
    """Remove records of applied events and tombstones older than RETENTION (catch_up_events
    does it at the end of each run). Returns how many rows went."""
    cutoff = (now or timezone.now()) - RETENTION
    events, _ = WebhookEvent.objects.filter(received_at__lt=cutoff).delete()
    tombstones, _ = Tombstone.objects.filter(deleted_at__lt=cutoff).delete()
    return events + tombstones
