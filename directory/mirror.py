"""From WorkOS directories, directory groups, directory users and organization memberships, in
their JSON shape, to the mirror's fields: one mapping for the sync (SDK objects via `to_dict()`)
and the events (validated data)."""

from workos_integration.mirror import when


def _times(data):
    return dict(workos_created_at=when(data.get("created_at")), workos_updated_at=when(data.get("updated_at")))


def _role(data):
    role = data.get("role")
    return (role.get("slug") if isinstance(role, dict) else "") or ""


def directory_fields(data):
    return dict(
        _times(data),
        name=(data.get("name") or "")[:255],
        directory_type=(str(data.get("type") or ""))[:64],
        state=(str(data.get("state") or ""))[:32],
        organization_workos_id=data.get("organization_id") or "",
        domain=(data.get("domain") or "")[:253],
    )


def group_fields(data):
    return dict(
        _times(data),
        directory_workos_id=data.get("directory_id") or "",
        organization_workos_id=data.get("organization_id") or "",
        name=(data.get("name") or "")[:255],
        idp_id=(data.get("idp_id") or "")[:255],
    )


def user_fields(data):
    return dict(
        _times(data),
        directory_workos_id=data.get("directory_id") or "",
        organization_workos_id=data.get("organization_id") or "",
        idp_id=(data.get("idp_id") or "")[:255],
        email=(data.get("email") or "").strip().lower()[:254],
        first_name=(data.get("first_name") or "")[:150],
        last_name=(data.get("last_name") or "")[:150],
        state=(str(data.get("state") or ""))[:32],
        role=_role(data)[:64],
    )


def membership_fields(data):
    return dict(
        _times(data),
        user_workos_id=data.get("user_id") or "",
        organization_workos_id=data.get("organization_id") or "",
        role=_role(data)[:64],
        status=(str(data.get("status") or ""))[:32],
    )
