"""WorkOS sign-in, end to end: authorization URLs, the unified code exchange, logout, refresh.

Called by the JSON API and by the browser views alike; it never touches HTTP requests beyond
reading the client's IP and user agent.
"""

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import transaction
from django.utils.module_loading import import_string
from workos.pkce import PKCE

from accounts import jws, policy, signin_state, workos_client
from accounts.conf import app_settings
from accounts.errors import InvalidSignInRequest, ProviderError, SignInRefused
from accounts.models import Identity, SignInMethod, SignInState, User
from accounts.provisioning import ExternalIdentity, sign_in_by_identity, sign_in_workos_user

log = logging.getLogger(__name__)

_ORG_ID = re.compile(r"^org_[0-9A-Za-z]{1,60}$")


@dataclass
class SignInResult:
    user: User
    created: bool
    method: str  # an AuthSession.Method value
    workos_session_id: str = ""
    workos_refresh_token: str = ""
    organization_id: str = ""
    role: str = ""
    next_url: str = ""
    started: object = None  # what `finish` returned: the session the sign-in started


def signed_in(sign_in, finish=None):
    """Run `sign_in()` (the account found, linked or created: a SignInResult) and, when given,
    `finish(result)` (the session it starts) in one transaction: one commit, and a sign-in that
    fails half-way writes nothing. WorkOS calls belong before it: none runs inside a transaction."""
    with transaction.atomic():
        result = sign_in()
        if finish is not None:
            result.started = finish(result)
    return result


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


def authorization_url(*, flow=SignInState.Flow.AUTHKIT, redirect_uri="", next_url="", provider="", organization_id="", connection_id="", login_hint="", domain_hint="", browser=None):
    """Start an AuthKit or SSO round trip: returns (url, state). PKCE verifier stays server-side.

    `browser` is the request of a browser sign-in: the state is bound to that browser.
    """
    redirect_uri = check_redirect_uri(redirect_uri)
    pkce = PKCE().generate()
    state = signin_state.create(flow=flow, redirect_uri=redirect_uri, code_verifier=pkce.code_verifier, next_url=next_url, browser=browser)
    common = dict(redirect_uri=redirect_uri, state=state, code_challenge=pkce.code_challenge, code_challenge_method="S256")
    wos = workos_client.client()
    if flow == SignInState.Flow.SSO:
        if not (organization_id or connection_id or provider):
            raise InvalidSignInRequest("SSO needs an organization, a connection or a provider.", code="sso_target_missing")
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
            **common,
        )
    return url, state


def _unverified_claims(access_token):
    # The token came to us directly from WorkOS over TLS in answer to our own authenticated
    # request; verifying its signature would cost a JWKS fetch per sign-in and prove nothing more.
    return jws.unverified_payload(access_token)


def _exchange_authkit(code, verifier, request, *, organization_hint, next_url, browser, finish):
    """The AuthKit code exchange, which WorkOS may answer with a step still to pass (then
    `authkit_steps.StepRequired`, kept for the browser or client that started the sign-in)."""
    from accounts import authkit_steps

    return authkit_steps.authenticate(
        "authenticate_with_code",
        method=SignInMethod.AUTHKIT,
        request=request,
        browser=request if browser else None,
        organization_hint=organization_hint,
        next_url=next_url,
        action="exchange the AuthKit code",
        code=code,
        code_verifier=verifier or None,
        finish=finish,
    )


def _exchange_sso(code, verifier):
    kwargs = {"code": code}
    if verifier:
        kwargs["code_verifier"] = verifier
    wos = workos_client.one_shot_client()
    return workos_client.call("exchange the SSO code", wos.sso.get_profile_and_token, **kwargs)


def _domain_of(email):
    return email.rsplit("@", 1)[1].lower() if "@" in (email or "") else ""


def _admitted_organization(user, wish):
    """The organization a brand-new person WorkOS placed in none may join: `wish` (the request's
    hint or the configured default) only when WorkOS says they belong there (an active
    membership), the organization verified their email's domain, or it invited them. A hint is a
    wish: anything else is refused (403 `organization_not_allowed`) before anything is written."""
    if not _ORG_ID.match(wish):  # the configured default is checked at startup (gatehouse.E016)
        raise InvalidSignInRequest("organization_id must be a WorkOS organization id (org_...).", code="invalid_organization_id")
    wos = workos_client.client()
    try:
        org = workos_client.call("look up the organization", wos.organizations.get_organization, wish)
    except ProviderError as exc:
        if exc.status == 404:
            raise InvalidSignInRequest("organization_id names no organization.", code="organization_not_found") from None
        raise
    domain = _domain_of(user.email)
    if user.email_verified and domain and domain in _verified_domains(org):
        return wish
    memberships = workos_client.call(
        "look up the organization membership", wos.organization_membership.list_organization_memberships, user_id=user.id, organization_id=wish, statuses=["active"], limit=1
    )
    if any(m.organization_id == wish for m in memberships.data):
        return wish
    invitations = workos_client.call("look up the invitations", wos.user_management.list_invitations, email=user.email, organization_id=wish, limit=100)
    if any(str(getattr(i.state, "value", i.state)) == "pending" for i in invitations.data):
        return wish
    raise SignInRefused(
        "You are not a member of this organization. Ask one of its administrators to invite you.", code="organization_not_allowed", detail={"organization_id": wish}
    )


def _oldest_organization():
    wos = workos_client.client()
    page = workos_client.call("list the organizations", wos.organizations.list_organizations, order="asc", limit=1)
    return page.data[0].id if page.data else ""


def _organization_for_new_user(user, organization_hint):
    """Where a person WorkOS gives no organization is placed on their first sign-in here ("":
    nowhere). Only GATEHOUSE_OPEN_ORGANIZATION_FALLBACK (single-tenant deployments) places a
    person without proof, and never where the request asked."""
    if organization_hint:
        return _admitted_organization(user, organization_hint)
    default = app_settings.GATEHOUSE_DEFAULT_ORGANIZATION_ID
    if app_settings.GATEHOUSE_OPEN_ORGANIZATION_FALLBACK:
        return default or _oldest_organization()
    return _admitted_organization(user, default) if default else ""


def complete_authkit(auth, organization_hint, *, method=SignInMethod.AUTHKIT, next_url="", finish=None):
    """Sign in the WorkOS user of a successful `/user_management/authenticate` answer (any grant;
    `method` is how the person signed in, unless WorkOS says it was SSO); `finish` as in
    `signed_in`."""
    claims = _unverified_claims(auth.access_token)
    try:
        return _sign_in_authkit_user(auth, claims, organization_hint, method=method, next_url=next_url, finish=finish)
    except Exception:
        # WorkOS has signed the person in already: a sign-in we refuse (or fail to finish) must
        # not leave that WorkOS session alive, or AuthKit would keep them signed in there.
        revoke_session(claims.get("sid") or "")
        raise


def _sign_in_authkit_user(auth, claims, organization_hint, *, method, next_url, finish):
    user = auth.user
    org_id = auth.organization_id or claims.get("org_id") or ""
    # The hint (else the configured default) is only for a brand-new user WorkOS gives no organization.
    if org_id or User.objects.filter(workos_user_id=user.id).exists():
        organization_hint = ""
    else:
        organization_hint = _organization_for_new_user(user, organization_hint)
    identity = ExternalIdentity(
        provider=Identity.Provider.WORKOS,
        subject=user.id,
        email=user.email,
        email_verified=bool(user.email_verified),
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        workos_user_id=user.id,
        organization_id=org_id,
        role=claims.get("role") or "",
    )
    if str(getattr(auth.authentication_method, "value", auth.authentication_method)) == "SSO":
        method = SignInMethod.SSO

    def sign_in():
        django_user, created = sign_in_workos_user(identity, organization_hint=organization_hint, rule=rule)
        return SignInResult(
            user=django_user,
            created=created,
            method=method,
            workos_session_id=claims.get("sid") or "",
            workos_refresh_token=auth.refresh_token or "",
            organization_id=identity.organization_id or organization_hint,
            role=identity.role,
            next_url=next_url,
        )

    rule = policy.check_method(identity.email, method, organization_id=identity.organization_id)
    return signed_in(sign_in, finish)


def organization_verified_domains(organization_id):
    """The email domains WorkOS says the organization has verified (a set; empty when unknown)."""
    wos = workos_client.client()
    try:
        org = workos_client.call("look up the organization", wos.organizations.get_organization, organization_id)
    except ProviderError as exc:
        if exc.status == 404:
            return set()
        raise
    return _verified_domains(org)


def _verified_domains(org):
    return {d.domain.lower() for d in org.domains or [] if str(getattr(d.state, "value", d.state)) == "verified"}


def _sso_email_verified(profile):
    """An SSO profile's email is only what the customer's identity provider asserts. It counts as
    verified when its domain is one the organization has proven it owns; with WorkOS's "allow
    profiles outside organization" setting on, any other address is just text."""
    email = (profile.email or "").strip().lower()
    if not profile.organization_id or "@" not in email:
        return False
    domains = import_string(app_settings.GATEHOUSE_ORGANIZATION_DOMAINS)(profile.organization_id)
    return email.rsplit("@", 1)[1] in domains


def _complete_sso(result, next_url, finish):
    profile = result.profile
    role = getattr(getattr(profile, "role", None), "slug", "") or ""
    identity = ExternalIdentity(
        provider=Identity.Provider.WORKOS_SSO,
        subject=profile.id,
        email=profile.email,
        email_verified=_sso_email_verified(profile),
        first_name=profile.first_name or "",
        last_name=profile.last_name or "",
        organization_id=profile.organization_id or "",
        role=role,
    )
    rule = policy.check_method(identity.email, SignInMethod.SSO, organization_id=identity.organization_id, connection_id=profile.connection_id)

    def sign_in():
        user, created = sign_in_by_identity(identity, may_create=True, rule=rule)
        return SignInResult(user=user, created=created, method=SignInMethod.SSO, organization_id=identity.organization_id, role=role, next_url=next_url)

    return signed_in(sign_in, finish)


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
    "access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type", "invalid_scope", "server_error",
    "temporarily_unavailable", "interaction_required", "login_required", "account_selection_required", "consent_required",
}


def callback_error(error, error_description=None):
    """The ProviderError for an `error` the provider sent back to the redirect URI."""
    error = str(error)
    log.info("Sign-in callback carried a provider error: %r (%r)", error[:100], str(error_description or "")[:300])
    code, message = _CALLBACK_ERRORS.get(error, _CALLBACK_ERROR_DEFAULT)
    detail = {"provider_error": error} if error in _OAUTH_ERROR_CODES else None
    return ProviderError(message, code=code, status=400, detail=detail)


def complete(*, code, state=None, redirect_uri=None, organization_hint="", error=None, error_description=None, request=None, browser=False, finish=None):
    """The unified callback: one exchange with WorkOS, then provisioning. Returns a SignInResult;
    with `finish`, whatever it returns for that result (the session) is `result.started`, written
    in the sign-in's transaction (`signed_in`).

    `browser` True is the browser callback: the state is required and must belong to the
    browser of `request`. The JSON callback may omit it (the seed contract) and then the code
    is tried as an AuthKit code first, as an SSO code on `invalid_grant`.
    """
    if error:
        if state and isinstance(state, str):
            _discard_state(state)
        raise callback_error(error, error_description)
    if not code or not isinstance(code, str):
        raise InvalidSignInRequest("The authorization code is missing.", code="code_missing")
    if browser and not state:
        raise InvalidSignInRequest("The sign-in link is incomplete. Start again from the sign-in page.", code="state_missing")
    flow, verifier, next_url = None, "", ""
    if state:
        saved = signin_state.consume(state, browser=request if browser else None)
        if redirect_uri and redirect_uri != saved.redirect_uri:
            raise InvalidSignInRequest("redirect_uri differs from the one the sign-in started with.", code="redirect_uri_mismatch")
        flow, verifier, next_url = saved.flow, saved.code_verifier, saved.next_url
    elif redirect_uri:
        check_redirect_uri(redirect_uri)

    authkit = dict(organization_hint=organization_hint, next_url=next_url, browser=browser, finish=finish)
    if flow == SignInState.Flow.SSO:
        result = _complete_sso(_exchange_sso(code, verifier), next_url, finish)
    elif flow == SignInState.Flow.AUTHKIT:
        result = _exchange_authkit(code, verifier, request, **authkit)
    else:
        try:
            result = _exchange_authkit(code, verifier, request, **authkit)
        except ProviderError as exc:
            if exc.code != "invalid_grant":
                raise
            result = _complete_sso(_exchange_sso(code, verifier), next_url, finish)
    return result


def _discard_state(state):
    try:
        signin_state.consume(state)
    except InvalidSignInRequest:
        pass


def logout_url(workos_session_id, return_to=None):
    if not workos_session_id or not workos_client.is_configured():
        return None
    wos = workos_client.client()
    return workos_client.call(
        "build the logout URL",
        wos.user_management.get_logout_url,
        session_id=workos_session_id,
        return_to=return_to or app_settings.WORKOS_LOGOUT_RETURN_TO or None,
    )


def revoke_session(workos_session_id):
    """Best effort: end the WorkOS session server-side. Returns False when WorkOS could not."""
    if not workos_session_id or not workos_client.is_configured():
        return False
    wos = workos_client.one_shot_client()
    try:
        workos_client.call("revoke the WorkOS session", wos.user_management.revoke_session, session_id=workos_session_id, expect_result=False)
    except ProviderError as exc:
        log.warning("Could not revoke WorkOS session %s: %s (%s)", workos_session_id, exc.message, exc.code)
        return False
    return True


def _workos_session_active(workos_user_id, workos_session_id):
    """Does WorkOS still count this session as active? (Its word, not our guess.)"""
    if not workos_user_id:
        return False
    wos = workos_client.client()
    page = workos_client.call("list the user's WorkOS sessions", wos.user_management.list_sessions, workos_user_id, limit=100)
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


def refresh_workos_session(*, workos_user_id, workos_session_id, sealed_refresh_token):
    """Rotate the WorkOS refresh token behind one of our sign-ins; raises ProviderError
    `invalid_grant` when WorkOS has ended the session.

    A rotation whose answer never reached us (a timeout or a 5xx after WorkOS did the work)
    leaves us holding a refresh token WorkOS has already replaced, so the retry gets
    `invalid_grant` although nobody signed out. Before treating `invalid_grant` as the end of the
    sign-in we ask WorkOS whether the session is still active; if it is, the sign-in goes on and
    later refreshes (with no refresh token left) check the session's liveness the same way.
    """
    from accounts import secretbox

    if not sealed_refresh_token:
        if not _workos_session_active(workos_user_id, workos_session_id):
            raise ProviderError("The WorkOS session has ended.", code="invalid_grant")
        return Refreshed(sealed_refresh_token="")
    wos = workos_client.one_shot_client()
    try:
        auth = workos_client.call(
            "refresh the WorkOS session",
            wos.user_management.authenticate_with_refresh_token,
            refresh_token=secretbox.unseal(sealed_refresh_token),
        )
    except ProviderError as exc:
        if exc.code != "invalid_grant" or not workos_session_id or not _workos_session_active(workos_user_id, workos_session_id):
            raise
        log.warning("WorkOS refused the refresh token of its still active session %s: an earlier rotation's answer was lost", workos_session_id)
        return Refreshed(sealed_refresh_token="")
    claims = _unverified_claims(auth.access_token)
    return Refreshed(
        sealed_refresh_token=secretbox.seal(auth.refresh_token),
        organization_id=auth.organization_id or claims.get("org_id") or "",
        role=claims.get("role") or "",
    )
