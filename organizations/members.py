"""An organization's members and invitations, as its admins manage them: WorkOS holds both
(memberships, invitations); Gatehouse adds who signed in here last, refuses to leave an
organization without an admin, and audits every change with the organization.

Removing a member deactivates their WorkOS membership and applies at once what the membership's
event would (directory.access: the configured deprovisioning, signing them out of it).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from workos.organization_membership import RoleSingle

from accounts import audit
from accounts.errors import GatehouseError, ProviderError
from accounts.models import AuditEvent, User
from directory import access
from organizations.conf import app_settings
from sso.models import Organization
from workos_integration import client as workos_client

ROLE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_STATUSES = ["active", "inactive", "pending"]


@dataclass(frozen=True)
class Member:
    id: str  # the WorkOS membership
    user_id: str  # the WorkOS user
    email: str
    name: str
    role: str
    status: str
    last_sign_in_at: datetime | None  # here, at Gatehouse


@dataclass(frozen=True)
class Invitation:
    id: str
    email: str
    state: str
    role: str
    organization_id: str
    expires_at: Any
    created_at: Any


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str) or "")


def _role(membership: Any) -> str:
    return getattr(getattr(membership, "role", None), "slug", "") or ""


def _memberships(organization_id: str) -> list[Any]:
    wos = workos_client.client()
    page = workos_client.call(
        "list the organization's members",
        wos.organization_membership.list_organization_memberships,
        organization_id=organization_id,
        statuses=_STATUSES,
        limit=100,
    )
    return list(workos_client.paged(page, "list the organization's members"))


def members(organization_id: str) -> list[Member]:
    memberships = _memberships(organization_id)
    wos = workos_client.client()
    page = workos_client.call(
        "list the organization's people", wos.user_management.list_users, organization_id=organization_id, limit=100
    )
    people = {u.id: u for u in workos_client.paged(page, "list the organization's people")}
    last = dict(
        User.objects.filter(workos_user_id__in=[m.user_id for m in memberships]).values_list(
            "workos_user_id", "last_login"
        )
    )
    found = []
    for m in memberships:
        person = people.get(m.user_id)
        name = " ".join(filter(None, (getattr(person, "first_name", ""), getattr(person, "last_name", ""))))
        found.append(
            Member(
                id=m.id,
                user_id=m.user_id,
                email=getattr(person, "email", "") or "",
                name=name,
                role=_role(m),
                status=_value(m.status),
                last_sign_in_at=last.get(m.user_id),
            )
        )
    return sorted(found, key=lambda m: (m.status != "active", m.email))


def _or_none(action: str, fn: Any, *args: Any) -> Any:
    """The SDK call's answer, or None when WorkOS has no such thing (404)."""
    try:
        return workos_client.call(action, fn, *args)
    except ProviderError as exc:
        if exc.status == 404:
            return None
        raise


def _membership_of(organization_id: str, membership_id: str) -> Any:
    """The membership, if it is one of this organization's (else 404, whatever WorkOS has)."""
    wos = workos_client.client()
    membership = _or_none(
        "look up the membership", wos.organization_membership.get_organization_membership, membership_id
    )
    if membership is None or membership.organization_id != organization_id:
        raise GatehouseError("This organization has no member with this id.", code="member_not_found", status=404)
    return membership


def _keep_an_admin(organization_id: str, membership: Any, new_role: str | None) -> None:
    """Refuse to demote or remove the organization's last active admin."""
    admin_roles = set(app_settings.GATEHOUSE_ORGANIZATION_ADMIN_ROLES)
    if _role(membership) not in admin_roles or _value(membership.status) != "active":
        return
    if new_role in admin_roles:
        return
    others = [
        m
        for m in _memberships(organization_id)
        if m.id != membership.id and _role(m) in admin_roles and _value(m.status) == "active"
    ]
    if not others:
        raise GatehouseError(
            "This is the organization's last administrator: make someone else an administrator first.",
            code="last_admin",
            status=409,
        )


def change_role(
    organization_id: str, membership_id: str, role: str, *, actor: Any, request: HttpRequest | None = None
) -> Member:
    if not ROLE.match(role or ""):
        raise GatehouseError("role must be a role slug such as admin or member.", code="invalid_role")
    membership = _membership_of(organization_id, membership_id)
    before = _role(membership)
    _keep_an_admin(organization_id, membership, role)
    wos = workos_client.client()
    workos_client.call(
        "change the member's role",
        wos.organization_membership.update_organization_membership,
        membership_id,
        role=RoleSingle(role_slug=role),
    )
    audit.record(
        AuditEvent.Kind.MEMBER_ROLE_CHANGED,
        user=actor,
        request=request,
        organization_id=organization_id,
        membership=membership_id,
        member=membership.user_id,
        role=role,
        previous_role=before,
    )
    return next(m for m in members(organization_id) if m.id == membership_id)


def remove(organization_id: str, membership_id: str, *, actor: Any, request: HttpRequest | None = None) -> None:
    """Deactivate the membership in WorkOS; the person loses this organization here at once."""
    membership = _membership_of(organization_id, membership_id)
    _keep_an_admin(organization_id, membership, None)
    wos = workos_client.client()
    workos_client.call(
        "deactivate the membership", wos.organization_membership.deactivate_organization_membership, membership_id
    )
    audit.record(
        AuditEvent.Kind.MEMBER_REMOVED,
        user=actor,
        request=request,
        organization_id=organization_id,
        membership=membership_id,
        member=membership.user_id,
    )
    account = User.objects.filter(workos_user_id=membership.user_id).first()
    if account is not None:  # what the membership's event will say, applied now
        access.follow(
            account,
            "membership",
            removed=False,
            active=False,
            organization_id=organization_id,
            detail={"membership": membership_id},
        )


# --- invitations -------------------------------------------------------------------------------


def _invitation(raw: Any) -> Invitation:
    return Invitation(
        id=raw.id,
        email=raw.email,
        state=_value(raw.state),
        role=getattr(raw, "role_slug", "") or "",
        organization_id=getattr(raw, "organization_id", "") or "",
        expires_at=raw.expires_at,
        created_at=raw.created_at,
    )


def invitations(organization_id: str) -> list[Invitation]:
    wos = workos_client.client()
    page = workos_client.call(
        "list the invitations", wos.user_management.list_invitations, organization_id=organization_id, limit=100
    )
    return [_invitation(i) for i in workos_client.paged(page, "list the invitations")]


def invite(
    organization_id: str,
    email: str,
    role: str,
    *,
    actor: Any,
    inviter_workos_user_id: str = "",
    request: HttpRequest | None = None,
) -> Invitation:
    """WorkOS emails the person a link; accepting it signs them in as a member with `role`."""
    if not ROLE.match(role or ""):
        raise GatehouseError("role must be a role slug such as admin or member.", code="invalid_role")
    wos = workos_client.one_shot_client()  # not retried: a retry could send two emails
    sent = _invitation(
        workos_client.call(
            "send the invitation",
            wos.user_management.send_invitation,
            email=email,
            organization_id=organization_id,
            role_slug=role,
            inviter_user_id=inviter_workos_user_id or None,
        )
    )
    audit.record(
        AuditEvent.Kind.INVITATION_SENT,
        user=actor,
        request=request,
        organization_id=organization_id,
        invitation=sent.id,
        invited=sent.email,
        role=role,
    )
    return sent


def _invitation_of(organization_id: str, invitation_id: str) -> Invitation:
    wos = workos_client.client()
    found = _or_none("look up the invitation", wos.user_management.get_invitation, invitation_id)
    if found is None or (getattr(found, "organization_id", "") or "") != organization_id:
        raise GatehouseError(
            "This organization has no invitation with this id.", code="invitation_not_found", status=404
        )
    return _invitation(found)


# what revoking and resending are: WorkOS's operation, whether it may be retried (a resend
# sends an email), and the audit event
_INVITATION_CHANGES = {
    "revoke": ("revoke_invitation", True, AuditEvent.Kind.INVITATION_REVOKED),
    "resend": ("resend_invitation", False, AuditEvent.Kind.INVITATION_RESENT),
}


def change_invitation(
    organization_id: str, invitation_id: str, change: str, *, actor: Any, request: HttpRequest | None = None
) -> Invitation:
    """Revoke or resend ("revoke", "resend") one of the organization's pending invitations."""
    operation, retried, kind = _INVITATION_CHANGES[change]
    _invitation_of(organization_id, invitation_id)
    wos = workos_client.client() if retried else workos_client.one_shot_client()
    done = _invitation(
        workos_client.call(f"{change} the invitation", getattr(wos.user_management, operation), invitation_id)
    )
    audit.record(
        kind, user=actor, request=request, organization_id=organization_id, invitation=invitation_id, invited=done.email
    )
    return done


def organization_name(organization_id: str) -> str:
    """The organization's name: the mirror's, else WorkOS's (else its id)."""
    name = Organization.objects.filter(workos_id=organization_id).values_list("name", flat=True).first()
    if name or not organization_id:
        return name or organization_id
    wos = workos_client.client()
    try:
        return workos_client.call("look up the organization", wos.organizations.get_organization, organization_id).name
    except ProviderError:
        return organization_id


def invitation_by_token(token: str) -> Any:
    """The WorkOS invitation a link's token names (with its organization's name), or None."""
    if not token or len(token) > 200 or not token.isprintable():
        return None
    wos = workos_client.client()
    return _or_none("look up the invitation", wos.user_management.find_invitation_by_token, token)
