"""Browser pages of AuthKit's sign-ins besides the redirect (accounts.authkit_steps): the steps a
WorkOS sign-in may ask for, and resetting a WorkOS-held password.

A pending sign-in is bound to this browser; its opaque handle sits in the Django session, never
in a URL."""

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import authkit_steps, ratelimit, sessions
from accounts.client import client_ip
from accounts.errors import GatehouseError, InvalidSignInRequest
from accounts.http import error_page, rate_limited, safe_next, throttled_page

PENDING_KEY = "gatehouse_pending_sign_in"
_TEMPLATE = "accounts/steps.html"
_CODE_STEPS = {"email_verification_required", "mfa_enrollment", "mfa_challenge"}


def start(request, result):
    """The Django session of a finished WorkOS sign-in in a browser (the `finish` of
    workos_auth.signed_in: written in the sign-in's transaction)."""
    request.session.pop(PENDING_KEY, None)
    return sessions.start_browser_session(request, result.user, method=result.method, workos_session_id=result.workos_session_id, organization_id=result.organization_id)


def to_steps(request, step):
    """Send the browser to the page of the step a sign-in still needs (a StepRequired)."""
    request.session[PENDING_KEY] = step.detail["pending_token"]
    return redirect("web-steps")


def run(request, attempt, *, failed):
    """Run a sign-in attempt (`attempt(finish)`): signed in, then where it was going; a step to
    pass; or `failed(error)` for the page to show."""
    try:
        result = attempt(lambda result: start(request, result))
    except authkit_steps.StepRequired as step:
        return to_steps(request, step)
    except GatehouseError as exc:
        sessions.sign_in_failed(request, email=request.POST.get("email", ""), reason=exc.code, method="workos")
        return failed(exc)
    return redirect(safe_next(request, result.next_url))


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("sign_in_ip")
def steps_page(request):
    handle = request.session.get(PENDING_KEY, "")
    try:
        state = authkit_steps.pending(handle, browser=request)
    except InvalidSignInRequest as exc:
        request.session.pop(PENDING_KEY, None)
        return error_page(request, exc)
    extra = state.extra
    context = {"step": extra["step"], "detail": authkit_steps.public_step(extra, ""), "enrolled": bool(extra.get("challenge_id"))}
    if request.method == "GET":
        return render(request, _TEMPLATE, context)

    action = request.POST.get("action", "")
    if action == "enroll":
        try:
            context["enrollment"] = authkit_steps.enroll_totp(handle, browser=request)
        except GatehouseError as exc:
            context["error"] = exc.message
            return render(request, _TEMPLATE, context, status=exc.status if exc.status < 500 else 503)
        return render(request, _TEMPLATE, context)  # the secret is shown in this answer only

    if extra["step"] in _CODE_STEPS:  # every code checked counts, whatever the form's action says
        limited = ratelimit.hit("password_ip", client_ip(request))
        if limited is not None:
            return throttled_page(request, limited, template=_TEMPLATE, context=context)
    code = request.POST.get("code", "")
    attempts = {
        "email_verification_required": lambda finish: authkit_steps.verify_email(handle, code, request=request, browser=request, finish=finish),
        "mfa_enrollment": lambda finish: authkit_steps.verify_totp(handle, code, request=request, browser=request, finish=finish),
        "mfa_challenge": lambda finish: authkit_steps.verify_totp(handle, code, factor_id=request.POST.get("factor_id", ""), request=request, browser=request, finish=finish),
        "organization_selection_required": lambda finish: authkit_steps.choose_organization(handle, request.POST.get("organization_id", ""), request=request, browser=request, finish=finish),
    }

    def failed(exc):
        if exc.code in authkit_steps.FINAL_CODES or exc.code.startswith("pending_token_"):
            request.session.pop(PENDING_KEY, None)
            return error_page(request, exc)
        context["error"] = exc.message
        return render(request, _TEMPLATE, context, status=exc.status if exc.status < 500 else 503)

    return run(request, attempts[extra["step"]], failed=failed)


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("sign_in_ip")
def password_reset_page(request):
    """Ask for a reset link (the same answer for every address)."""
    context = {"step": "request"}
    if request.method == "POST":
        email = (request.POST.get("email") or "").strip()[:254]
        context["email"] = email
        if "@" not in email or not email.isprintable():
            context["error"] = "Enter your email address."
            return render(request, "accounts/password_reset.html", context, status=400)
        limited = ratelimit.hit("email_send", ratelimit.account_ident(email))
        if limited is not None:
            return throttled_page(request, limited, template="accounts/password_reset.html", context=context)
        try:
            authkit_steps.send_password_reset(email)
        except GatehouseError as exc:
            return error_page(request, exc, title="The email could not be sent")
        context["step"] = "sent"
    return render(request, "accounts/password_reset.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("password_ip")
def password_reset_confirm_page(request):
    """The page the reset email links to: choose a new password."""
    token = (request.POST.get("token") if request.method == "POST" else request.GET.get("token")) or ""
    context = {"step": "confirm", "token": token}
    if not token or len(token) > 500:
        return error_page(request, InvalidSignInRequest("This reset link is incomplete. Ask for a new one.", code="password_reset_invalid"), title="Reset your password")
    if request.method == "POST":
        password, again = request.POST.get("new_password", ""), request.POST.get("new_password_again", "")
        if password != again or len(password) > 1024:
            context["error"] = "The two passwords differ." if password != again else "Use at most 1024 characters."
            return render(request, "accounts/password_reset.html", context, status=400)
        try:
            authkit_steps.confirm_password_reset(token, password, request=request)
        except GatehouseError as exc:
            if exc.code != "password_too_weak":
                return error_page(request, exc, title="Reset your password")
            context["error"] = exc.message
            return render(request, "accounts/password_reset.html", context, status=400)
        context["step"] = "done"
    return render(request, "accounts/password_reset.html", context)
