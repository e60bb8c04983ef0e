"""What WorkOS says about a person, applied to their Gatehouse account: access removed when the
directory or WorkOS removes them (deprovisioning), restored when it brings them back, and Django
groups kept in line with WorkOS roles and directory groups.

Nothing here deletes a user. Which action each trigger takes is GATEHOUSE_DEPROVISIONING:

- `deactivate`: the account is deactivated (is_active False) and every sign-in of it ends;
- `remove_organization`: the account loses that organization (and its role), and the sign-ins
  made in it end;
- `end_sessions`: every sign-in ends, the account stays as it is;
- `ignore`: nothing happens.

Ended sign-ins: refresh tokens stop at once, browsers are signed out on their next request,
access tokens expire within their short lifetime, and the person's WorkOS sessions are revoked
once the change is committed.
"""

import logging

from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts import audit, rowcache, workos_sessions
from accounts.conf import app_settings
from accounts.errors import GatehouseError
from accounts.models import AuditEvent, AuthSession, User
from accounts.sessions import end_sessions
from directory.conf import app_settings as directory_settings
from directory.models import DirectoryUser, Membership, RoleMapping
from workos_integration import client as workos_client

log = logging.getLogger(__name__)

ACTIONS = ("deactivate", "remove_organization", "end_sessions", "ignore")
DEFAULT_ACTIONS = {
    "directory_user_removed": "deactivate",  # dsync.user.deleted, or gone from a full sync
    "directory_user_inactive": "deactivate",  # the directory suspended or deactivated them
    "membership_removed": "remove_organization",  # organization_membership.deleted
    "membership_inactive": "remove_organization",  # the membership was deactivated
    "workos_user_deleted": "deactivate",  # user.deleted
}


def action_for(trigger):
    return {**DEFAULT_ACTIONS, **(directory_settings.GATEHOUSE_DEPROVISIONING or {})}[trigger]


# --- who a directory user is here -------------------------------------------------------------


def organization_domains(organization_id):
    """The email domains the organization has verified (GATEHOUSE_ORGANIZATION_DOMAINS)."""
    return import_string(app_settings.GATEHOUSE_ORGANIZATION_DOMAINS)(organization_id)


def account_for(directory_user):
    """The Gatehouse user a directory user is: same email, and either already in the directory's
    organization or with an email domain that organization has verified. A directory can thus
    never act on people of another organization by listing their address."""
    email = (directory_user.email or "").lower()
    if "@" not in email:
        return None
    user = User.objects.filter(email=email).first()
    if user is None:
        return None
    org = directory_user.organization_workos_id
    if user.organization_id == org or email.rsplit("@", 1)[1] in organization_domains(org):
        return user
    log.warning(
        "Directory user %s (%s) names an account outside organization %s: not linked",
        directory_user.workos_id,
        email,
        org,
    )
    return None


# --- removing and restoring access ------------------------------------------------------------


def _revoke_workos_sessions(user, known_session_ids):
    """After commit, best effort: every WorkOS session of the person (those we know and those
    WorkOS lists), so no other WorkOS-backed sign-in of theirs outlives the removal."""
    sids = set(known_session_ids)
    if user.workos_user_id and workos_client.is_configured():
        wos = workos_client.client()
        try:
            listed = workos_client.call(
                "list the person's WorkOS sessions", wos.user_management.list_sessions, user.workos_user_id, limit=100
            )
            sids |= {s.id for s in listed.data if str(getattr(s.status, "value", s.status)) == "active"}
        except GatehouseError as exc:
            log.warning("Could not list WorkOS sessions of %s: %s (%s)", user.workos_user_id, exc.message, exc.code)
    for sid in sorted(sids):
        workos_sessions.revoke_session(sid)


def deprovision(user, *, trigger, organization_id="", detail=None):
    """Take access away as GATEHOUSE_DEPROVISIONING says for `trigger`. Returns the action taken
    (None when there was nothing to do)."""
    action = action_for(trigger)
    if action == "ignore":
        return None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        sessions = AuthSession.objects.filter(user=user)
        if action == "remove_organization":
            if not organization_id:
                return None
            sessions = sessions.filter(organization_id=organization_id)
        sids = list(
            sessions.filter(revoked_at__isnull=True)
            .exclude(workos_session_id="")
            .values_list("workos_session_id", flat=True)
        )
        ended = end_sessions(sessions, reason=trigger, revoke_workos=False)
        changed, took = [], False
        if action == "deactivate" and user.is_active:
            user.is_active, took = False, True
            changed.append("is_active")
        elif action == "deactivate" and any(
            action_for(source) == "deactivate" for source in user.deprovisioned_sources
        ):
            took = True  # already deactivated by another source: both must give it back
        if action == "remove_organization" and user.organization_id == organization_id:
            user.organization_id, user.role, took = "", "", True
            changed += ["organization_id", "role"]
        # Every source holding the account down is recorded; an account an administrator
        # deactivated is theirs to give back, so a source that took nothing is not.
        if took and trigger not in user.deprovisioned_sources:
            user.deprovisioned_sources = [*user.deprovisioned_sources, trigger]
            changed.append("deprovisioned_sources")
        if took and not user.deprovisioned_reason:
            user.deprovisioned_reason, user.deprovisioned_at = trigger, timezone.now()
            changed += ["deprovisioned_reason", "deprovisioned_at"]
        if changed:
            user.save(update_fields=changed + ["updated_at"])
        if not changed and not ended:
            return None
        audit.record(
            AuditEvent.Kind.USER_DEPROVISIONED,
            user=user,
            reason=trigger,
            action=action,
            organization=organization_id,
            sessions_ended=ended,
            **(detail or {}),
        )
        transaction.on_commit(lambda: _revoke_workos_sessions(user, sids))
    return action


def reactivate(user, *, trigger, reasons, organization_id="", detail=None):
    """Give back what deprovisioning took for one of `reasons` (the directory's, or the
    membership's). An account an administrator deactivated stays as it is; one another source
    still holds down stays down for that source (deactivated, or without the organization).
    Returns True when access came back entirely."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not any(source in reasons for source in user.deprovisioned_sources):
            return False
        remaining = [source for source in user.deprovisioned_sources if source not in reasons]
        if not any(action_for(source) == "deactivate" for source in remaining):
            user.is_active = True
        if (
            organization_id
            and not user.organization_id
            and not any(action_for(source) == "remove_organization" for source in remaining)
        ):
            user.organization_id = organization_id
        user.deprovisioned_sources = remaining
        user.deprovisioned_reason = remaining[0] if remaining else ""
        if not remaining:
            user.deprovisioned_at = None
        user.save(
            update_fields=[
                "is_active",
                "organization_id",
                "deprovisioned_sources",
                "deprovisioned_reason",
                "deprovisioned_at",
                "updated_at",
            ]
        )
        if remaining:
            log.info("%s: %s gave access back, still held by %s", user.pk, trigger, ", ".join(remaining))
            return False
        audit.record(
            AuditEvent.Kind.USER_REACTIVATED, user=user, reason=trigger, organization=organization_id, **(detail or {})
        )
    return True


def follow(account, source, *, removed, active, organization_id, detail):
    """What `source` ("directory_user" or "membership") now says about `account`: removed, no
    longer active (deprovision), or active (give back what that same source took). Then the
    account's groups follow. Returns nothing."""
    if removed or not active:
        deprovision(
            account,
            trigger=f"{source}_{'removed' if removed else 'inactive'}",
            organization_id=organization_id,
            detail=detail,
        )
    else:
        reactivate(
            account,
            trigger=f"{source}_active",
            reasons={f"{source}_removed", f"{source}_inactive"},
            organization_id=organization_id,
            detail=detail,
        )
    align_groups(User.objects.get(pk=account.pk))


# --- roles and directory groups -> Django groups ----------------------------------------------


def _all_mappings():
    return [(m.source, m.value, m.organization_workos_id, m.group_id) for m in RoleMapping.objects.all()]


mappings = rowcache.cached_table(RoleMapping, "gatehouse:role-mappings", _all_mappings)


def wanted_groups(user, table):
    """The mapped Django groups `user` should be in, from WorkOS's word on them: their active
    memberships' roles (and the role of their last sign-in), their active directory users'
    groups."""
    roles = set()
    if user.organization_id and user.role:
        roles.add((user.organization_id, user.role))
    if user.workos_user_id:
        roles |= set(
            Membership.objects.filter(user_workos_id=user.workos_user_id, status="active")
            .exclude(role="")
            .values_list("organization_workos_id", "role")
        )
    directory_groups = set()
    for person in DirectoryUser.objects.filter(user=user, state="active").prefetch_related("groups"):
        directory_groups |= {(person.organization_workos_id, g.name) for g in person.groups.all()}
        if person.role:
            roles.add((person.organization_workos_id, person.role))
    held = {"role": roles, "directory_group": directory_groups}
    return {
        group
        for source, value, org, group in table
        if any(v == value and (not org or org == o) for o, v in held[source])
    }


def align_groups(user):
    """Put `user` in the mapped groups WorkOS says they belong to and out of the others. Groups
    no mapping names are left alone. Costs nothing when no mapping exists."""
    table = mappings()
    if not table or user.pk is None:
        return False
    for person in DirectoryUser.objects.filter(user__isnull=True, email=user.email.lower()):
        if account_for(person) == user:  # first sign-in since the directory listed them
            DirectoryUser.objects.filter(pk=person.pk).update(user=user)
    managed = {group for *_rest, group in table}
    wanted = wanted_groups(user, table)
    current = set(user.groups.filter(pk__in=managed).values_list("pk", flat=True))
    add, remove = wanted - current, current - wanted
    if not add and not remove:
        return False
    user.groups.add(*add)
    user.groups.remove(*remove)
    audit.record(AuditEvent.Kind.GROUPS_CHANGED, user=user, added=_names(add), removed=_names(remove))
    return True


def _names(group_ids):
    """Groups as the audit shows them: by name."""
    return sorted(Group.objects.filter(pk__in=group_ids).values_list("name", flat=True))


def _linked_accounts():
    """The accounts WorkOS says something about: those whose mapped groups WorkOS decides."""
    linked = Q(workos_user_id__isnull=False) | Q(directory_users__isnull=False) | ~Q(role="")
    return User.objects.filter(linked).distinct()


def align_everyone():
    """align_groups for every account WorkOS says something about (after mappings changed).
    Returns how many accounts changed."""
    return sum(align_groups(user) for user in _linked_accounts().iterator())


def release_group(group_id):
    """When no mapping names a group any more, the accounts WorkOS decided its membership for
    leave it: what a deleted mapping granted must not stay once the group is unmanaged (and
    never looked at again). Accounts WorkOS says nothing about keep it. Returns how many left."""
    if RoleMapping.objects.filter(group_id=group_id).exists():
        return 0
    released = 0
    for user in _linked_accounts().filter(groups=group_id).iterator():
        user.groups.remove(group_id)
        audit.record(
            AuditEvent.Kind.GROUPS_CHANGED, user=user, added=[], removed=_names([group_id]), reason="mapping_removed"
        )
        released += 1
    return released


@receiver(pre_save, sender=RoleMapping, dispatch_uid="gatehouse-mapping-moved")
def _remember_group(sender, instance, raw=False, **kwargs):
    if instance.pk and not raw:
        instance._group_before = RoleMapping.objects.filter(pk=instance.pk).values_list("group_id", flat=True).first()


@receiver(post_save, sender=RoleMapping, dispatch_uid="gatehouse-mapping-moved-release")
def _mapping_saved(sender, instance, raw=False, **kwargs):
    before = instance.__dict__.pop("_group_before", None)
    if before and before != instance.group_id:
        release_group(before)


@receiver(post_delete, sender=RoleMapping, dispatch_uid="gatehouse-mapping-deleted-release")
def _mapping_deleted(sender, instance, **kwargs):
    release_group(instance.group_id)


def _on_provisioned(sender, event, **kwargs):
    """A new account: the directory entries already listing its email are linked at once (not at
    the next sync), so the admin shows who they are."""
    user = event.user
    if user is None:
        return
    for person in DirectoryUser.objects.filter(user__isnull=True, email=user.email.lower()):
        if account_for(person) == user:
            DirectoryUser.objects.filter(pk=person.pk).update(user=user)


audit.SIGNALS[AuditEvent.Kind.ACCOUNT_PROVISIONED].connect(_on_provisioned, dispatch_uid="gatehouse-link-directory")


def _on_sign_in(sender, user, **kwargs):
    if isinstance(user, User):
        align_groups(user)


user_logged_in.connect(_on_sign_in, dispatch_uid="gatehouse-align-groups-on-sign-in")
