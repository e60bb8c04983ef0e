"""AuthKit's ways in besides the redirect: emailed one-time codes, WorkOS-held passwords and a
CLI's device code (RFC 8628), each an Identity or a Pending step (accounts.signin.workos); and
password reset for WorkOS-held passwords."""

import logging
from datetime import timedelta

from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime
from workos.user_management import PasswordPlaintext

from accounts import jws, login_rules, secretbox, workos_sessions
from accounts.conf import app_settings
from accounts.errors import INVALID_CREDENTIALS, GatehouseError, InvalidSignInRequest, ProviderError
from accounts.models import PasswordResetLink, SignInMethod, SignInState, normalize_email
from accounts.signin import state as signin_state
from accounts.signin import workos
from accounts.signin.steps import one_time_code
from workos_integration import client as workos_client
from workos_integration.conf import app_settings as workos_settings

log = logging.getLogger(__name__)
RESET_LINK_INVALID = "This reset link is invalid, expired or already used. Ask for a new one."


# --- emailed codes -----------------------------------------------------------------------------


def send_magic_code(email, *, request):
    """Email a one-time code. The answer is the same whether or not the address has an account;
    only a login rule (by domain) that forbids codes is said."""
    email = normalize_email(email)
    login_rules.check_method(email, SignInMethod.MAGIC_CODE)
    wos = workos_client.one_shot_client()
    try:
        workos_client.call(
            "send the code", wos.user_management.create_magic_auth, email=email, **workos.client_kwargs(request)
        )
    except ProviderError as exc:
        if exc.status >= 500:
            raise
        log.info("WorkOS sent no magic code to an address (%s)", exc.code)


def verify_magic_code(email, code, *, request, browser=None, next_url=""):
    email = normalize_email(email)
    login_rules.check_method(email, SignInMethod.MAGIC_CODE)
    return workos.authenticate(
        "authenticate_with_magic_auth",
        method=SignInMethod.MAGIC_CODE,
        request=request,
        browser=browser,
        next_url=next_url,
        action="check the code",
        code=one_time_code(code),
        email=email,
    )


# --- passwords held by WorkOS -------------------------------------------------------------------


def password_backend(email):
    """Where this email's password is checked: "django", "workos" or "either" (its login rule, else the setting)."""
    rule = login_rules.rule_for(email)
    if rule is not None and rule.method == SignInMethod.WORKOS_PASSWORD:
        return "workos"
    if rule is not None and rule.method == SignInMethod.PASSWORD:
        return "django"
    return app_settings.GATEHOUSE_PASSWORD_BACKEND


def password_sign_in(email, password, *, request, browser=None, next_url=""):
    """Email + password checked by WorkOS. Unknown email and wrong password answer alike."""
    email = normalize_email(email)
    login_rules.check_method(email, SignInMethod.WORKOS_PASSWORD)
    try:
        return workos.authenticate(
            "authenticate_with_password",
            method=SignInMethod.WORKOS_PASSWORD,
            request=request,
            browser=browser,
            next_url=next_url,
            action="check the password",
            email=email,
            password=password,
        )
    except ProviderError as exc:
        if exc.status >= 500 or exc.code not in ("invalid_credentials", "user_not_found", "invalid_grant"):
            raise
        raise GatehouseError(INVALID_CREDENTIALS, code="invalid_credentials", status=401) from None


def password_is_right(email, password, *, request=None):
    """Whether WorkOS holds `password` for `email`, checked by a password sign-in whose session is
    revoked at once (WorkOS has no other check). A step it then asks for (MFA, an organization)
    comes after the password was found right."""
    wos = workos_client.one_shot_client()
    try:
        auth = workos_client.call(
            "check the current password",
            wos.user_management.authenticate_with_password,
            email=normalize_email(email),
            password=password,
            **workos.client_kwargs(request),
        )
    except ProviderError as exc:
        if exc.status == 403:
            return True
        if exc.status >= 500 or exc.code not in ("invalid_credentials", "user_not_found", "invalid_grant"):
            raise
        return False
    workos_sessions.revoke_session(jws.unverified_payload(auth.access_token).get("sid") or "")
    return True


def set_workos_password(workos_user_id, new_password):
    """Give the WorkOS user a new password; WorkOS's refusal of a weak one is `password_too_weak`."""
    wos = workos_client.one_shot_client()
    try:
        workos_client.call(
            "set the new password",
            wos.user_management.update_user,
            workos_user_id,
            password=PasswordPlaintext(password=new_password),
        )
    except ProviderError as exc:
        if exc.status >= 500 or exc.status == 404:
            raise
        raise InvalidSignInRequest(exc.message, code="password_too_weak") from None


def send_password_reset(email):
    """Ask WorkOS to email a reset link; the same answer whether or not the address is known. The
    link's token is remembered (a keyed hash, until it expires) so that the reset page can tell
    a link of ours from a bogus one before asking for a new password."""
    email = normalize_email(email)
    wos = workos_client.one_shot_client()
    try:
        reset = workos_client.call("send the reset email", wos.user_management.reset_password, email=email)
    except ProviderError as exc:
        if exc.status >= 500:
            raise
        log.info("WorkOS sent no password reset email (%s)", exc.code)
        return
    now = timezone.now()
    PasswordResetLink.objects.filter(expires_at__lt=now).delete()
    expires = parse_datetime(str(getattr(reset, "expires_at", "") or "")) or now + timedelta(hours=1)
    PasswordResetLink.objects.get_or_create(
        digest=_reset_digest(reset.password_reset_token), defaults={"expires_at": expires}
    )


def reset_link_usable(token):
    """Whether the reset page should ask for a new password for this link: one of ours that has
    not expired or been used (GATEHOUSE_PASSWORD_RESET_LINKS `any`: every link)."""
    if app_settings.GATEHOUSE_PASSWORD_RESET_LINKS == "any":
        return True
    return PasswordResetLink.objects.filter(digest=_reset_digest(token), expires_at__gte=timezone.now()).exists()


def _reset_digest(token):
    return salted_hmac("gatehouse.password-reset-link", token, algorithm="sha256").hexdigest()


def confirm_password_reset(token, new_password):
    """Set the new password at WorkOS; the WorkOS user whose password it was (their sign-ins here
    end: accounts.sessions.end_for_password_reset)."""
    if not reset_link_usable(token):
        raise InvalidSignInRequest(RESET_LINK_INVALID, code="password_reset_invalid")
    wos = workos_client.one_shot_client()
    try:
        answer = workos_client.call(
            "reset the password", wos.user_management.confirm_password_reset, token=token, new_password=new_password
        )
    except ProviderError as exc:
        if exc.status >= 500:
            raise
        reasons = [
            str(e.get("code") if isinstance(e, dict) else getattr(e, "code", e))
            for e in getattr(exc.__cause__, "errors", None) or []
        ]
        weak = any("password" in r and "token" not in r for r in reasons)
        raise InvalidSignInRequest(
            exc.message if weak else RESET_LINK_INVALID,
            code="password_too_weak" if weak else "password_reset_invalid",
            detail={"reasons": reasons} if reasons else None,
        ) from None
    PasswordResetLink.objects.filter(digest=_reset_digest(token)).delete()  # spent
    return answer.user


# --- device authorization (RFC 8628) ------------------------------------------------------------


def start_device():
    """Start a CLI's sign-in: WorkOS's device code stays here, the CLI polls with our handle."""
    wos = workos_client.one_shot_client()
    device = workos_client.call(
        "start the device sign-in", wos.user_management.create_device, client_id=workos_settings.WORKOS_CLIENT_ID
    )
    interval = max(int(device.interval or 5), 1)
    expires_at = timezone.now() + timedelta(seconds=int(device.expires_in))
    handle = signin_state.create(
        flow=SignInState.Flow.DEVICE,
        secret=secretbox.seal(device.device_code),
        expires_at=expires_at,
        interval=interval,
    )
    started = {
        "device_code": handle,
        "user_code": device.user_code,
        "verification_uri": device.verification_uri,
        "expires_in": min(int(device.expires_in), app_settings.GATEHOUSE_SIGNIN_STATE_MAX_AGE),
        "interval": interval,
    }
    if device.verification_uri_complete:  # optional in WorkOS's answer: left out rather than null
        started["verification_uri_complete"] = device.verification_uri_complete
    return started


def _device_error(code, message, state=None, *, end=False, interval=None):
    if end and state is not None:
        signin_state.discard(state)
    detail = {"interval": interval or state.interval} if state is not None and not end else None
    return GatehouseError(message, code=code, status=400, detail=detail)


def _slow_down(state):
    interval = signin_state.slow_down(state)
    return _device_error("slow_down", f"Poll at most every {interval} seconds.", state, interval=interval)


def poll_device(handle, *, request):
    """One poll of the CLI: authorization_pending, slow_down, expired_token or access_denied
    (RFC 8628 3.5), or the Identity of the person who signed in."""
    try:
        state = signin_state.load(handle, flow=SignInState.Flow.DEVICE, what="device_code")
    except InvalidSignInRequest as exc:
        if exc.code == "device_code_expired":
            raise _device_error("expired_token", "The sign-in took too long. Start again.") from None
        raise
    if timezone.now() > state.expires_at:
        raise _device_error("expired_token", "The sign-in took too long. Start again.", state, end=True)
    # Claimed atomically: of parallel polls within one interval, one reaches WorkOS.
    if not signin_state.take_poll(state):
        raise _slow_down(state)
    try:
        proven = workos.authenticate(
            "authenticate_with_device_code",
            method=SignInMethod.DEVICE,
            request=request,
            action="finish the device sign-in",
            device_code=secretbox.unseal(state.secret),
        )
    except ProviderError as exc:
        if exc.code == "authorization_pending":
            raise _device_error("authorization_pending", "The person has not finished signing in yet.", state) from None
        if exc.code == "slow_down":
            raise _slow_down(state) from None
        if exc.code in ("expired_token", "access_denied", "invalid_grant"):
            message = (
                "The sign-in was refused on the other device."
                if exc.code == "access_denied"
                else "The sign-in took too long. Start again."
            )
            raise _device_error(
                "access_denied" if exc.code == "access_denied" else "expired_token", message, state, end=True
            ) from None
        raise
    signin_state.discard(state)
    return proven
