"""A signed-in person changes their password: the current one is checked where it is held (a
Django password here, else WorkOS's), the new one is set there, and every sign-in of theirs ends:
they sign in again with the new password, and so must anyone who had the old one."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from accounts import audit, impersonation, workos_sessions
from accounts.errors import GatehouseError, InvalidSignInRequest
from accounts.models import AuditEvent, AuthSession, User
from accounts.sessions import end_sessions
from accounts.signin import authkit


def change(
    user: User,
    current: str,
    new: str,
    *,
    impersonator: dict | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Change `user`'s password; how many sign-ins ended. 400 `invalid_credentials` for a wrong
    current password, `password_too_weak` for a new one the validators (or WorkOS) refuse,
    `password_unavailable` for an account that signs in without a password here; 403
    `forbidden_while_impersonating` for support staff signed in as the person."""
    impersonation.refuse(impersonator, "password", user=user, request=request)
    held_here = user.has_usable_password()
    if not held_here and not user.workos_user_id:
        raise GatehouseError(
            "This account signs in without a password here (single sign-on or another provider).",
            code="password_unavailable",
        )
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise InvalidSignInRequest(" ".join(exc.messages), code="password_too_weak") from None
    if held_here:
        right = user.check_password(current)
    else:
        right = authkit.password_is_right(user.email, current, request=request)
    if not right:
        audit.record(AuditEvent.Kind.PASSWORD_CHANGE_REFUSED, user=user, request=request, reason="invalid_credentials")
        raise GatehouseError("The current password is not right.", code="invalid_credentials")
    if not held_here:
        authkit.set_workos_password(user.workos_user_id, new)  # before our writes: WorkOS may refuse it
    mine = AuthSession.objects.filter(user=user)
    open_ones = list(mine.filter(revoked_at__isnull=True).values_list("workos_session_id", flat=True))
    with transaction.atomic():
        if held_here:
            user.set_password(new)  # saving it ends the sign-ins (accounts.sessions)
            user.save(update_fields=["password", "updated_at"])
        end_sessions(mine, reason="password_changed", revoke_workos=False)
        audit.record(AuditEvent.Kind.PASSWORD_CHANGED, user=user, request=request, ended=len(open_ones))
    for workos_session_id in set(filter(None, open_ones)):  # after the commit: WorkOS calls
        workos_sessions.revoke_session(workos_session_id)
    return len(open_ones)
