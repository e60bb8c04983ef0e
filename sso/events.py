"""WorkOS events about organizations and SSO connections, applied to the mirror through the one
event pipeline (workos_integration.events): registered here, so that a webhook and the Events API
apply them alike, once each."""

from rest_framework import serializers

from accounts import audit
from accounts.models import AuditEvent
from sso.mirror import connection_fields, organization_fields, store_domains
from sso.models import Connection, Organization
from workos_integration.events import AwareDateTime, register, upsert
from workos_integration.models import bury


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
    organization_id = serializers.CharField(
        max_length=64, allow_blank=True, allow_null=True, required=False, default=""
    )


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


def _audit_connection(event):
    kind = (
        AuditEvent.Kind.SSO_CONNECTION_DELETED
        if event["event"] == "connection.deleted"
        else AuditEvent.Kind.SSO_CONNECTION_CHANGED
    )
    audit.record(kind, reason=event["event"], connection=event["data"]["id"], event_id=event["id"])


register("connection.activated", _ConnectionData, _upsert_connection, applied=_audit_connection)
register("connection.deactivated", _ConnectionData, _upsert_connection, applied=_audit_connection)
register("connection.deleted", _Object, _deleter(Connection, "connection"), applied=_audit_connection)
register("organization.created", _Object, _upsert_organization)
register("organization.updated", _Object, _upsert_organization)
register("organization.deleted", _Object, _deleter(Organization, "organization"))
