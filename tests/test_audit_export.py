"""The audit trail out: CSV that opens in a spreadsheet (no formulas smuggled in) and JSON Lines,
from the admin's list and from `manage.py export_audit`."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from accounts import audit
from accounts.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def _events():
    pat = User.objects.create_user("pat@example.com", "pw-pat-12345")
    audit.record(AuditEvent.Kind.SIGN_IN_SUCCEEDED, user=pat, method="password")
    audit.record(AuditEvent.Kind.SIGN_IN_FAILED, email='=HYPERLINK("http://evil")@x.test', reason="invalid_credentials")


def test_the_command_writes_csv_and_json_lines_filtered():
    _events()
    out = io.StringIO()
    call_command("export_audit", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["kind"] for r in rows] == ["sign_in_succeeded", "sign_in_failed"]
    assert rows[1]["email"].startswith("'=")  # a spreadsheet shows it as text, never runs it
    assert json.loads(rows[0]["details"]) == {"method": "password"}
    lines = io.StringIO()
    call_command("export_audit", "--format", "jsonl", "--kind", "sign_in_failed", stdout=lines)
    parsed = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert [p["kind"] for p in parsed] == ["sign_in_failed"] and parsed[0]["reason"] == "invalid_credentials"
    since = io.StringIO()
    call_command("export_audit", "--since", "2999-01-01", stdout=since)
    assert since.getvalue().splitlines() == [
        ",".join(("created_at", "kind", "email", "user_id", "ip_address", "user_agent", "reason", "details"))
    ]


def test_the_admin_exports_the_selected_events(admin_client):
    _events()
    ids = list(AuditEvent.objects.filter(kind__startswith="sign_in").values_list("pk", flat=True))
    response = admin_client.post("/admin/accounts/auditevent/", {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    assert len(list(csv.DictReader(io.StringIO(body)))) == 2
    jsonl = admin_client.post("/admin/accounts/auditevent/", {"action": "export_jsonl", "_selected_action": ids})
    assert len(b"".join(jsonl.streaming_content).splitlines()) == 2
