"""WorkOS's Admin Portal for an organization's IT admin: SSO, directory sync, domain verification,
audit logs, log streams. What they set up there reaches Gatehouse through the usual events."""

from typing import Any

from django.http import HttpRequest

from accounts import audit
from accounts.errors import GatehouseError
from accounts.models import AuditEvent
from workos_integration import client as workos_client

INTENTS = ("sso", "dsync", "domain_verification", "audit_logs", "log_streams", "certificate_renewal")


def link(organization_id: str, intent: str, *, actor: Any, request: HttpRequest | None = None) -> str:
    """A short-lived Admin Portal link for the organization (audited)."""
    if intent not in INTENTS:
        raise GatehouseError(f"intent must be one of {', '.join(INTENTS)}.", code="invalid_intent")
    wos = workos_client.client()
    made = workos_client.call(
        "make an Admin Portal link", wos.admin_portal.generate_link, organization=organization_id, intent=intent
    )
    audit.record(
        AuditEvent.Kind.PORTAL_LINK_CREATED, user=actor, request=request, organization_id=organization_id, intent=intent
    )
    return str(made.link)
