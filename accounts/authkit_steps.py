"""AuthKit's API sign-ins besides the redirect, and the steps any WorkOS sign-in may still need.

Every function here ends like the unified callback: a `workos_auth.SignInResult` (the Django user
found, linked or provisioned under the same policy and login rules) and, with `finish`, the API's
JWT pair or the pages' Django session started in the same transaction (`result.started`). Or it
raises `StepRequired` (403):

- Pending steps. When WorkOS answers a grant with a pending authentication token (email
  verification, MFA enrollment or challenge, organization selection), the token is sealed into a
  server-side `SignInState` (flow PENDING) bound to the browser that started the sign-in (or to
  nobody, for API clients); the client gets an opaque `pending_token` naming that row, the step's
  code, and what it needs to show (where the code went, the factors, the organizations). The
  completion functions run the matching WorkOS grant with the kept token: the next step, or the
  sign-in. A wrong code may be retried up to `MAX_ATTEMPTS` times.
- Magic codes (`send_magic_code`, `verify_magic_code`), WorkOS-held passwords
  (`password_sign_in`), password reset (`send_password_reset`, `confirm_password_reset`) and the
  device authorization of a CLI (RFC 8628: `start_device`, `poll_device`).
"""

import logging
import time

from accounts import audit, policy, secretbox, signin_state, workos_auth, workos_client
from accounts.client import client_ip, user_agent
from accounts.conf import app_settings
from accounts.errors import GatehouseError, InvalidSignInRequest, ProviderError, ProviderUnavailable
from accounts.models import AuditEvent, AuthSession, SignInMethod, SignInState, User, normalize_email
from accounts.workos_sdk import EmailVerificationRequiredError, MfaChallengeError, MfaEnrollmentError, OrganizationSelectionRequiredError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Answers that end a pending sign-in: starting again is the only way on.
FINAL_CODES = {"invalid_pending_authentication_token", "one_time_code_too_many_attempts", "one_time_code_expired", "invalid_grant", "sign_in_expired"}


class StepRequired(GatehouseError):
    """The sign-in is not finished: `code` names the step, `detail` carries `pending_token`."""

    status = 403


# The steps, keyed by their code (WorkOS's own): what to tell the person.
STEPS = {
    "email_verification_required": (EmailVerificationRequiredError, "Enter the code we sent to your email address."),
    "mfa_enrollment": (MfaEnrollmentError, "Set up an authenticator app to finish signing in."),
    "mfa_challenge": (MfaChallengeError, "Enter the code from your authenticator app."),
    "organization_selection_required": (OrganizationSelectionRequiredError, "Choose the organization to sign in to."),
}


def _step_of(exc):
    """The step code of a WorkOS failure, when it is a pending step (the SDK's exception is the
    translated error's cause)."""
    cause = exc.__cause__
    return next((code for code, (kind, _) in STEPS.items() if isinstance(cause, kind)), None)


def _pause(exc, *, method, organization_hint, next_url, browser):
    """Keep WorkOS's pending token server-side; return the StepRequired for the client."""
    cause, code = exc.__cause__, _step_of(exc)
    user = getattr(cause, "user", None) or {}
    extra = {
        "step": code,
        "token": secretbox.seal(cause.pending_authentication_token or ""),
        "method": method,
        "organization_hint": organization_hint,
        "user_id": user.get("id", ""),
        "email": getattr(cause, "email", None) or user.get("email", ""),
        "factors": [{"id": f["id"], "type": f.get("type", "totp")} for f in getattr(cause, "authentication_factors", None) or []],
        "organizations": [{"id": o["id"], "name": o.get("name", "")} for o in getattr(cause, "organizations", None) or []],
    }
    handle = signin_state.create(flow=SignInState.Flow.PENDING, redirect_uri="", next_url=next_url, extra=extra, browser=browser)
    return StepRequired(STEPS[code][1], code=code, detail=public_step(extra, handle))


def public_step(extra, handle):
    """What the client needs for the step (never WorkOS's token)."""
    detail = {"pending_token": handle, "step": extra["step"]}
    if extra["step"] == "email_verification_required":
        detail["email"] = extra["email"]
    elif extra["step"] == "mfa_challenge":
        detail["factors"] = extra["factors"]
    elif extra["step"] == "organization_selection_required":
        detail["organizations"] = extra["organizations"]
    return detail


def _client_kwargs(request):
    return {"ip_address": client_ip(request) or None, "user_agent": user_agent(request) or None} if request is not None else {}


def authenticate(grant, *, method, request=None, browser=None, organization_hint="", next_url="", action="sign in with WorkOS", finish=None, **kwargs):
    """Run one `/user_management/authenticate` grant (an SDK `authenticate_with_*` method, called
    once: codes are single-use) and finish the sign-in, or pause it at the step WorkOS asks for.
    `finish(result)`, when given, starts the session in the sign-in's transaction
    (`workos_auth.signed_in`)."""
    wos = workos_client.one_shot_client()
    try:
        auth = workos_client.call(action, getattr(wos.user_management, grant), **_client_kwargs(request), **kwargs)
    except ProviderError as exc:
        if _step_of(exc) is None:
            raise
        raise _pause(exc, method=method, organization_hint=organization_hint, next_url=next_url, browser=browser) from None
    return workos_auth.complete_authkit(auth, organization_hint, method=method, next_url=next_url, finish=finish)


# --- completing a pending sign-in ------------------------------------------------------------


def pending(handle, *, browser=None):
    """The pending sign-in a `pending_token` names (for pages that show the current step)."""
    return signin_state.load(handle, flow=SignInState.Flow.PENDING, browser=browser)


def _continue(state, grant, *, request, browser, **kwargs):
    extra = state.extra
    # The try is spent before WorkOS is asked: parallel requests with one pending_token get at
    # most MAX_ATTEMPTS answers from WorkOS between them.
    spent = signin_state.take_attempt(state, MAX_ATTEMPTS)
    if spent is None:
        signin_state.discard(state)
        raise ProviderError("This sign-in can no longer be finished. Start again.", code="sign_in_expired", status=400)
    try:
        result = authenticate(
            grant,
            method=extra["method"],
            request=request,
            browser=browser,
            organization_hint=extra["organization_hint"],
            next_url=state.next_url,
            action="finish the sign-in",
            pending_authentication_token=secretbox.unseal(extra["token"]),
            **kwargs,
        )
    except StepRequired:
        signin_state.discard(state)  # the next step has its own pending token
        raise
    except ProviderUnavailable:
        signin_state.give_back_attempt(state)  # WorkOS failed or is busy: the same step may be tried again
        raise
    except ProviderError as exc:
        if exc.code in FINAL_CODES or spent >= MAX_ATTEMPTS:
            signin_state.discard(state)
            raise ProviderError("This sign-in can no longer be finished. Start again.", code=exc.code if exc.code in FINAL_CODES else "sign_in_expired", status=400) from None
        if exc.code == "invalid_one_time_code":
            left = MAX_ATTEMPTS - spent
            raise ProviderError(f"That code is not right. {left} {'try' if left == 1 else 'tries'} left.", code=exc.code, status=400, detail={"attempts_left": left}) from None
        raise
    except GatehouseError:
        signin_state.discard(state)  # refused by policy: nothing to retry
        raise
    signin_state.discard(state)
    return result


def _expect(state, *steps):
    if state.extra.get("step") not in steps:
        raise InvalidSignInRequest(f"This sign-in is waiting for another step ({state.extra.get('step')}).", code="wrong_step", detail={"step": state.extra.get("step")})


def _code(value):
    code = "".join(str(value or "").split())
    if not code.isdigit() or len(code) > 10:
        raise InvalidSignInRequest("Enter the code: digits only.", code="invalid_one_time_code")
    return code


def verify_email(handle, code, *, request, browser=None, finish=None):
    state = pending(handle, browser=browser)
    _expect(state, "email_verification_required")
    return _continue(state, "authenticate_with_email_verification", request=request, browser=browser, finish=finish, code=_code(code))


def enroll_totp(handle, *, browser=None):
    """Create the person's first TOTP factor. Returns what their authenticator app needs (the QR
    code, the secret, the otpauth URI): shown this once. Asking again replaces the factor.

    One enrollment at a time per pending sign-in (a lease on its row): two holders of one
    pending_token racing would otherwise leave two factors, and the one that did not finish the
    sign-in would keep working on later ones."""
    state = pending(handle, browser=browser)
    _expect(state, "mfa_enrollment")
    held = signin_state.lease(state, 2 * app_settings.WORKOS_REQUEST_TIMEOUT + 5)
    if held is None:
        raise InvalidSignInRequest("The authenticator is being set up by another request. Try again in a moment.", code="step_in_progress", status=409)
    try:
        return _enroll(held)
    finally:
        signin_state.release(held)


def _enroll(state):
    extra = state.extra
    mfa = workos_client.one_shot_client().multi_factor_auth
    if extra.get("factor_id"):  # an enrollment never confirmed: replace it, never add a second
        try:
            workos_client.call("remove the unconfirmed factor", mfa.delete_factor, extra["factor_id"], expect_result=False)
        except ProviderError as exc:
            if exc.status != 404:
                raise
        del extra["factor_id"]
        extra.pop("challenge_id", None)
    enrolled = workos_client.call(
        "enroll the authenticator",
        mfa.create_user_auth_factor,
        extra["user_id"],
        type="totp",
        totp_issuer=app_settings.GATEHOUSE_TOTP_ISSUER,
        totp_user=extra["email"] or None,
    )
    factor = enrolled.authentication_factor
    extra.update(factor_id=factor.id, challenge_id=enrolled.authentication_challenge.id)
    return {"factor_id": factor.id, "qr_code": factor.totp.qr_code, "secret": factor.totp.secret, "uri": factor.totp.uri}


def verify_totp(handle, code, *, factor_id="", request, browser=None, finish=None):
    state = pending(handle, browser=browser)
    _expect(state, "mfa_challenge", "mfa_enrollment")
    code, extra = _code(code), state.extra
    if extra["step"] == "mfa_enrollment":
        if not extra.get("challenge_id"):
            raise InvalidSignInRequest("Set up the authenticator first.", code="mfa_enrollment_required")
    else:
        factors = [f["id"] for f in extra["factors"] if f["type"] == "totp"]
        factor_id = factor_id or (factors[0] if factors else "")
        if factor_id not in factors:
            raise InvalidSignInRequest("factor_id is not one of this sign-in's factors.", code="factor_not_offered")
        if extra.get("factor_id") != factor_id or not extra.get("challenge_id"):
            mfa = workos_client.one_shot_client().multi_factor_auth
            challenge = workos_client.call("challenge the authenticator", mfa.challenge_factor, factor_id)
            extra.update(factor_id=factor_id, challenge_id=challenge.id)
            signin_state.save(state)
    return _continue(state, "authenticate_with_totp", request=request, browser=browser, finish=finish, code=code, authentication_challenge_id=extra["challenge_id"])


def choose_organization(handle, organization_id, *, request, browser=None, finish=None):
    state = pending(handle, browser=browser)
    _expect(state, "organization_selection_required")
    if organization_id not in {o["id"] for o in state.extra["organizations"]}:
        raise InvalidSignInRequest("organization_id is not one of the organizations offered.", code="organization_not_offered")
    return _continue(state, "authenticate_with_organization_selection", request=request, browser=browser, finish=finish, organization_id=organization_id)


# --- magic codes -----------------------------------------------------------------------------


def send_magic_code(email, *, request):
    """Email a one-time code. The answer is the same whether or not the address has an account;
    only a login rule (by domain) that forbids codes is said."""
    email = normalize_email(email)
    policy.check_method(email, SignInMethod.MAGIC_CODE)
    wos = workos_client.one_shot_client()
    try:
        workos_client.call("send the code", wos.user_management.create_magic_auth, email=email, **_client_kwargs(request))
    except ProviderError as exc:
        if exc.status >= 500:
            raise
        log.info("WorkOS sent no magic code to an address (%s)", exc.code)


def verify_magic_code(email, code, *, request, browser=None, next_url="", finish=None):
    email = normalize_email(email)
    policy.check_method(email, SignInMethod.MAGIC_CODE)
    return authenticate("authenticate_with_magic_auth", method=SignInMethod.MAGIC_CODE, request=request, browser=browser, next_url=next_url, action="check the code", finish=finish, code=_code(code), email=email)


# --- passwords held by WorkOS ----------------------------------------------------------------


def password_backend(email):
    """Where this email's password is checked: "django" or "workos" (its login rule, else the setting)."""
    rule = policy.rule_for(email)
    if rule is not None and rule.method == SignInMethod.WORKOS_PASSWORD:
        return "workos"
    if rule is not None and rule.method == SignInMethod.PASSWORD:
        return "django"
    return app_settings.GATEHOUSE_PASSWORD_BACKEND


def password_sign_in(email, password, *, request, browser=None, next_url="", finish=None):
    """Email + password checked by WorkOS. Unknown email and wrong password answer alike."""
    email = normalize_email(email)
    policy.check_method(email, SignInMethod.WORKOS_PASSWORD)
    try:
        return authenticate(
            "authenticate_with_password",
            method=SignInMethod.WORKOS_PASSWORD,
            request=request,
            browser=browser,
            next_url=next_url,
            action="check the password",
            finish=finish,
            email=email,
            password=password,
        )
    except ProviderError as exc:
        if exc.status >= 500 or exc.code not in ("invalid_credentials", "user_not_found", "invalid_grant"):
            raise
        raise GatehouseError("Email or password is incorrect.", code="invalid_credentials", status=401) from None


def send_password_reset(email):
    """Ask WorkOS to email a reset link; the same answer whether or not the address is known."""
    email = normalize_email(email)
    wos = workos_client.one_shot_client()
    try:
        workos_client.call("send the reset email", wos.user_management.reset_password, email=email)
    except ProviderError as exc:
        if exc.status >= 500:
            raise
        log.info("WorkOS sent no password reset email (%s)", exc.code)


def confirm_password_reset(token, new_password, *, request=None):
    """Set the new password at WorkOS; on success every sign-in of that person here ends."""
    wos = workos_client.one_shot_client()
    try:
        answer = workos_client.call("reset the password", wos.user_management.confirm_password_reset, token=token, new_password=new_password)
    except ProviderError as exc:
        if exc.status >= 500:
            raise
        reasons = [str(e.get("code") if isinstance(e, dict) else getattr(e, "code", e)) for e in getattr(exc.__cause__, "errors", None) or []]
        weak = any("password" in r and "token" not in r for r in reasons)
        raise InvalidSignInRequest(
            exc.message if weak else "This reset link is invalid, expired or already used. Ask for a new one.",
            code="password_too_weak" if weak else "password_reset_invalid",
            detail={"reasons": reasons} if reasons else None,
        ) from None
    from accounts import sessions

    user = User.objects.filter(workos_user_id=answer.user.id).first()
    ended = 0
    if user is not None:
        ended = sessions.end_sessions(AuthSession.objects.filter(user=user), reason="password_reset", user=user, request=request)
    audit.record(AuditEvent.Kind.PASSWORD_RESET, user=user, email=answer.user.email, request=request, ended=ended)
    return answer.user.email


# --- device authorization (RFC 8628) ---------------------------------------------------------


def start_device():
    """Start a CLI's sign-in: WorkOS's device code stays here, the CLI polls with our handle."""
    wos = workos_client.one_shot_client()
    device = workos_client.call("start the device sign-in", wos.user_management.create_device, client_id=app_settings.WORKOS_CLIENT_ID)
    interval = max(int(device.interval or 5), 1)
    extra = {"device_code": secretbox.seal(device.device_code), "expires": time.time() + int(device.expires_in)}
    handle = signin_state.create(flow=SignInState.Flow.DEVICE, redirect_uri="", extra=extra, interval=interval)
    return {
        "device_code": handle,
        "user_code": device.user_code,
        "verification_uri": device.verification_uri,
        "verification_uri_complete": device.verification_uri_complete,
        "expires_in": min(int(device.expires_in), app_settings.GATEHOUSE_SIGNIN_STATE_MAX_AGE),
        "interval": interval,
    }


def _device_error(code, message, state=None, *, end=False, interval=None):
    if end and state is not None:
        signin_state.discard(state)
    detail = {"interval": interval or state.interval} if state is not None and not end else None
    return GatehouseError(message, code=code, status=400, detail=detail)


def _slow_down(state):
    interval = signin_state.slow_down(state)
    return _device_error("slow_down", f"Poll at most every {interval} seconds.", state, interval=interval)


def poll_device(handle, *, request, finish=None):
    """One poll of the CLI: authorization_pending, slow_down, expired_token or access_denied
    (RFC 8628 3.5), or the finished sign-in."""
    try:
        state = signin_state.load(handle, flow=SignInState.Flow.DEVICE, what="device_code")
    except InvalidSignInRequest as exc:
        if exc.code == "device_code_expired":
            raise _device_error("expired_token", "The sign-in took too long. Start again.") from None
        raise
    extra = state.extra
    if time.time() > extra["expires"]:
        raise _device_error("expired_token", "The sign-in took too long. Start again.", state, end=True)
    # Claimed atomically: of parallel polls within one interval, one reaches WorkOS.
    if not signin_state.take_poll(state):
        raise _slow_down(state)
    try:
        result = authenticate("authenticate_with_device_code", method=SignInMethod.DEVICE, request=request, action="finish the device sign-in", finish=finish, device_code=secretbox.unseal(extra["device_code"]))
    except ProviderError as exc:
        if exc.code == "authorization_pending":
            raise _device_error("authorization_pending", "The person has not finished signing in yet.", state) from None
        if exc.code == "slow_down":
            raise _slow_down(state) from None
        if exc.code in ("expired_token", "access_denied", "invalid_grant"):
            message = "The sign-in was refused on the other device." if exc.code == "access_denied" else "The sign-in took too long. Start again."
            raise _device_error("access_denied" if exc.code == "access_denied" else "expired_token", message, state, end=True) from None
        raise
    except GatehouseError:
        signin_state.discard(state)
        raise
    signin_state.discard(state)
    return result
