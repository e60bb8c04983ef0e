"""Signed WorkOS webhooks -> idempotent updates of the local mirror.

Verified against the raw body with the SDK (HMAC-SHA256, timestamp tolerance); each event id is
processed once; out-of-order deliveries never overwrite newer data (`updated_at` is compared).
"""

import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import workos_client
from accounts.errors import GatehouseError
from sso.models import Connection, Organization, WebhookEvent, domain_index

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 180


class WebhookRejected(GatehouseError):
    status = 401
    code = "invalid_signature"


def verify(body, signature):
    if not settings.WORKOS_WEBHOOK_SECRET:
        raise WebhookRejected("Webhooks are not configured on this server (WORKOS_WEBHOOK_SECRET).", code="webhooks_not_configured", status=503)
    if not signature:
        raise WebhookRejected("The WorkOS-Signature header is missing.", code="signature_missing", status=400)
    try:
        workos_client.client().webhooks.verify_header(
            event_body=body, event_signature=signature, secret=settings.WORKOS_WEBHOOK_SECRET, tolerance=TOLERANCE_SECONDS
        )
    except ValueError as exc:
        text = str(exc)
        if "tolerance" in text:
            raise WebhookRejected("The signature timestamp is too old or in the future.", code="signature_stale") from None
        if "timestamp" in text.lower():
            raise WebhookRejected("The WorkOS-Signature header is malformed.", code="signature_malformed", status=400) from None
        raise WebhookRejected("The signature does not match.", code="invalid_signature") from None
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookRejected("The body is not JSON.", code="invalid_body", status=400) from None
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("event"), str)
        or not isinstance(event.get("data"), dict)
        or not (event["id"] + event["event"]).isprintable()
    ):
        raise WebhookRejected("The body is not a WorkOS event.", code="invalid_body", status=400)
    return event


def _newer(row, data):
    incoming = parse_datetime(data.get("updated_at") or "")
    return row is None or row.workos_updated_at is None or incoming is None or incoming >= row.workos_updated_at


def _upsert_connection(data):
    row = Connection.objects.select_for_update().filter(workos_id=data["id"]).first()
    if not _newer(row, data):
        return "stale"
    domains = [d.get("domain") for d in data.get("domains") or [] if isinstance(d, dict) and d.get("domain")]
    org = Organization.objects.filter(workos_id=data.get("organization_id") or "").first()
    values = dict(
        name=data.get("name") or "",
        connection_type=data.get("connection_type") or "",
        state=data.get("state") or "",
        organization=org,
        organization_workos_id=data.get("organization_id") or "",
        domains=domains,
        domain_index=domain_index(domains),
        workos_created_at=parse_datetime(data.get("created_at") or ""),
        workos_updated_at=parse_datetime(data.get("updated_at") or ""),
        last_synced_at=timezone.now(),
    )
    Connection.objects.update_or_create(workos_id=data["id"], defaults=values)
    return "applied"


def _upsert_organization(data):
    row = Organization.objects.select_for_update().filter(workos_id=data["id"]).first()
    if not _newer(row, data):
        return "stale"
    domains = [d.get("domain") for d in data.get("domains") or [] if isinstance(d, dict) and d.get("state", "verified") == "verified"]
    Organization.objects.update_or_create(
        workos_id=data["id"],
        defaults=dict(
            name=data.get("name") or "",
            domains=domains,
            domain_index=domain_index(domains),
            workos_created_at=parse_datetime(data.get("created_at") or ""),
            workos_updated_at=parse_datetime(data.get("updated_at") or ""),
            last_synced_at=timezone.now(),
        ),
    )
    return "applied"


def _deleter(model):
    def delete(data):
        model.objects.filter(workos_id=data["id"]).delete()
        return "applied"

    return delete


HANDLERS = {
    "connection.activated": _upsert_connection,
    "connection.deactivated": _upsert_connection,
    "connection.deleted": _deleter(Connection),
    "organization.created": _upsert_organization,
    "organization.updated": _upsert_organization,
    "organization.deleted": _deleter(Organization),
}


def process(event):
    """Apply one verified event. Returns 'applied', 'stale', 'duplicate' or 'ignored'."""
    handler = HANDLERS.get(event["event"])
    if handler is None:
        return "ignored"
    if not isinstance(event["data"].get("id"), str):
        raise WebhookRejected("The event data has no id.", code="invalid_body", status=400)
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(event_id=event["id"][:64], event=event["event"][:100])
            outcome = handler(event["data"])
    except IntegrityError:
        return "duplicate"
    if outcome == "applied" and event["event"].startswith("connection."):
        from accounts import audit
        from accounts.models import AuditEvent

        kind = AuditEvent.Kind.SSO_CONNECTION_DELETED if event["event"] == "connection.deleted" else AuditEvent.Kind.SSO_CONNECTION_CHANGED
        audit.record(kind, reason=event["event"], connection=event["data"]["id"], event_id=event["id"])
    return outcome
