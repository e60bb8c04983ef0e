"""Support staff signed in as a person (WorkOS impersonation): what they may not do as them.

The sign-in names its impersonator (`AuthSession.impersonator`, the access token's `imp`);
`refuse` stops an action GATEHOUSE_IMPERSONATION_FORBIDDEN lists, and audits the attempt."""

from typing import Any

from django.http import HttpRequest

from accounts import audit
from accounts.conf import app_settings
from accounts.errors import GatehouseError
from accounts.models import AuditEvent

ACTIONS = ("api_keys", "members", "password", "recovery_codes")


def refuse(impersonator: dict | None, action: str, *, user: Any = None, request: HttpRequest | None = None) -> None:
    """Raise 403 `forbidden_while_impersonating` when an impersonated sign-in attempts `action`
    (one of ACTIONS) and the setting forbids it."""
    if not impersonator or action not in app_settings.GATEHOUSE_IMPERSONATION_FORBIDDEN:
        return
    audit.record(
        AuditEvent.Kind.FORBIDDEN_WHILE_IMPERSONATING,
        user=user,
        request=request,
        reason=action,
        impersonator=impersonator.get("email", ""),
    )
    raise GatehouseError(
        "Support staff signed in as this person cannot do this.", code="forbidden_while_impersonating", status=403
    )
