"""WorkOS's Admin Portal for an organization's IT admin: SSO, directory sync, domain verification,
audit logs, log streams. What they set up there reaches Gatehouse through the usual events."""

from typing import Any

from django.http import HttpRequest

from accounts import audit
from accounts.errors import GatehouseError
from accounts.models import AuditEvent
from workos_integration import client as workos_client

LABELS = {
    "sso": "Set up SSO",
    "dsync": "Set up directory sync",
    "domain_verification": "Verify a domain",
    "audit_logs": "Audit logs",
    "log_streams": "Log streams",
    "certificate_renewal": "Renew a SAML certificate",
}
INTENTS = tuple(LABELS)


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
