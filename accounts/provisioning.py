"""From a proven external identity (WorkOS user, WorkOS SSO profile, Google, Okta) to a Django user;
called by accounts.signin.flow only, inside the sign-in's transaction.

The three cases of the unified callback live here:
- known here (by WorkOS user id or by (provider, subject)): sign in, refreshing name and email;
- proven but unknown here: link the local user with the same verified email, or create one, in
  one transaction that is safe when two first sign-ins of the same person race;
- refused: policy (adapter), inactive user, or (Google/Okta) nobody to sign in as.

Linking by email happens only for a verified address, never for staff or superusers (an
administrator links those in the admin), and only after the policy checks: a refused sign-in
writes nothing. Every link and every new account is audited in the transaction that wrote it.
"""

import logging
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts import audit, login_rules
from accounts.adapter import get_adapter
from accounts.errors import SignInRefused
from accounts.models import AuditEvent, LoginRule, User, returned, returning
from accounts.models import Identity as LinkedIdentity
from accounts.signin.identity import Identity

log = logging.getLogger(__name__)


def resolve(identity: Identity, *, rule: LoginRule | None = None) -> tuple[User, bool]:
    """The Django user of a proven identity (an accounts.signin.identity.Identity), and whether it
    was created: (user, created), or SignInRefused. Run inside the sign-in's transaction."""
    if identity.workos_user_id:
        return sign_in_workos_user(identity, rule=rule)
    return sign_in_by_identity(identity, rule=rule)


def _may_create(identity: Identity, rule: LoginRule | None) -> None:
    """A matching login rule decides; without one, the policy adapter does."""
    allowed = login_rules.check_signup(rule, identity)
    if allowed is None:
        if not get_adapter().may_provision(identity):
            raise SignInRefused(
                "Accounts for this email address are not created automatically.", code="provisioning_not_allowed"
            )
    elif not allowed:
        raise SignInRefused(
            "Accounts for this email domain are not created on first sign-in. Ask an administrator to invite you.",
            code="signup_not_allowed",
        )


def _check_may_link(user: User, identity: Identity) -> None:
    """Before attaching a new external identity to `user` by email: may this person sign in at
    all (a refused sign-in writes nothing), and is the account one that email alone may claim?"""
    _check_may_sign_in(user, identity)
    if user.is_staff or user.is_superuser:
        # An address is only as safe as the weakest provider that vouches for it: staff links
        # are made by an administrator (the user's page in the admin), never by a sign-in.
        raise SignInRefused(
            "This account can be connected to a new sign-in method only by an administrator.",
            code="link_requires_admin",
        )
    if not get_adapter().may_link_by_email(identity):
        raise SignInRefused(
            "An account with this email exists but the address is not verified.", code="email_not_verified"
        )


def _check_may_sign_in(user: User, identity: Identity) -> User:
    if not user.is_active:
        raise SignInRefused("This account is disabled. Contact your administrator.", code="user_inactive")
    if not get_adapter().may_sign_in(user, identity):
        raise SignInRefused("This account may not sign in here.", code="sign_in_not_allowed")
    return user


def _refresh_profile(user: User, identity: Identity) -> User:
    """Bring name, email and organization in line with what the provider says (WorkOS is the source)."""
    changed = []
    for field in ("first_name", "last_name"):
        value = getattr(identity, field)
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if identity.organization_id and user.organization_id != identity.organization_id:
        user.organization_id = identity.organization_id
        changed.append("organization_id")
    if identity.role and user.role != identity.role:
        user.role = identity.role
        changed.append("role")
    if identity.email and identity.email_verified and user.email != identity.email:
        if User.objects.filter(email=identity.email).exclude(pk=user.pk).exists():
            log.warning("Not changing %s's email to %s: another user has it", user.pk, identity.email)
        else:
            user.email = identity.email
            changed.append("email")
    if changed:
        user.save(update_fields=changed + ["updated_at"])
    return user


def _create_user(identity: Identity, **fields: Any) -> User:
    return User.objects.create(
        email=identity.email,
        first_name=identity.first_name,
        last_name=identity.last_name,
        organization_id=identity.organization_id,
        role=identity.role,
        password=make_password(None),  # unusable: they sign in through their provider
        **fields,
    )


def _linked_or_created(user: User, identity: Identity, created: bool) -> None:
    """The last step inside the transaction that wrote a link or an account: the policy check
    (refusing rolls the write back) and the audit event (written with it, or not at all)."""
    _check_may_sign_in(user, identity)
    kind = AuditEvent.Kind.ACCOUNT_PROVISIONED if created else AuditEvent.Kind.IDENTITY_LINKED
    audit.record(
        kind,
        user=user,
        provider=identity.provider,
        subject=identity.subject,
        how="verified_email" if not created else "",
    )


def _stamped_user(workos_user_id: str) -> User | None:
    """The user with this WorkOS id, their last_login set to now by the statement that finds them
    (one query where a read and a write would be two), or None. Run inside a transaction: a
    refused sign-in rolls the stamp back."""
    quote = connection.ops.quote_name
    meta = User._meta
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {quote(str(meta.get_field('last_login').column))} = %s "
        f"WHERE {quote(str(meta.get_field('workos_user_id').column))} = %s {returning(User)}"
    )
    user = next(iter(returned(User, sql, [timezone.now(), workos_user_id])), None)
    if user is not None:
        user.__dict__["_last_login_stamped"] = True  # the user_logged_in receiver skips its own write
    return user


def sign_in_workos_user(identity: Identity, *, rule: LoginRule | None = None) -> tuple[User, bool]:
    """Case 1 and 2 of the unified callback for an AuthKit user (identity.workos_user_id set)."""
    with transaction.atomic(savepoint=False):  # a refusal rolls the stamp back, with the caller's transaction
        user = _stamped_user(identity.workos_user_id)
        if user is not None:
            _check_may_sign_in(user, identity)
            return _refresh_profile(user, identity), False
    existing = User.objects.filter(email=identity.email).first()
    if existing is None:
        _may_create(identity, rule)
    try:
        with transaction.atomic():
            if existing is not None:
                user = User.objects.select_for_update().get(pk=existing.pk)
                if user.workos_user_id and user.workos_user_id != identity.workos_user_id:
                    raise SignInRefused(
                        "This email belongs to an account linked to another WorkOS user.", code="account_conflict"
                    )
                _check_may_link(user, identity)
                user.workos_user_id = identity.workos_user_id
                user.save(update_fields=["workos_user_id", "updated_at"])
                _refresh_profile(user, identity)
                created = False
                LinkedIdentity.objects.get_or_create(
                    provider=LinkedIdentity.Provider.WORKOS,
                    subject=identity.workos_user_id,
                    defaults={"user": user, "email": identity.email, "last_used_at": timezone.now()},
                )
            else:
                user = _create_user(identity, workos_user_id=identity.workos_user_id, last_login=timezone.now())
                user.__dict__["_last_login_stamped"] = True
                # a new account has no identities; one for this subject elsewhere is a conflict
                LinkedIdentity.objects.create(
                    user=user,
                    provider=LinkedIdentity.Provider.WORKOS,
                    subject=identity.workos_user_id,
                    email=identity.email,
                    last_used_at=user.last_login,
                )
                created = True
            _linked_or_created(user, identity, created)
    except IntegrityError:
        # Another callback for the same person won the race: use what it created.
        user = User.objects.filter(workos_user_id=identity.workos_user_id).first()
        if user is None:
            raise SignInRefused("This email belongs to another account.", code="account_conflict") from None
        _check_may_sign_in(user, identity)
        return user, False
    return user, created


def sign_in_by_identity(identity: Identity, *, rule: LoginRule | None = None) -> tuple[User, bool]:
    """SSO profiles, Google and Okta: find by (provider, subject), else by verified email.

    With identity.may_create False (Google/Okta) an unknown person is refused: those endpoints
    are for existing users only.
    """
    found = (
        LinkedIdentity.objects.filter(provider=identity.provider, subject=identity.subject)
        .select_related("user")
        .first()
    )
    if found is not None:
        _check_may_sign_in(found.user, identity)
        LinkedIdentity.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        return _refresh_profile(found.user, identity), False
    if not identity.email_verified:
        raise SignInRefused("The identity provider has not verified this email address.", code="email_not_verified")
    existing = User.objects.filter(email=identity.email).first()
    if existing is None and not identity.may_create:
        raise SignInRefused(
            "There is no account for this person. Ask an administrator to invite you.", code="account_not_found"
        )
    if existing is None:
        _may_create(identity, rule)
    try:
        with transaction.atomic():
            if existing is not None:
                user = User.objects.select_for_update().get(pk=existing.pk)
                _check_may_link(user, identity)
                created = False
            else:
                user = _create_user(identity)
                created = True
            LinkedIdentity.objects.create(
                user=user,
                provider=identity.provider,
                subject=identity.subject,
                email=identity.email,
                last_used_at=timezone.now(),
            )
            _linked_or_created(user, identity, created)
    except IntegrityError:
        found = (
            LinkedIdentity.objects.filter(provider=identity.provider, subject=identity.subject)
            .select_related("user")
            .first()
        )
        if found is None:
            raise SignInRefused("This email belongs to another account.", code="account_conflict") from None
        _check_may_sign_in(found.user, identity)
        return found.user, False
    return _refresh_profile(user, identity) if not created else user, created
