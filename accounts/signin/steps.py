"""Resuming a pending WorkOS sign-in: the step's input in, an Identity or the next Pending out.

A pending sign-in (accounts.signin.workos made it) allows MAX_ATTEMPTS tries, spent before WorkOS
is asked so that parallel requests share them; an MFA enrollment is one request at a time."""

from accounts import audit, mfa, secretbox
from accounts.conf import app_settings
from accounts.errors import GatehouseError, InvalidSignInRequest, ProviderError, ProviderUnavailable
from accounts.models import AuditEvent, SignInState, User
from accounts.signin import state as signin_state
from accounts.signin import workos
from accounts.signin.identity import Pending
from workos_integration import client as workos_client
from workos_integration.conf import app_settings as workos_settings

MAX_ATTEMPTS = 5
# Answers that end a pending sign-in: starting again is the only way on.
FINAL_CODES = {
    "invalid_pending_authentication_token",
    "one_time_code_too_many_attempts",
    "one_time_code_expired",
    "invalid_grant",
    "sign_in_expired",
}
# WorkOS's words for a wrong code (its email verification names its own): one code for clients.
WRONG_CODE = {"invalid_one_time_code", "email_verification_code_incorrect"}
# ... and for a code that can no longer be used.
EXPIRED_CODE = {"one_time_code_expired", "email_verification_code_expired"}
# The steps whose input is a code someone could guess.
CODE_STEPS = {"email_verification_required", "mfa_enrollment", "mfa_challenge"}


def pending(handle, *, browser=None):
    """The pending sign-in a `pending_token` names (for pages that show the current step)."""
    return signin_state.load(handle, flow=SignInState.Flow.PENDING, browser=browser)


def _continue(state, grant, *, request, browser, **kwargs):
    # The try is spent before WorkOS is asked: parallel requests with one pending_token get at
    # most MAX_ATTEMPTS answers from WorkOS between them.
    spent = signin_state.take_attempt(state, MAX_ATTEMPTS)
    if spent is None:
        signin_state.discard(state)
        raise ProviderError("This sign-in can no longer be finished. Start again.", code="sign_in_expired", status=400)
    try:
        proven = workos.authenticate(
            grant,
            method=state.method,
            request=request,
            browser=browser,
            organization_hint=state.organization_hint,
            next_url=state.next_url,
            action="finish the sign-in",
            mfa_enrolled=state.mfa_enrolled or state.step == "mfa_enrollment",
            pending_authentication_token=secretbox.unseal(state.secret),
            **kwargs,
        )
    except ProviderUnavailable:
        signin_state.give_back_attempt(state)  # WorkOS failed or is busy: the same step may be tried again
        raise
    except ProviderError as exc:
        code = "one_time_code_expired" if exc.code in EXPIRED_CODE else exc.code
        if code in FINAL_CODES or spent >= MAX_ATTEMPTS:
            signin_state.discard(state)
            raise ProviderError(
                "This sign-in can no longer be finished. Start again.",
                code=code if code in FINAL_CODES else "sign_in_expired",
                status=400,
            ) from None
        if code in WRONG_CODE:
            left = MAX_ATTEMPTS - spent
            raise ProviderError(
                f"That code is not right. {left} {'try' if left == 1 else 'tries'} left.",
                code="invalid_one_time_code",
                status=400,
                detail={"attempts_left": left},
            ) from None
        raise
    except GatehouseError:
        signin_state.discard(state)
        raise
    signin_state.discard(state)  # WorkOS took the step: a next step has its own pending token
    return proven


def _expect(state, *steps):
    if state.step not in steps:
        raise InvalidSignInRequest(
            f"This sign-in is waiting for another step ({state.step}).", code="wrong_step", detail={"step": state.step}
        )


def one_time_code(value):
    code = "".join(str(value or "").split())
    if not code.isdigit() or len(code) > 10:
        raise InvalidSignInRequest("Enter the code: digits only.", code="invalid_one_time_code")
    return code


def verify_email(handle, code, *, request, browser=None):
    state = pending(handle, browser=browser)
    _expect(state, "email_verification_required")
    return _continue(
        state, "authenticate_with_email_verification", request=request, browser=browser, code=one_time_code(code)
    )


def enroll_totp(handle, *, browser=None):
    """Create the person's first TOTP factor. Returns what their authenticator app needs (the QR
    code, the secret, the otpauth URI): shown this once. Asking again replaces the factor.

    One enrollment at a time per pending sign-in (a lease on its row): two holders of one
    pending_token racing would otherwise leave two factors, and the one that did not finish the
    sign-in would keep working on later ones."""
    state = pending(handle, browser=browser)
    _expect(state, "mfa_enrollment")
    held = signin_state.lease(state, 2 * workos_settings.WORKOS_REQUEST_TIMEOUT + 5)
    if held is None:
        raise InvalidSignInRequest(
            "The authenticator is being set up by another request. Try again in a moment.",
            code="step_in_progress",
            status=409,
        )
    try:
        return _enroll(held)
    finally:
        signin_state.release(held)


def _enroll(state):
    mfa = workos_client.one_shot_client().multi_factor_auth
    if state.factor_id:  # an enrollment never confirmed: replace it, never add a second
        try:
            workos_client.call("remove the unconfirmed factor", mfa.delete_factor, state.factor_id, expect_result=False)
        except ProviderError as exc:
            if exc.status != 404:
                raise
        state.factor_id = state.challenge_id = ""
    enrolled = workos_client.call(
        "enroll the authenticator",
        mfa.create_user_auth_factor,
        state.workos_user_id,
        type="totp",
        totp_issuer=app_settings.GATEHOUSE_TOTP_ISSUER,
        totp_user=state.email or None,
    )
    factor = enrolled.authentication_factor
    state.factor_id, state.challenge_id = factor.id, enrolled.authentication_challenge.id
    return {
        "factor_id": factor.id,
        "qr_code": factor.totp.qr_code,
        "secret": factor.totp.secret,
        "uri": factor.totp.uri,
    }


def verify_totp(handle, code, *, factor_id="", request, browser=None):
    state = pending(handle, browser=browser)
    _expect(state, "mfa_challenge", "mfa_enrollment")
    code = one_time_code(code)
    if state.step == "mfa_enrollment":
        if not state.challenge_id:
            raise InvalidSignInRequest("Set up the authenticator first.", code="mfa_enrollment_required")
    else:
        factors = [f["id"] for f in state.factors if f["type"] == "totp"]
        factor_id = factor_id or (factors[0] if factors else "")
        if factor_id not in factors:
            raise InvalidSignInRequest("factor_id is not one of this sign-in's factors.", code="factor_not_offered")
        if state.factor_id != factor_id or not state.challenge_id:
            mfa = workos_client.one_shot_client().multi_factor_auth
            challenge = workos_client.call("challenge the authenticator", mfa.challenge_factor, factor_id)
            state.factor_id, state.challenge_id = factor_id, challenge.id
            signin_state.save(state)
    return _continue(
        state,
        "authenticate_with_totp",
        request=request,
        browser=browser,
        code=code,
        authentication_challenge_id=state.challenge_id,
    )


def use_recovery_code(handle, code, *, request, browser=None):
    """At an MFA challenge, a recovery code instead of the authenticator's: the code is spent, the
    lost authenticator removed in WorkOS, and the sign-in moves to setting up a new one (the
    same pending sign-in; it ends with new recovery codes). A wrong or spent code costs a try."""
    state = pending(handle, browser=browser)
    _expect(state, "mfa_challenge")
    spent = signin_state.take_attempt(state, MAX_ATTEMPTS)
    if spent is None:
        signin_state.discard(state)
        raise ProviderError("This sign-in can no longer be finished. Start again.", code="sign_in_expired", status=400)
    user = User.objects.filter(workos_user_id=state.workos_user_id).first() if state.workos_user_id else None
    row = mfa.spend_recovery_code(user, code) if user is not None else None
    if row is None:
        audit.record(AuditEvent.Kind.RECOVERY_CODE_REFUSED, user=user, email=state.email, request=request)
        if spent >= MAX_ATTEMPTS:
            signin_state.discard(state)
            raise ProviderError(
                "This sign-in can no longer be finished. Start again.", code="sign_in_expired", status=400
            )
        left = MAX_ATTEMPTS - spent
        raise InvalidSignInRequest(
            f"That recovery code is not right or was already used. {left} {'try' if left == 1 else 'tries'} left.",
            code="invalid_recovery_code",
            detail={"attempts_left": left},
        )
    try:
        removed = mfa.remove_authenticators(state.workos_user_id)
    except GatehouseError:
        mfa.give_back_recovery_code(row)  # nothing changed in WorkOS: the code still works
        signin_state.give_back_attempt(state)
        raise
    audit.record(
        AuditEvent.Kind.RECOVERY_CODE_USED,
        user=user,
        request=request,
        authenticators_removed=removed,
        codes_left=mfa.remaining_recovery_codes(user),
    )
    state.step, state.factors, state.factor_id, state.challenge_id = "mfa_enrollment", [], "", ""
    SignInState.objects.filter(id=state.id).update(step=state.step, factors=[], factor_id="", challenge_id="")
    return Pending(step=state.step, message=workos.STEPS[state.step][1], detail=workos.public_step(state, handle))


def choose_organization(handle, organization_id, *, request, browser=None):
    state = pending(handle, browser=browser)
    _expect(state, "organization_selection_required")
    if organization_id not in {o["id"] for o in state.organizations}:
        raise InvalidSignInRequest(
            "organization_id is not one of the organizations offered.", code="organization_not_offered"
        )
    return _continue(
        state,
        "authenticate_with_organization_selection",
        request=request,
        browser=browser,
        organization_id=organization_id,
    )


def resume(handle, step, values, *, request, browser=None):
    """The `step` a pending sign-in waits for, with the input `values` (a form) offers for it:
    an Identity or the next Pending."""
    code = values.get("code", "")
    if step == "email_verification_required":
        return verify_email(handle, code, request=request, browser=browser)
    if step == "mfa_challenge" and values.get("recovery_code"):
        return use_recovery_code(handle, values["recovery_code"], request=request, browser=browser)
    if step in ("mfa_enrollment", "mfa_challenge"):
        return verify_totp(handle, code, factor_id=values.get("factor_id", ""), request=request, browser=browser)
    return choose_organization(handle, values.get("organization_id", ""), request=request, browser=browser)
