"""The audit trail streamed to WorkOS Audit Logs (GATEHOUSE_AUDIT_STREAM), so that a customer's
admins see their organization's events in WorkOS.

An event of an organization is queued in the same transaction that records it (AuditDelivery);
`deliver()` (`manage.py stream_audit --every 30`) sends what is due, each with the idempotency key
of its event (a retry after a lost answer stores it once), and retries failures after growing
pauses (at most an hour). The queue is a table: it survives restarts and outages."""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from workos.audit_logs.models import AuditLogEvent

from accounts.conf import app_settings
from accounts.errors import GatehouseError
from accounts.models import AuditDelivery, AuditEvent
from workos_integration import client as workos_client

BATCH = 100


def enqueue(event: AuditEvent, organization_id: str) -> None:
    if app_settings.GATEHOUSE_AUDIT_STREAM and organization_id:
        AuditDelivery.objects.create(event=event, organization_id=organization_id)


def _payload(event: AuditEvent) -> dict[str, Any]:
    actor_id = str(event.user_id) if event.user_id else (event.email or "anonymous")
    return {
        "action": f"gatehouse.{event.kind}",
        "occurred_at": event.created_at.isoformat(),
        "actor": {"id": actor_id, "type": "user", **({"name": event.email} if event.email else {})},
        "targets": [{"id": actor_id, "type": "user"}],
        "context": {
            "location": event.ip_address or "unknown",
            **({"user_agent": event.user_agent} if event.user_agent else {}),
        },
        "metadata": {
            k: v if isinstance(v, (str, int, float, bool)) else str(v)
            for k, v in {**event.details, **({"reason": event.reason} if event.reason else {})}.items()
        },
    }


def deliver(limit: int = BATCH) -> tuple[int, int]:
    """Send what is due: (delivered, failed)."""
    now = timezone.now()
    due = list(
        AuditDelivery.objects.filter(delivered_at__isnull=True, next_attempt_at__lte=now)
        .select_related("event")
        .order_by("next_attempt_at", "id")[:limit]
    )
    audit_logs = workos_client.client().audit_logs
    delivered = failed = 0
    for item in due:
        try:
            workos_client.call(
                "send an audit log event",
                audit_logs.create_event,
                organization_id=item.organization_id,
                event=AuditLogEvent.from_dict(_payload(item.event)),
                idempotency_key=f"gatehouse-audit-{item.event_id}",
            )
        except GatehouseError as exc:
            item.attempts += 1
            item.next_attempt_at = timezone.now() + timedelta(seconds=min(2**item.attempts * 15, 3600))
            item.last_error = f"{exc.code}: {exc.message}"[:300]
            item.save(update_fields=["attempts", "next_attempt_at", "last_error"])
            failed += 1
            continue
        AuditDelivery.objects.filter(pk=item.pk).update(
            delivered_at=timezone.now(), attempts=item.attempts + 1, last_error=""
        )
        delivered += 1
    return delivered, failed
