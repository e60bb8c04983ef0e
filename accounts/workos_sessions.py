"""WorkOS's side of a sign-in's session: revoke it, build its logout URL, rotate its refresh
token. Used by accounts.sessions (refresh, sign out, endings), accounts.signin.flow (a refused
sign-in) and directory deprovisioning; it knows nothing of our own sessions."""

import logging
from dataclasses import dataclass

from accounts import jws, secretbox
from accounts.conf import app_settings
from accounts.errors import ProviderError
from workos_integration import client as workos_client

log = logging.getLogger(__name__)


def logout_url(workos_session_id: str, return_to: str | None = None) -> str | None:
    if not workos_session_id or not workos_client.is_configured():
        return None
    wos = workos_client.client()
    return workos_client.call(
        "build the logout URL",
        wos.user_management.get_logout_url,
        session_id=workos_session_id,
        return_to=return_to or app_settings.WORKOS_LOGOUT_RETURN_TO or None,
    )


def revoke_session(workos_session_id: str) -> bool:
    """Best effort: end the WorkOS session server-side. Returns False when WorkOS could not."""
    if not workos_session_id or not workos_client.is_configured():
        return False
    wos = workos_client.one_shot_client()
    try:
        workos_client.call(
            "revoke the WorkOS session",
            wos.user_management.revoke_session,
            session_id=workos_session_id,
            expect_result=False,
        )
    except ProviderError as exc:
        log.warning("Could not revoke WorkOS session %s: %s (%s)", workos_session_id, exc.message, exc.code)
        return False
    return True


def _session_active(workos_user_id: str, workos_session_id: str) -> bool:
    """Does WorkOS still count this session as active? (Its word, not our guess.)"""
    if not workos_user_id:
        return False
    wos = workos_client.client()
    page = workos_client.call(
        "list the user's WorkOS sessions", wos.user_management.list_sessions, workos_user_id, limit=100
    )
    for item in workos_client.paged(page, "list the user's WorkOS sessions"):
        if item.id == workos_session_id:
            return str(getattr(item.status, "value", item.status)) == "active"
    return False


@dataclass
class Refreshed:
    """What a WorkOS refresh changed: the new sealed refresh token ("" once it is lost), and the
    organization and role WorkOS now reports (empty: unchanged)."""

    sealed_refresh_token: str
    organization_id: str = ""
    role: str = ""
    permissions: list[str] | None = None  # None: unchanged


def refresh(
    *, workos_user_id: str, workos_session_id: str, sealed_refresh_token: str, organization_id: str = ""
) -> Refreshed:
    """Rotate the WorkOS refresh token behind one of our sign-ins; raises ProviderError
    `invalid_grant` when WorkOS has ended the session.

    A rotation whose answer never reached us (a timeout or a 5xx after WorkOS did the work)
    leaves us holding a refresh token WorkOS has already replaced, so the retry gets
    `invalid_grant` although nobody signed out. Before treating `invalid_grant` as the end of the
    sign-in we ask WorkOS whether the session is still active; if it is, the sign-in goes on and
    later refreshes (with no refresh token left) check the session's liveness the same way.

    `organization_id` moves the session to that organization (WorkOS checks the membership and
    answers that organization's role and permissions); a refusal is raised as it is.
    """
    if organization_id and not sealed_refresh_token:
        raise ProviderError(
            "This sign-in cannot change organization now: sign out and in again.",
            code="organization_switch_unavailable",
        )
    if not sealed_refresh_token:
        if not _session_active(workos_user_id, workos_session_id):
            raise ProviderError("The WorkOS session has ended.", code="invalid_grant")
        return Refreshed(sealed_refresh_token="")
    wos = workos_client.one_shot_client()
    try:
        auth = workos_client.call(
            "refresh the WorkOS session",
            wos.user_management.authenticate_with_refresh_token,
            refresh_token=secretbox.unseal(sealed_refresh_token),
            organization_id=organization_id or None,
        )
    except ProviderError as exc:
        if (
            organization_id
            or exc.code != "invalid_grant"
            or not workos_session_id
            or not _session_active(workos_user_id, workos_session_id)
        ):
            raise
        log.warning(
            "WorkOS refused the refresh token of its still active session %s: an earlier rotation's answer was lost",
            workos_session_id,
        )
        return Refreshed(sealed_refresh_token="")
    # The token came to us directly from WorkOS over TLS in answer to our own authenticated
    # request; verifying its signature would cost a JWKS fetch and prove nothing more.
    claims = jws.unverified_payload(auth.access_token)
    return Refreshed(
        sealed_refresh_token=secretbox.seal(auth.refresh_token),
        organization_id=auth.organization_id or claims.get("org_id") or "",
        role=claims.get("role") or "",
        permissions=[p for p in claims["permissions"] if isinstance(p, str)]
        if isinstance(claims.get("permissions"), list)
        else None,
    )
