"""Directory Sync (`dsync.*`), organization membership and `user.deleted` events: the mirror
updated, then access and groups brought in line (directory.access).

Registered with the one event pipeline (workos_integration.events.process), so an event applies once whether
it came as a webhook or from the Events API (catch_up_events). Out-of-order deliveries never
overwrite newer data, and a deleted object's tombstone keeps a late event from reviving it.
"""

from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from directory import access
from directory.mirror import directory_fields, group_fields, membership_fields, user_fields
from directory.models import Directory, DirectoryGroup, DirectoryUser, Membership
from workos_integration.events import AwareDateTime, register, upsert
from workos_integration.models import bury

ID = r"^[A-Za-z0-9_]{1,64}$"


class _Role(serializers.Serializer):
    slug = serializers.CharField(max_length=64, allow_blank=True)


class _Mirrored(serializers.Serializer):
    id = serializers.RegexField(ID)
    updated_at = AwareDateTime()
    created_at = AwareDateTime(required=False)


class DirectoryData(_Mirrored):
    organization_id = serializers.RegexField(ID, required=False)
    type = serializers.CharField(max_length=64, required=False, default="")
    state = serializers.CharField(max_length=32, required=False, default="")
    name = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")


class GroupData(_Mirrored):
    directory_id = serializers.RegexField(ID)
    organization_id = serializers.RegexField(ID)
    name = serializers.CharField(max_length=255, allow_blank=True)
    idp_id = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")


class DirectoryUserData(_Mirrored):
    directory_id = serializers.RegexField(ID)
    organization_id = serializers.RegexField(ID)
    idp_id = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")
    email = serializers.CharField(max_length=254, allow_blank=True, allow_null=True, required=False, default="")
    first_name = serializers.CharField(max_length=150, allow_blank=True, allow_null=True, required=False, default="")
    last_name = serializers.CharField(max_length=150, allow_blank=True, allow_null=True, required=False, default="")
    state = serializers.CharField(max_length=32)
    role = _Role(required=False, allow_null=True)


class GroupMembershipData(serializers.Serializer):
    directory_id = serializers.RegexField(ID)
    user = DirectoryUserData()
    group = GroupData()


class MembershipData(_Mirrored):
    user_id = serializers.RegexField(ID)
    organization_id = serializers.RegexField(ID)
    status = serializers.CharField(max_length=32)
    role = _Role(required=False, allow_null=True)


class WorkOSUserData(serializers.Serializer):
    id = serializers.RegexField(ID)


# --- the mirror -------------------------------------------------------------------------------


def _bury(kind, model, data):
    """The row goes (if it was there) and a tombstone keeps late events from bringing it back."""
    row = model.objects.filter(workos_id=data["id"]).first()
    bury(kind, data["id"], data.get("updated_at") or timezone.now())
    if row is not None:
        model.objects.filter(pk=row.pk).delete()
    return row


def _organization_domains(data):
    """Before the event's transaction: the verified domains `access.account_for` will check."""
    if data.get("organization_id"):
        access.organization_domains(data["organization_id"])


# --- access -----------------------------------------------------------------------------------


def apply_directory_user(row, *, removed=False):
    """Access and groups of the account a directory user is, after the directory changed it."""
    account = row.user if row.user_id else access.account_for(row)
    if account is None:
        return
    if not removed and row.pk and row.user_id != account.pk:
        DirectoryUser.objects.filter(pk=row.pk).update(user=account)
        row.user = account
    detail = {"directory_user": row.workos_id, "directory": row.directory_workos_id}
    access.follow(
        account,
        "directory_user",
        removed=removed,
        active=row.state == "active",
        organization_id=row.organization_workos_id,
        detail=detail,
    )


def _directory_user_changed(data):
    row, outcome = upsert(DirectoryUser, data, user_fields(data))
    if outcome == "applied":
        apply_directory_user(row)
    return outcome


def _directory_user_deleted(data):
    row = _bury("directory_user", DirectoryUser, data) or DirectoryUser(workos_id=data["id"], **user_fields(data))
    apply_directory_user(row, removed=True)
    return "applied"


def _group_membership(added):
    def handle(data):
        group, _ = upsert(DirectoryGroup, data["group"], group_fields(data["group"]))
        person, _ = upsert(DirectoryUser, data["user"], user_fields(data["user"]))
        if group is None or person is None or not group.pk or not person.pk:
            return "stale"
        (person.groups.add if added else person.groups.remove)(group)
        apply_directory_user(person)
        return "applied"

    return handle


def _group_changed(data):
    return upsert(DirectoryGroup, data, group_fields(data))[1]


def _group_deleted(data):
    group = DirectoryGroup.objects.filter(workos_id=data["id"]).first()
    accounts = list(User.objects.filter(directory_users__groups=group).distinct()) if group else []
    _bury("directory_group", DirectoryGroup, data)
    for account in accounts:
        access.align_groups(account)
    return "applied"


def _directory_changed(data):
    return upsert(Directory, data, directory_fields(data))[1]


def _directory_deleted(data):
    """The directory and its people and groups leave the mirror. Their accounts keep their
    access (a customer who disconnects a directory has not removed everyone in it), but not the
    Django groups only that directory's groups gave them: those are brought in line at once, as
    their next sign-in would."""
    accounts = list(User.objects.filter(directory_users__directory_workos_id=data["id"]).distinct())
    _bury("directory", Directory, data)
    DirectoryUser.objects.filter(directory_workos_id=data["id"]).delete()
    DirectoryGroup.objects.filter(directory_workos_id=data["id"]).delete()
    for account in accounts:
        access.align_groups(account)
    return "applied"


def _apply_membership(data, *, removed=False):
    account = User.objects.filter(workos_user_id=data["user_id"]).first()
    if account is None:
        return
    org, active = data["organization_id"], data["status"] == "active"
    role = (data.get("role") or {}).get("slug") or ""
    if not removed and active and role and account.organization_id == org and account.role != role:
        User.objects.filter(pk=account.pk).update(role=role)  # the role of the organization they are in
    access.follow(
        account, "membership", removed=removed, active=active, organization_id=org, detail={"membership": data["id"]}
    )


def _membership_changed(data):
    _row, outcome = upsert(Membership, data, membership_fields(data))
    if outcome == "applied":
        _apply_membership(data)
    return outcome


def _membership_deleted(data):
    _bury("organization_membership", Membership, data)
    _apply_membership(data, removed=True)
    return "applied"


def _workos_user_deleted(data):
    account = User.objects.filter(workos_user_id=data["id"]).first()
    if account is not None:
        access.deprovision(account, trigger="workos_user_deleted", detail={"workos_user": data["id"]})
    return "applied"


for _type, _shape, _handler in (
    ("dsync.activated", DirectoryData, _directory_changed),
    ("dsync.deleted", DirectoryData, _directory_deleted),
    ("dsync.group.created", GroupData, _group_changed),
    ("dsync.group.updated", GroupData, _group_changed),
    ("dsync.group.deleted", GroupData, _group_deleted),
    ("dsync.group.user_added", GroupMembershipData, _group_membership(added=True)),
    ("dsync.group.user_removed", GroupMembershipData, _group_membership(added=False)),
    ("dsync.user.created", DirectoryUserData, _directory_user_changed),
    ("dsync.user.updated", DirectoryUserData, _directory_user_changed),
    ("dsync.user.deleted", DirectoryUserData, _directory_user_deleted),
    ("organization_membership.created", MembershipData, _membership_changed),
    ("organization_membership.updated", MembershipData, _membership_changed),
    ("organization_membership.deleted", MembershipData, _membership_deleted),
    ("user.deleted", WorkOSUserData, _workos_user_deleted),
):
    register(_type, _shape, _handler, prepare=_organization_domains)
