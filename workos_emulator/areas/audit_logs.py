"""Audit Logs: an application's events for an organization (`POST /audit_logs/events`), kept in
order and idempotent by `Idempotency-Key` (the same key answers the same, once stored); what was
stored is read back at `/_emulator/audit-logs` (`?organization_id=`)."""

from werkzeug.routing import Rule

from workos_emulator.http import as_json, check_types, fail

MAX_EVENTS = 5000


class AuditLogs:
    ROUTES = [
        Rule("/audit_logs/events", endpoint="audit_log_events", methods=["POST"]),
        Rule("/_emulator/audit-logs", endpoint="ctl_audit_logs", methods=["GET"]),
    ]

    def on_audit_log_events(self, request):
        self.require_api_key(request)
        data = check_types(self.body(request), {"organization_id": str, "event": dict})
        event = data.get("event") or {}
        errors = [
            {"code": "required", "field": f"event.{name}"}
            for name, kind in (
                ("action", str),
                ("occurred_at", str),
                ("actor", dict),
                ("targets", list),
                ("context", dict),
            )
            if not isinstance(event.get(name), kind)
        ]
        if not data.get("organization_id"):
            errors.insert(0, {"code": "required", "field": "organization_id"})
        actor, context = event.get("actor") or {}, event.get("context") or {}
        if isinstance(actor, dict) and not (isinstance(actor.get("id"), str) and isinstance(actor.get("type"), str)):
            errors.append({"code": "invalid", "field": "event.actor"})
        if isinstance(context, dict) and not isinstance(context.get("location"), str):
            errors.append({"code": "required", "field": "event.context.location"})
        if errors:
            fail(422, message="Validation failed.", errors=errors)
        store = self.store
        key = request.headers.get("Idempotency-Key", "")
        with store.lock:
            if data["organization_id"] not in store.organizations:
                fail(404, message=f"Organization not found: '{data['organization_id']}'.")
            if not (key and key in store.audit_log_keys):
                store.audit_log_events.append({"organization_id": data["organization_id"], **event})
                del store.audit_log_events[:-MAX_EVENTS]
                if key:
                    store.audit_log_keys[key] = True
        return as_json({"success": True})

    def on_ctl_audit_logs(self, request):
        organization_id = request.args.get("organization_id")
        with self.store.lock:
            return as_json(
                [
                    e
                    for e in self.store.audit_log_events
                    if not organization_id or e["organization_id"] == organization_id
                ]
            )
