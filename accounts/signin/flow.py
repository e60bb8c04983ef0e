"""Where every sign-in ends: `complete(request, proven, channel)`.

A provider (accounts.signin.*) proves who someone is; this module applies what follows, in one
transaction: the login rules, linking or provisioning the Django user (accounts.provisioning),
the session start for the channel (a token pair for an app, a Django session for a browser)
and its audit. A sign-in it refuses, or fails to finish, writes nothing and revokes the WorkOS
session the provider opened, or AuthKit would keep the person signed in there.

Every start is audited and announced with Django's `user_logged_in`; a refused attempt is
`sign_in_failed` (audit + `user_login_failed`), so django-axes and friends can hook in.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

from django.contrib import auth
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import audit, login_rules, mfa, provisioning, secretbox, session_limits, tokens, workos_sessions
from accounts.client import client_ip, user_agent
from accounts.conf import app_settings
from accounts.models import AuditEvent, AuthSession, User, normalize_email
from accounts.signin import workos
from accounts.signin.identity import Identity, Pending

BROWSER_SESSION_KEY = "gatehouse_auth_session"  # the browser's AuthSession id, in its Django session
BROWSER_WORKOS_SID_KEY = "gatehouse_workos_sid"  # the WorkOS session behind a browser sign-in

Channel = AuthSession.Channel  # API: a token pair; BROWSER: a Django session


@dataclass
class SignIn:
    """What `complete` made: the user and their session, or the step still to pass."""

    user: User | None = None
    created: bool = False
    session: AuthSession | None = None
    pair: tokens.TokenPair | None = None  # the API channel's tokens
    next_url: str = ""
    pending: Pending | None = None
    recovery_codes: list[str] = field(default_factory=list)  # made now (an authenticator was set up): show once


def complete(request: HttpRequest | None, proven: Identity | Pending, channel: str) -> SignIn:
    """Finish a sign-in: `proven` is what a provider returned (an Identity, or a Pending step,
    which is handed back untouched)."""
    if isinstance(proven, Pending):
        return SignIn(pending=proven)
    identity = proven
    try:
        _place_new_person(identity)
        rule = login_rules.check_method(
            identity.email,
            identity.method,
            organization_id=identity.organization_id,
            connection_id=identity.connection_id,
        )
        with transaction.atomic():  # the account and its session: one commit, or nothing
            user, created = (
                (identity.user, False) if identity.user is not None else provisioning.resolve(identity, rule=rule)
            )
            carried = Carried(
                workos_session_id=identity.workos_session_id,
                workos_refresh_token=identity.workos_refresh_token,
                organization_id=identity.organization_id,
                role=identity.role,
                permissions=identity.permissions,
                impersonator=identity.impersonator,
            )
            if channel == Channel.BROWSER:
                if request is None:
                    raise ValueError("A browser sign-in needs the browser's request.")
                pair = None
                session = start_browser_session(request, user, method=identity.method, **carried)
            else:
                pair = start_token_session(user, method=identity.method, request=request, **carried)
                session = pair.session
            codes = mfa.issue_recovery_codes(user, request=request) if identity.mfa_enrolled else []
    except Exception as exc:
        workos_sessions.revoke_session(identity.workos_session_id)
        exc.refused_email = identity.email  # type: ignore[attr-defined]  # the audit names whom it refused
        raise
    return SignIn(
        user=user, created=created, session=session, pair=pair, next_url=identity.next_url, recovery_codes=codes
    )


def _place_new_person(identity: Identity) -> None:
    """A person WorkOS gives no organization, signing in here for the first time, is placed
    where their hint (or the configured default) may put them, or refused (WorkOS calls: before
    the transaction)."""
    if not identity.workos_user_id or identity.organization_id:
        return
    if not (
        identity.organization_hint
        or app_settings.GATEHOUSE_DEFAULT_ORGANIZATION_ID
        or app_settings.GATEHOUSE_OPEN_ORGANIZATION_FALLBACK
    ):
        return
    if User.objects.filter(workos_user_id=identity.workos_user_id).exists():
        return  # a hint never moves someone we know
    identity.organization_id = workos.organization_for_new_person(identity)


def _client(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {}
    return {"user_agent": user_agent(request), "ip_address": client_ip(request)}


class Carried(TypedDict, total=False):
    """What a sign-in carries into its session, on either channel (all optional)."""

    workos_session_id: str
    workos_refresh_token: str  # sealed when stored
    organization_id: str
    role: str
    permissions: Sequence[str]
    impersonator: dict | None  # {email, reason} of support staff signed in as the person


def start_token_session(
    user: User, *, method: str, request: HttpRequest | None = None, **carried: Unpack[Carried]
) -> tokens.TokenPair:
    """Open an app sign-in for `user` and return its first token pair (joined to the caller's
    transaction, so the sign-in and its audit event are written together or not at all)."""
    with transaction.atomic(savepoint=False):
        session = _new_session(user, Channel.API, request, method=method, **carried)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return tokens.mint(user, session)


def start_browser_session(request: HttpRequest, user: User, *, method: str, **carried: Unpack[Carried]) -> AuthSession:
    """Sign the browser in (Django session) and record it as an AuthSession, so that it is listed
    and can be ended like an app sign-in; accounts.middleware signs the browser out once ended."""
    auth.login(request, user, backend=getattr(user, "backend", None) or "django.contrib.auth.backends.ModelBackend")
    session = _new_session(user, Channel.BROWSER, request, method=method, **carried)
    request.session[BROWSER_SESSION_KEY] = session.id
    absolute = session_limits.for_session(session).absolute
    if absolute:
        request.session.set_expiry(int(absolute.total_seconds()))  # the cookie does not outlive the policy
    if session.workos_session_id:
        request.session[BROWSER_WORKOS_SID_KEY] = session.workos_session_id
    return session


def _new_session(
    user: User, channel: str, request: HttpRequest | None, *, method: str, **carried: Unpack[Carried]
) -> AuthSession:
    """The AuthSession of a sign-in on either channel (the WorkOS refresh token sealed), audited."""
    impersonator = carried.get("impersonator")
    session = AuthSession.objects.create(
        user=user,
        method=method,
        channel=channel,
        last_seen_at=timezone.now(),
        workos_session_id=carried.get("workos_session_id") or "",
        workos_refresh_token=secretbox.seal(carried.get("workos_refresh_token") or ""),
        organization_id=carried.get("organization_id") or "",
        role=carried.get("role") or "",
        permissions=list(carried.get("permissions") or ()),
        impersonator=impersonator,
        **_client(request),
    )
    _audit_sign_in(user, request, method, impersonator)
    return session


def _audit_sign_in(user: User, request: HttpRequest | None, method: str, impersonator: dict | None) -> None:
    """A sign-in in the audit trail; one made by support staff as the person, named as such too."""
    if impersonator:
        audit.record(
            AuditEvent.Kind.IMPERSONATED_SIGN_IN,
            user=user,
            request=request,
            method=method,
            impersonator=impersonator["email"],
            impersonation_reason=impersonator.get("reason", ""),
        )
    audit.record(AuditEvent.Kind.SIGN_IN_SUCCEEDED, user=user, request=request, method=method)


def sign_in_failed(
    request: HttpRequest | None,
    *,
    email: Any = "",
    reason: str,
    method: str,
    signal: bool = True,
    error: Exception | None = None,
) -> None:
    """A refused sign-in: audited with its reason code (and the person, when the refusal came after
    their identity was proven: `error` carries it), and announced with `user_login_failed`
    (`signal=False` where Django's own `authenticate()` has announced it already)."""
    email = getattr(error, "refused_email", "") or (email if isinstance(email, str) else "")
    user = User.objects.filter(email=normalize_email(email)).first() if getattr(error, "refused_email", "") else None
    audit.record(AuditEvent.Kind.SIGN_IN_FAILED, user=user, email=email, request=request, reason=reason, method=method)
    if signal:
        user_login_failed.send(sender=__name__, credentials={"email": email, "method": method}, request=request)


def _update_last_login(sender: type, user: User, **kwargs: Any) -> None:
    """Django's own receiver, except for a sign-in that already wrote last_login with the query
    that found or created the user (provisioning): then a second write would add nothing."""
    if user.__dict__.pop("_last_login_stamped", False):
        return
    update_last_login(sender, user, **kwargs)


user_logged_in.disconnect(dispatch_uid="update_last_login")
user_logged_in.connect(_update_last_login, dispatch_uid="update_last_login")
