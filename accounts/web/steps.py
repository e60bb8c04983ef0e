"""Browser pages of AuthKit's sign-ins besides the redirect: the steps a WorkOS sign-in may ask
for (accounts.signin.steps), and resetting a WorkOS-held password (accounts.signin.authkit).

A pending sign-in is bound to this browser; its opaque handle sits in the Django session, never
in a URL."""

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import ratelimit, sessions
from accounts.client import client_ip
from accounts.errors import GatehouseError, InvalidSignInRequest
from accounts.http import error_page, rate_limited, safe_next, throttled_page
from accounts.signin import authkit, flow, steps, workos

PENDING_KEY = "gatehouse_pending_sign_in"
# Recovery codes a sign-in just made, until the next page shows them (once).
RECOVERY_CODES_KEY = "gatehouse_new_recovery_codes"
_TEMPLATE = "accounts/steps.html"


def finish(request, attempt, *, failed, email="", method="workos"):
    """A browser sign-in: `attempt()` is a provider's proof (an Identity or a Pending step).
    Signed in, then where it was going; a step's page; or `failed(error)`, the page to show
    (the refusal recorded against `email` and `method`)."""
    try:
        signin = flow.complete(request, attempt(), flow.Channel.BROWSER)
    except GatehouseError as exc:
        flow.sign_in_failed(request, email=email, reason=exc.code, method=method, error=exc)
        return failed(exc)
    if signin.pending is not None:
        request.session[PENDING_KEY] = signin.pending.handle
        return redirect("web-steps")
    request.session.pop(PENDING_KEY, None)
    if signin.recovery_codes:  # an authenticator was just set up: its recovery codes first
        request.session[RECOVERY_CODES_KEY] = {"codes": signin.recovery_codes, "next": signin.next_url}
        return redirect("web-recovery-codes")
    return redirect(safe_next(request, signin.next_url))


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("sign_in_ip")
def steps_page(request):
    handle = request.session.get(PENDING_KEY, "")
    try:
        state = steps.pending(handle, browser=request)
    except InvalidSignInRequest as exc:
        request.session.pop(PENDING_KEY, None)
        return error_page(request, exc)
    context = {"step": state.step, "detail": workos.public_step(state, ""), "enrolled": bool(state.challenge_id)}
    if request.method == "GET":
        return render(request, _TEMPLATE, context)

    if request.POST.get("action", "") == "enroll":
        try:
            context["enrollment"] = steps.enroll_totp(handle, browser=request)
        except GatehouseError as exc:
            context["error"] = exc.message
            return render(request, _TEMPLATE, context, status=exc.status if exc.status < 500 else 503)
        return render(request, _TEMPLATE, context)  # the secret is shown in this answer only

    if state.step in steps.CODE_STEPS:  # every code checked counts, whatever the form's action says
        limited = ratelimit.hit("password_ip", client_ip(request))
        if limited is not None:
            return throttled_page(request, limited, template=_TEMPLATE, context=context)

    def failed(exc):
        if exc.code in steps.FINAL_CODES or exc.code.startswith("pending_token_"):
            request.session.pop(PENDING_KEY, None)
            return error_page(request, exc)
        context["error"] = exc.message
        return render(request, _TEMPLATE, context, status=exc.status if exc.status < 500 else 503)

    return finish(
        request, lambda: steps.resume(handle, state.step, request.POST, request=request, browser=request), failed=failed
    )


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
            authkit.send_password_reset(email)
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
        return error_page(
            request,
            InvalidSignInRequest("This reset link is incomplete. Ask for a new one.", code="password_reset_invalid"),
            title="Reset your password",
        )
    if not authkit.reset_link_usable(token):  # said before the form, not after the password is typed twice
        return error_page(
            request,
            InvalidSignInRequest(authkit.RESET_LINK_INVALID, code="password_reset_invalid"),
            title="Reset your password",
        )
    if request.method == "POST":
        password, again = request.POST.get("new_password", ""), request.POST.get("new_password_again", "")
        if password != again or len(password) > 1024:
            context["error"] = "The two passwords differ." if password != again else "Use at most 1024 characters."
            return render(request, "accounts/password_reset.html", context, status=400)
        try:
            sessions.end_for_password_reset(authkit.confirm_password_reset(token, password), request=request)
        except GatehouseError as exc:
            if exc.code != "password_too_weak":
                return error_page(request, exc, title="Reset your password")
            context["error"] = exc.message
            return render(request, "accounts/password_reset.html", context, status=400)
        context["step"] = "done"
    return render(request, "accounts/password_reset.html", context)
