"""WorkOS as a way in: authorization URLs, the unified code exchange (AuthKit and SSO codes), and
the `/user_management/authenticate` grants every AuthKit sign-in shares.

Each sign-in here ends in an `Identity` (who WorkOS says signed in, with the WorkOS session to
revoke if we refuse) or a `Pending` step: when WorkOS answers a grant with a pending
authentication token (email verification, MFA enrollment or challenge, organization selection),
the token is sealed into a server-side sign-in state bound to the browser that started the
sign-in (or to nobody, for API clients); the client gets an opaque `pending_token` naming it.
Nothing here writes users or sessions: that is accounts.signin.flow's job.
"""

import logging
import re
from urllib.parse import urlencode

from django.utils.module_loading import import_string
from workos.pkce import PKCE

from accounts import jws, memberships, secretbox
from accounts.client import client_ip, user_agent
from accounts.conf import app_settings
from accounts.errors import InvalidSignInRequest, ProviderError, SignInRefused
from accounts.models import Identity as LinkedIdentity
from accounts.models import SignInMethod, SignInState
from accounts.signin import state as signin_state
from accounts.signin.identity import Identity, Pending
from workos_integration import client as workos_client
from workos_integration.sdk import (
    EmailVerificationRequiredError,
    MfaChallengeError,
    MfaEnrollmentError,
    OrganizationSelectionRequiredError,
)

log = logging.getLogger(__name__)

_ORG_ID = re.compile(r"^org_[0-9A-Za-z]{1,60}$")

# The steps, keyed by their code (WorkOS's own): what to tell the person.
STEPS = {
    "email_verification_required": (EmailVerificationRequiredError, "Enter the code we sent to your email address."),
    "mfa_enrollment": (MfaEnrollmentError, "Set up an authenticator app to finish signing in."),
    "mfa_challenge": (MfaChallengeError, "Enter the code from your authenticator app."),
    "organization_selection_required": (OrganizationSelectionRequiredError, "Choose the organization to sign in to."),
}


# --- authorization URLs ------------------------------------------------------------------------


def allowed_redirect_uris():
    uris = [app_settings.WORKOS_REDIRECT_URI, *app_settings.WORKOS_ALLOWED_REDIRECT_URIS]
    return [u for u in uris if u]


def check_redirect_uri(redirect_uri):
    redirect_uri = redirect_uri or app_settings.WORKOS_REDIRECT_URI
    if redirect_uri not in allowed_redirect_uris():
        raise InvalidSignInRequest(
            "redirect_uri is not one of this server's allowed redirect URIs.", code="redirect_uri_not_allowed"
        )
    return redirect_uri


def authorization_url(
    *,
    flow=SignInState.Flow.AUTHKIT,
    redirect_uri="",
    next_url="",
    provider="",
    organization_id="",
    connection_id="",
    login_hint="",
    domain_hint="",
    invitation_token="",
    browser=None,
):
    """Start an AuthKit or SSO round trip: returns (url, state). PKCE verifier stays server-side.
    An `invitation_token` (AuthKit) signs the person in accepting that invitation.

    `browser` is the request of a browser sign-in: the state is bound to that browser.
    """
    redirect_uri = check_redirect_uri(redirect_uri)
    pkce = PKCE().generate()
    state = signin_state.create(
        flow=flow, redirect_uri=redirect_uri, code_verifier=pkce.code_verifier, next_url=next_url, browser=browser
    )
    common = dict(
        redirect_uri=redirect_uri, state=state, code_challenge=pkce.code_challenge, code_challenge_method="S256"
    )
    wos = workos_client.client()
    if flow == SignInState.Flow.SSO:
        if not (organization_id or connection_id or provider):
            raise InvalidSignInRequest(
                "SSO needs an organization, a connection or a provider.", code="sso_target_missing"
            )
        url = workos_client.call(
            "build the SSO URL",
            wos.sso.get_authorization_url,
            organization=organization_id or None,
            connection=connection_id or None,
            provider=provider or None,
            login_hint=login_hint or None,
            domain_hint=domain_hint or None,
            redirect_uri=redirect_uri,
            state=state,
        )
        # The SDK's SSO URL builder has no PKCE arguments; the endpoint accepts them.
        url += "&" + urlencode({"code_challenge": pkce.code_challenge, "code_challenge_method": "S256"})
    else:
        url = workos_client.call(
            "build the AuthKit URL",
            wos.user_management.get_authorization_url,
            provider=provider or ("authkit" if not (organization_id or connection_id) else None),
            organization_id=organization_id or None,
            connection_id=connection_id or None,
            login_hint=login_hint or None,
            domain_hint=domain_hint or None,
            invitation_token=invitation_token or None,
            **common,
        )
    return url, state


# --- the unified code exchange ----------------------------------------------------------------

# OAuth error codes a provider may put on the redirect back, in our own words. Whatever the
# provider wrote is logged, never shown: it arrives in a URL anyone can craft.
_CALLBACK_ERRORS = {
    "access_denied": ("sign_in_cancelled", "The sign-in was cancelled or refused at the identity provider."),
    "temporarily_unavailable": ("provider_unavailable", "The identity provider is unavailable. Try again in a moment."),
    "server_error": ("provider_unavailable", "The identity provider had an error. Try again in a moment."),
}
_CALLBACK_ERROR_DEFAULT = ("provider_error", "The identity provider could not complete the sign-in. Start again.")
# RFC 6749 4.1.2.1 and OpenID Connect Core 3.1.2.6: these may be passed on as `detail`.
_OAUTH_ERROR_CODES = {
    "access_denied",
    "invalid_request",
    "unauthorized_client",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "interaction_required",
    "login_required",
    "account_selection_required",
    "consent_required",
}


def callback_error(error, error_description=None):
    """The ProviderError for an `error` the provider sent back to the redirect URI."""
    error = str(error)
    log.info("Sign-in callback carried a provider error: %r (%r)", error[:100], str(error_description or "")[:300])
    code, message = _CALLBACK_ERRORS.get(error, _CALLBACK_ERROR_DEFAULT)
    detail = {"provider_error": error} if error in _OAUTH_ERROR_CODES else None
    return ProviderError(message, code=code, status=400, detail=detail)


def exchange_code(
    *,
    code,
    state=None,
    redirect_uri=None,
    organization_hint="",
    error=None,
    error_description=None,
    request=None,
    browser=None,
):
    """The unified callback's proof: one exchange with WorkOS -> Identity | Pending.

    `browser` is the request of the browser callback: the state is required and must belong to
    it. The JSON callback may omit the state (the seed contract) and then the code is tried as an
    AuthKit code first, as an SSO code on `invalid_grant`.
    """
    if error:
        if state and isinstance(state, str):
            signin_state.discard_value(state)
        raise callback_error(error, error_description)
    if not code or not isinstance(code, str):
        raise InvalidSignInRequest("The authorization code is missing.", code="code_missing")
    if browser is not None and not state:
        raise InvalidSignInRequest(
            "The sign-in link is incomplete. Start again from the sign-in page.", code="state_missing"
        )
    flow, verifier, next_url = None, "", ""
    if state:
        saved = signin_state.consume(state, browser=browser)
        if redirect_uri and redirect_uri != saved.redirect_uri:
            raise InvalidSignInRequest(
                "redirect_uri differs from the one the sign-in started with.", code="redirect_uri_mismatch"
            )
        flow, verifier, next_url = saved.flow, saved.code_verifier, saved.next_url
    elif redirect_uri:
        check_redirect_uri(redirect_uri)

    def authkit():
        return authenticate(
            "authenticate_with_code",
            method=SignInMethod.AUTHKIT,
            request=request,
            browser=browser,
            organization_hint=organization_hint,
            next_url=next_url,
            action="exchange the AuthKit code",
            code=code,
            code_verifier=verifier or None,
        )

    if flow == SignInState.Flow.SSO:
        return _sso_identity(_exchange_sso(code, verifier), next_url)
    if flow == SignInState.Flow.AUTHKIT:
        return authkit()
    try:
        return authkit()
    except ProviderError as exc:
        if exc.code != "invalid_grant":
            raise
        return _sso_identity(_exchange_sso(code, verifier), next_url)


def _exchange_sso(code, verifier):
    kwargs = {"code": code}
    if verifier:
        kwargs["code_verifier"] = verifier
    wos = workos_client.one_shot_client()
    return workos_client.call("exchange the SSO code", wos.sso.get_profile_and_token, **kwargs)


def _sso_email_verified(profile):
    """An SSO profile's email is only what the customer's identity provider asserts. It counts as
    verified when its domain is one the organization has proven it owns; with WorkOS's "allow
    profiles outside organization" setting on, any other address is just text."""
    email = (profile.email or "").strip().lower()
    if not profile.organization_id or "@" not in email:
        return False
    domains = import_string(app_settings.GATEHOUSE_ORGANIZATION_DOMAINS)(profile.organization_id)
    return email.rsplit("@", 1)[1] in domains


def _sso_identity(result, next_url):
    profile = result.profile
    return Identity(
        provider=LinkedIdentity.Provider.WORKOS_SSO,
        subject=profile.id,
        email=profile.email,
        email_verified=_sso_email_verified(profile),
        method=SignInMethod.SSO,
        first_name=profile.first_name or "",
        last_name=profile.last_name or "",
        organization_id=profile.organization_id or "",
        role=getattr(getattr(profile, "role", None), "slug", "") or "",
        connection_id=profile.connection_id or "",
        next_url=next_url,
    )


# --- the grants -------------------------------------------------------------------------------


def client_kwargs(request):
    return (
        {"ip_address": client_ip(request) or None, "user_agent": user_agent(request) or None}
        if request is not None
        else {}
    )


def _step_of(exc):
    """The step code of a WorkOS failure, when it is a pending step (the SDK's exception is the
    translated error's cause)."""
    cause = exc.__cause__
    return next((code for code, (kind, _) in STEPS.items() if isinstance(cause, kind)), None)


def public_step(state, handle):
    """What the client needs for the step of a pending sign-in (never WorkOS's token)."""
    detail = {"pending_token": handle, "step": state.step}
    if state.step == "email_verification_required":
        detail["email"] = state.email
    elif state.step == "mfa_challenge":
        detail["factors"] = state.factors
    elif state.step == "organization_selection_required":
        detail["organizations"] = state.organizations
    return detail


def _pause(exc, *, method, organization_hint, next_url, browser, mfa_enrolled=False):
    """Keep WorkOS's pending token server-side; the Pending step for the client."""
    cause, code = exc.__cause__, _step_of(exc)
    user = getattr(cause, "user", None) or {}
    fields = dict(
        step=code,
        secret=secretbox.seal(cause.pending_authentication_token or ""),
        method=method,
        organization_hint=organization_hint,
        workos_user_id=user.get("id", ""),
        email=getattr(cause, "email", None) or user.get("email", ""),
        factors=[
            {"id": f["id"], "type": f.get("type", "totp")} for f in getattr(cause, "authentication_factors", None) or []
        ],
        organizations=[{"id": o["id"], "name": o.get("name", "")} for o in getattr(cause, "organizations", None) or []],
        mfa_enrolled=mfa_enrolled,
    )
    handle = signin_state.create(flow=SignInState.Flow.PENDING, next_url=next_url, browser=browser, **fields)
    return Pending(step=code, message=STEPS[code][1], detail=public_step(SignInState(**fields), handle))


def authenticate(
    grant,
    *,
    method,
    request=None,
    browser=None,
    organization_hint="",
    next_url="",
    action="sign in with WorkOS",
    mfa_enrolled=False,
    **kwargs,
):
    """Run one `/user_management/authenticate` grant (an SDK `authenticate_with_*` method, called
    once: codes are single-use) -> the Identity WorkOS vouches for, or the Pending step it asks
    for. `method` is how the person signed in, unless WorkOS says it was SSO; `mfa_enrolled`: an
    earlier step of this sign-in set up an authenticator."""
    wos = workos_client.one_shot_client()
    try:
        auth = workos_client.call(action, getattr(wos.user_management, grant), **client_kwargs(request), **kwargs)
    except ProviderError as exc:
        if _step_of(exc) is None:
            raise
        return _pause(
            exc,
            method=method,
            organization_hint=organization_hint,
            next_url=next_url,
            browser=browser,
            mfa_enrolled=mfa_enrolled,
        )
    # The token came to us directly from WorkOS over TLS in answer to our own authenticated
    # request; verifying its signature would cost a JWKS fetch per sign-in and prove nothing more.
    claims = jws.unverified_payload(auth.access_token)
    user = auth.user
    if str(getattr(auth.authentication_method, "value", auth.authentication_method)) == "SSO":
        method = SignInMethod.SSO
    return Identity(
        provider=LinkedIdentity.Provider.WORKOS,
        subject=user.id,
        email=user.email,
        email_verified=bool(user.email_verified),
        method=method,
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        workos_user_id=user.id,
        organization_id=auth.organization_id or claims.get("org_id") or "",
        role=claims.get("role") or "",
        permissions=_permissions(claims),
        impersonator=_impersonator(auth),
        organization_hint=organization_hint,
        workos_session_id=claims.get("sid") or "",
        workos_refresh_token=auth.refresh_token or "",
        next_url=next_url,
        mfa_enrolled=mfa_enrolled,
    )


def _impersonator(auth):
    """{email, reason} of the support staff WorkOS says signed in as the person, or None."""
    who = getattr(auth, "impersonator", None)
    if who is None or not getattr(who, "email", ""):
        return None
    return {"email": str(who.email)[:254], "reason": str(getattr(who, "reason", "") or "")[:500]}


def _permissions(claims):
    """The permission slugs of WorkOS's access token (its role's, in its organization)."""
    granted = claims.get("permissions")
    return tuple(p for p in granted if isinstance(p, str)) if isinstance(granted, list) else ()


# --- organizations of new people --------------------------------------------------------------


def _organization(organization_id):
    """The organization WorkOS has with this id, or None."""
    wos = workos_client.client()
    try:
        return workos_client.call("look up the organization", wos.organizations.get_organization, organization_id)
    except ProviderError as exc:
        if exc.status == 404:
            return None
        raise


def organization_verified_domains(organization_id):
    """The email domains WorkOS says the organization has verified (a set; empty when unknown)."""
    org = _organization(organization_id)
    return _verified_domains(org) if org is not None else set()


def _verified_domains(org):
    return {d.domain.lower() for d in org.domains or [] if str(getattr(d.state, "value", d.state)) == "verified"}


def _admitted_organization(identity, wish):
    """The organization a brand-new person WorkOS placed in none may join: `wish` (the request's
    hint or the configured default) only when WorkOS says they belong there (an active
    membership), the organization verified their email's domain, or it invited them. A hint is a
    wish: anything else is refused (403 `organization_not_allowed`) before anything is written."""
    if not _ORG_ID.match(wish):  # the configured default is checked at startup (gatehouse.E016)
        raise InvalidSignInRequest(
            "organization_id must be a WorkOS organization id (org_...).", code="invalid_organization_id"
        )
    org = _organization(wish)
    if org is None:
        raise InvalidSignInRequest("organization_id names no organization.", code="organization_not_found")
    wos = workos_client.client()
    domain = identity.email.rsplit("@", 1)[1] if "@" in identity.email else ""
    if identity.email_verified and domain and domain in _verified_domains(org):
        return wish
    if memberships.is_active_member(identity.workos_user_id, wish):
        return wish
    invitations = workos_client.call(
        "look up the invitations",
        wos.user_management.list_invitations,
        email=identity.email,
        organization_id=wish,
        limit=100,
    )
    if any(str(getattr(i.state, "value", i.state)) == "pending" for i in invitations.data):
        return wish
    raise SignInRefused(
        "You are not a member of this organization. Ask one of its administrators to invite you.",
        code="organization_not_allowed",
        detail={"organization_id": wish},
    )


def _oldest_organization():
    wos = workos_client.client()
    page = workos_client.call("list the organizations", wos.organizations.list_organizations, order="asc", limit=1)
    return page.data[0].id if page.data else ""


def organization_for_new_person(identity):
    """Where a person WorkOS gives no organization is placed on their first sign-in here ("":
    nowhere). Only GATEHOUSE_OPEN_ORGANIZATION_FALLBACK (single-tenant deployments) places a
    person without proof, and never where the request asked."""
    if identity.organization_hint:
        return _admitted_organization(identity, identity.organization_hint)
    default = app_settings.GATEHOUSE_DEFAULT_ORGANIZATION_ID
    if app_settings.GATEHOUSE_OPEN_ORGANIZATION_FALLBACK:
        return default or _oldest_organization()
    return _admitted_organization(identity, default) if default else ""
