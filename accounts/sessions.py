"""The lifecycle of a sign-in (an `AuthSession`) after it started (accounts.signin.flow starts
them): how one refreshes and ends.

- refresh: `refresh` rotates our refresh token and, behind an AuthKit sign-in, the WorkOS one;
- end: `end_sessions` is the one way a sign-in ends (logout, "end this one", "sign out
  everywhere", admin actions, refresh-token reuse, WorkOS having ended it, a password reset);
  `sign_out` is logout for both the API and the browser; a password change or a deactivation
  ends a user's sign-ins through the receiver at the bottom of this module.
"""

import logging
import re
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from accounts import audit, login_rules, memberships, session_limits, tokens, workos_sessions
from accounts.errors import GatehouseError, InvalidSignInRequest, SignInRefused, TokenError
from accounts.models import AuditEvent, AuthSession, User

log = logging.getLogger(__name__)


# --- refresh -----------------------------------------------------------------------------------


def refresh(raw: str) -> tokens.TokenPair:
    """Rotate a refresh token: a new pair, or TokenError. Behind an AuthKit sign-in the WorkOS
    refresh token rotates too, so a sign-in WorkOS has ended stops refreshing here.

    No transaction or row lock is held while WorkOS answers: the token is spent first (its own
    atomic write: of parallel uses one is first), WorkOS is asked, and the answer is written only
    over the WorkOS refresh token it replaced (`_rotate`). A WorkOS failure gives the token back,
    so the same token works on retry."""
    claims = tokens.read_refresh(raw)
    now = timezone.now()
    session = AuthSession.objects.filter(id=claims["sess"]).select_related("user").first()
    if session is None or session.user_id is None or str(session.user_id) != tokens.user_id_of(claims):
        raise TokenError("This sign-in no longer exists. Sign in again.", code="session_not_found")
    _check_open(session)
    if claims.get("gen", 0) != session.generation:
        raise TokenError(
            "This sign-in moved to another organization: use the tokens that came with the switch.",
            code="refresh_token_superseded",
        )
    sessions = AuthSession.objects.filter(id=session.id)
    policy = session_limits.for_session(session)
    lapsed = policy.lapsed(
        created_at=session.created_at, last_seen_at=session.last_seen_at or session.last_refreshed_at, now=now
    )
    if lapsed:
        end_sessions(sessions, reason=lapsed, user=session.user)
        raise policy_error(lapsed, policy)
    use = tokens.mark_used(raw, claims, session.user_id)
    if use == tokens.Use.REPLAY:
        log.warning("Refresh token reuse detected for session %s (user %s): ending it", session.id, session.user_id)
        end_sessions(sessions, reason="refresh_reuse")
        audit.record(AuditEvent.Kind.REFRESH_REUSE, user=session.user, session=session.id)
        raise TokenError(
            "This refresh token was already used. The sign-in has been ended for safety.", code="refresh_token_reused"
        )
    if use == tokens.Use.RACE:
        # used moments ago: an answer that never arrived, or two tabs racing. The sign-in goes on
        # with a pair of its own (WorkOS's side is rotated by the first use).
        sessions.update(last_seen_at=timezone.now())
        return tokens.mint(session.user, session)
    try:
        changed = _refresh_workos(session)
    except GatehouseError as exc:
        if exc.code != "invalid_grant":
            tokens.give_back(claims)  # WorkOS failed, not the sign-in: the same token works on retry
            raise
        end_sessions(sessions, reason="workos_session_ended", revoke_workos=False)
        raise TokenError("The WorkOS session has ended. Sign in again.", code="session_revoked") from None
    session.last_refreshed_at = session.last_seen_at = timezone.now()
    fields = {"last_refreshed_at": session.last_refreshed_at, "last_seen_at": session.last_seen_at}
    if changed is None:
        sessions.update(**fields)
    elif not _rotate(session, changed, fields):
        # ended meanwhile (refused), or a parallel rotation of this sign-in wrote WorkOS's side first
        _check_open(AuthSession.objects.select_related("user").get(id=session.id))
        sessions.update(**fields)
    return tokens.mint(session.user, session)


def _check_open(session: AuthSession) -> None:
    if session.revoked_at:
        raise TokenError("This sign-in has ended. Sign in again.", code="session_revoked")
    if not session.user.is_active:
        raise TokenError("This account is disabled.", code="user_inactive")


# --- switch organization ----------------------------------------------------------------------

_ORG_ID = re.compile(r"^org_[A-Za-z0-9]{1,60}$")

# WorkOS's answers to a refresh into an organization that asks more of the person than this
# sign-in proved: the step they must pass, by signing in to that organization.
_STEPS = {
    "mfa_enrollment": "mfa",
    "mfa_challenge": "mfa",
    "sso_required": "sso",
    "organization_authentication_methods_required": "sign_in",
}
_STEP_NAMES = {"mfa": "multi-factor authentication", "sso": "single sign-on", "sign_in": "another way of signing in"}


def switch_organization(
    session: AuthSession, organization_id: str, *, request: HttpRequest | None = None
) -> AuthSession:
    """Move a sign-in to another organization of its person, without signing in again: WorkOS's
    refresh with `organization_id` gives that organization's role and permissions. Refresh tokens
    minted before stop working (`refresh_token_superseded`); the caller mints the new pair.

    Only an active membership admits (403 `organization_not_allowed`); a login rule that ties the
    person or the organization to SSO is honoured (403 `sso_required` / `method_not_allowed`), and
    an organization whose WorkOS policy asks for a step this sign-in did not pass (MFA, SSO) is
    403 `organization_step_required`, naming the step: sign in to that organization to pass it."""
    if not _ORG_ID.match(organization_id or ""):
        raise InvalidSignInRequest(
            "organization_id must be a WorkOS organization id (org_...).", code="invalid_organization_id"
        )
    user = session.user
    if not (session.workos_session_id and user.workos_user_id):
        raise GatehouseError(
            "Only a sign-in through WorkOS can change organization.", code="organization_switch_unavailable"
        )
    if organization_id == session.organization_id:
        return session
    if not memberships.is_active_member(user.workos_user_id, organization_id):
        raise SignInRefused(
            "You are not an active member of this organization.",
            code="organization_not_allowed",
            detail={"organization_id": organization_id},
        )
    login_rules.check_switch(user.email, session.method, organization_id)
    _check_open(session)
    before = session.organization_id
    try:
        changed = _refresh_workos(session, organization_id)
    except GatehouseError as exc:
        if exc.code not in _STEPS:
            raise
        step = _STEPS[exc.code]
        raise SignInRefused(
            f"This organization asks for {_STEP_NAMES[step]}, which this sign-in did not pass: "
            "sign in to it to continue.",
            code="organization_step_required",
            detail={"organization_id": organization_id, "step": step},
        ) from None
    if changed is None:
        raise GatehouseError(
            "This sign-in cannot change organization now: sign out and in again.",
            code="organization_switch_unavailable",
        )
    now = timezone.now()
    with transaction.atomic():
        moved = _rotate(
            session,
            changed,
            {"organization_id": organization_id, "generation": F("generation") + 1, "last_seen_at": now},
        )
        if not moved:
            raise TokenError("This sign-in ended or changed while switching. Sign in again.", code="session_revoked")
        audit.record(
            AuditEvent.Kind.ORGANIZATION_SWITCHED,
            user=user,
            request=request,
            organization_id=organization_id,
            previous_organization_id=before,
            session=session.id,
        )
    session.organization_id, session.generation, session.last_seen_at = organization_id, session.generation + 1, now
    return session


def policy_error(lapsed: str, policy: session_limits.Policy) -> TokenError:
    """The TokenError for a sign-in the session policy has ended."""
    if lapsed == session_limits.IDLE:
        minutes = policy.idle_timeout_minutes
        return TokenError(f"You were signed out after {minutes} minutes without activity. Sign in again.", code=lapsed)
    return TokenError(f"Sign-ins last at most {policy.absolute_lifetime_hours} hours. Sign in again.", code=lapsed)


def _refresh_workos(session: AuthSession, organization_id: str = "") -> workos_sessions.Refreshed | None:
    """WorkOS's side of a refresh or a switch (None: the sign-in has no WorkOS side). Called with
    no transaction open: WorkOS's answer can take a while."""
    if not (session.workos_refresh_token or session.workos_session_id):
        return None
    return workos_sessions.refresh(
        workos_user_id=session.user.workos_user_id or "",
        workos_session_id=session.workos_session_id,
        sealed_refresh_token=session.workos_refresh_token,
        organization_id=organization_id,
    )


def _rotate(session: AuthSession, changed: workos_sessions.Refreshed, fields: dict[str, Any]) -> bool:
    """Write what WorkOS answered (and `fields`) onto the sign-in, unless it ended or another
    rotation replaced the WorkOS refresh token this one used meanwhile (False). `session` is
    updated to what was written."""
    previous, generation = session.workos_refresh_token, session.generation
    session.workos_refresh_token = changed.sealed_refresh_token
    if fields.get("organization_id"):  # a switch: the new organization's role and permissions
        session.role, session.permissions = changed.role, changed.permissions or []
    else:
        session.organization_id = changed.organization_id or session.organization_id
        session.role = changed.role or session.role
        if changed.permissions is not None:
            session.permissions = changed.permissions
    values = {
        "workos_refresh_token": session.workos_refresh_token,
        "organization_id": session.organization_id,
        "role": session.role,
        "permissions": session.permissions,
        **fields,
    }
    return bool(
        AuthSession.objects.filter(
            id=session.id, revoked_at__isnull=True, generation=generation, workos_refresh_token=previous
        ).update(**values)
    )


# --- end ---------------------------------------------------------------------------------------


def end_sessions(
    sessions: QuerySet[AuthSession],
    *,
    reason: str,
    user: Any = None,
    request: HttpRequest | None = None,
    revoke_workos: bool = True,
) -> int:
    """End sign-ins: refresh tokens stop working at once, browsers are signed out on their next
    request, access tokens expire shortly; the WorkOS sessions behind them are revoked (best
    effort) unless `revoke_workos` is False. Audited against `user` when given. Returns how many
    ended."""
    active = list(sessions.filter(revoked_at__isnull=True).values_list("pk", "workos_session_id"))
    ended = AuthSession.objects.filter(pk__in=[pk for pk, _sid in active], revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason, workos_refresh_token=""
    )
    if revoke_workos:
        for sid in {sid for _pk, sid in active if sid}:
            workos_sessions.revoke_session(sid)
    if ended and user is not None:
        audit.record(AuditEvent.Kind.SESSIONS_REVOKED, user=user, request=request, reason=reason, count=ended)
    return ended


def sign_out(
    request: HttpRequest,
    *,
    user: Any,
    session_id: str | None,
    workos_session_id: str = "",
    return_to: str | None = None,
) -> str | None:
    """Logout, for an app (token) or a browser: ends this sign-in and every one of ours sharing
    its WorkOS session, revokes that WorkOS session, and returns WorkOS's logout URL (or None),
    where the browser must go so AuthKit does not sign the person straight back in."""
    ours = AuthSession.objects.filter(id=session_id or "")
    if workos_session_id:
        ours = ours | AuthSession.objects.filter(workos_session_id=workos_session_id)
    end_sessions(ours, reason="logout", revoke_workos=False)
    audit.record(AuditEvent.Kind.LOGOUT, user=user, request=request)
    if not workos_session_id:
        return None
    workos_sessions.revoke_session(workos_session_id)
    try:
        return workos_sessions.logout_url(workos_session_id, return_to=return_to)
    except GatehouseError:
        return None


def end_for_password_reset(workos_user: Any, *, request: HttpRequest | None = None) -> str:
    """WorkOS set a new password for `workos_user`: every sign-in of theirs here ends."""
    user = User.objects.filter(workos_user_id=workos_user.id).first()
    ended = 0
    if user is not None:
        ended = end_sessions(AuthSession.objects.filter(user=user), reason="password_reset", user=user, request=request)
    audit.record(AuditEvent.Kind.PASSWORD_RESET, user=user, email=workos_user.email, request=request, ended=ended)
    return workos_user.email


@receiver(post_save, sender=User, dispatch_uid="gatehouse-end-sign-ins-on-password-or-deactivation")
def _end_sign_ins_of_changed_user(
    sender: type, instance: User, created: bool, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    """A new password, or a deactivated account, ends every sign-in of that user.

    `_password` is set by `set_password()` until the save completes (AbstractBaseUser); Django's
    session auth hash already signs other browsers out on a password change, and this ends the
    token sign-ins too. WorkOS sessions are left to expire: a model save makes no network calls.
    """
    if created:
        return
    if instance.__dict__.get("_password") is not None:
        end_sessions(AuthSession.objects.filter(user=instance), reason="password_changed", revoke_workos=False)
    elif not instance.is_active and (update_fields is None or "is_active" in update_fields):
        end_sessions(AuthSession.objects.filter(user=instance), reason="user_deactivated", revoke_workos=False)
