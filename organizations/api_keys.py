"""Organization API keys: a customer's keys for their own scripts and servers, held by WorkOS.

Created, listed and revoked through WorkOS (its secret is shown once, in the answer that creates
it, and never stored here); every creation and revocation is audited. A key presented to the API
is validated through WorkOS and the answer trusted for at most GATEHOUSE_API_KEY_CACHE_SECONDS
(30): a key revoked elsewhere stops working within that time, and at once when Gatehouse revokes
it or hears WorkOS's `api_key.revoked` event (a revocation mark on the shared cache outlives any
cached validation).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accounts import audit, sharedcache
from accounts.errors import GatehouseError, ProviderError
from accounts.models import AuditEvent
from organizations.conf import MAX_API_KEY_CACHE_SECONDS, app_settings
from workos_integration import client as workos_client

_VALID = "gatehouse:api-key:"
_REVOKED = "gatehouse:api-key-revoked:"
_REVOKED_FOR = MAX_API_KEY_CACHE_SECONDS * 2  # longer than any cached validation


@dataclass(frozen=True)
class APIKey:
    """An organization API key as Gatehouse shows it (never its secret)."""

    id: str
    name: str
    organization_id: str
    permissions: tuple[str, ...] = ()
    obfuscated_value: str = ""
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    value: str = field(default="", repr=False)  # only in the answer that creates it

    def public(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "name": self.name,
            "organization_id": self.organization_id,
            "permissions": list(self.permissions),
            "obfuscated_value": self.obfuscated_value,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "expires_at": self.expires_at,
        }
        if self.value:
            body["value"] = self.value
        return body


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _from_workos(key: Any, value: str = "") -> APIKey:
    owner = getattr(key, "owner", None)
    return APIKey(
        id=key.id,
        name=key.name,
        organization_id=getattr(owner, "organization_id", None) or getattr(owner, "id", "") or "",
        permissions=tuple(key.permissions or ()),
        obfuscated_value=key.obfuscated_value or "",
        created_at=_when(key.created_at),
        last_used_at=_when(key.last_used_at),
        expires_at=_when(key.expires_at),
        value=value,
    )


def keys_of(organization_id: str) -> list[APIKey]:
    """Every API key of the organization, newest first."""
    api = workos_client.client().api_keys
    page = workos_client.call("list the organization's API keys", api.list_organization_api_keys, organization_id)
    keys: list[APIKey] = []
    while True:
        keys.extend(_from_workos(k) for k in page.data)
        after = page.list_metadata.after if page.list_metadata else None
        if not after:
            return keys
        page = workos_client.call(
            "list the organization's API keys", api.list_organization_api_keys, organization_id, after=after
        )


def create(
    organization_id: str,
    *,
    name: str,
    permissions: list[str],
    actor: Any,
    request: HttpRequest | None = None,
    grantable: tuple[str, ...] | None = None,
) -> APIKey:
    """A new key for the organization; its `value` is in this answer only. `grantable`: the
    permissions the creator may hand out (their role's); None for staff, who may grant any."""
    permissions = list(dict.fromkeys(permissions))
    beyond = sorted(set(permissions) - set(grantable)) if grantable is not None else []
    if beyond:
        raise GatehouseError(
            f"A key can only have permissions your own role has (not {', '.join(beyond)}).",
            code="permission_not_grantable",
            status=403,
            detail={"permissions": beyond},
        )
    api = workos_client.one_shot_client().api_keys  # not retried: a retry could make two keys
    made = workos_client.call(
        "create the API key",
        api.create_organization_api_key,
        organization_id,
        name=name,
        permissions=permissions,
    )
    key = _from_workos(made, value=made.value)
    audit.record(
        AuditEvent.Kind.API_KEY_CREATED,
        user=actor,
        request=request,
        organization_id=organization_id,
        api_key_id=key.id,
        name=key.name,
        permissions=list(key.permissions),
    )
    return key


def revoke(organization_id: str, key_id: str, *, actor: Any, request: HttpRequest | None = None) -> APIKey:
    """Delete one of the organization's keys in WorkOS: it stops working here at once."""
    key = next((k for k in keys_of(organization_id) if k.id == key_id), None)
    if key is None:
        raise GatehouseError("This organization has no API key with this id.", code="api_key_not_found", status=404)
    try:
        workos_client.call(
            "revoke the API key", workos_client.client().api_keys.delete_api_key, key_id, expect_result=False
        )
    except ProviderError as exc:
        if exc.status != 404:  # already gone in WorkOS is what we wanted
            raise
    forget(key_id)
    audit.record(
        AuditEvent.Kind.API_KEY_REVOKED,
        user=actor,
        request=request,
        organization_id=organization_id,
        api_key_id=key.id,
        name=key.name,
    )
    return key


def forget(key_id: str) -> None:
    """The key is revoked: no cached validation of it is trusted from now on."""
    sharedcache.set(_REVOKED + key_id, 1, timeout=_REVOKED_FOR)


def _cache_key(value: str) -> str:
    return _VALID + hashlib.sha256(value.encode()).hexdigest()


def validate(value: str) -> APIKey | None:
    """The key `value` is (asking WorkOS at most once per cache period), or None when WorkOS does
    not know it, it was revoked, or it has expired."""
    ttl = min(int(app_settings.GATEHOUSE_API_KEY_CACHE_SECONDS), MAX_API_KEY_CACHE_SECONDS)
    slot = _cache_key(value)
    key = sharedcache.get(slot) if ttl > 0 else None
    if key is None:
        answer = workos_client.call(
            "validate the API key", workos_client.client().api_keys.create_validation, value=value
        )
        if answer.api_key is None:
            return None
        key = _from_workos(answer.api_key)
        if ttl > 0:
            sharedcache.set(slot, key, timeout=ttl)
    if sharedcache.get(_REVOKED + key.id) is not None or (
        key.expires_at is not None and key.expires_at <= timezone.now()
    ):
        sharedcache.delete(slot)
        return None
    return key
