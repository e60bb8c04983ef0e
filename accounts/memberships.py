"""A person's WorkOS organization memberships, as WorkOS says them now (never a hint or a cache):
which organizations they may sign in to or switch to, with their role there."""

from dataclasses import dataclass

from workos_integration import client as workos_client


@dataclass(frozen=True)
class Membership:
    id: str
    organization_id: str
    organization_name: str
    role: str


def active(workos_user_id: str, organization_id: str = "") -> list[Membership]:
    """The person's active memberships (in one organization, when it is given)."""
    if not workos_user_id:
        return []
    wos = workos_client.client()
    filters = {"organization_id": organization_id} if organization_id else {}
    page = workos_client.call(
        "look up the organization memberships",
        wos.organization_membership.list_organization_memberships,
        user_id=workos_user_id,
        statuses=["active"],
        limit=100,
        **filters,
    )
    return [
        Membership(
            id=m.id,
            organization_id=m.organization_id,
            organization_name=getattr(m, "organization_name", "") or "",
            role=getattr(getattr(m, "role", None), "slug", "") or "",
        )
        for m in workos_client.paged(page, "look up the organization memberships")
        if str(getattr(m.status, "value", m.status)) == "active"
        and (not organization_id or m.organization_id == organization_id)
    ]


def is_active_member(workos_user_id: str, organization_id: str) -> bool:
    return bool(active(workos_user_id, organization_id))
