"""The audit trail streamed to WorkOS Audit Logs: queued with the event, sent with its idempotency
key, retried after a failure, and stored once in WorkOS (the emulator's Audit Logs)."""

from datetime import timedelta

import pytest
import requests
import time_machine
from django.utils import timezone

from accounts import audit, audit_stream
from accounts.models import AuditDelivery, AuditEvent, User

pytestmark = pytest.mark.django_db


def stored(wos):
    return requests.get(f"{wos.url}/_emulator/audit-logs", params={"organization_id": "org_ACME"}, timeout=5).json()


def test_events_of_an_organization_reach_workos_audit_logs_once_even_after_a_failure(wos, settings):
    settings.GATEHOUSE_AUDIT_STREAM = True
    wos.seed(organizations=[{"id": "org_ACME", "name": "Acme"}])
    pat = User.objects.create_user("pat@acme.test", organization_id="org_ACME")
    audit.record(AuditEvent.Kind.SIGN_IN_SUCCEEDED, user=pat, method="password")
    audit.record(AuditEvent.Kind.SIGN_IN_FAILED, email="who@x.test", reason="invalid_credentials")  # no organization
    assert AuditDelivery.objects.count() == 1

    wos.inject("/audit_logs/events", status=500)
    assert audit_stream.deliver() == (0, 1)
    item = AuditDelivery.objects.get()
    assert item.attempts == 1 and item.delivered_at is None and "workos" in item.last_error
    assert audit_stream.deliver() == (0, 0)  # not due yet
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert audit_stream.deliver() == (1, 0)
    events = stored(wos)
    assert [e["action"] for e in events] == ["gatehouse.sign_in_succeeded"]
    assert events[0]["actor"] == {"id": str(pat.pk), "type": "user", "name": "pat@acme.test"}
    assert events[0]["metadata"] == {"method": "password"}
    AuditDelivery.objects.update(delivered_at=None, next_attempt_at=timezone.now())  # as if its answer was lost
    assert audit_stream.deliver() == (1, 0)
    assert len(stored(wos)) == 1  # the idempotency key stored it once


def test_nothing_is_queued_unless_the_stream_is_on(wos):
    pat = User.objects.create_user("pat@acme.test", organization_id="org_ACME")
    audit.record(AuditEvent.Kind.SIGN_IN_SUCCEEDED, user=pat, method="password")
    assert not AuditDelivery.objects.exists()
