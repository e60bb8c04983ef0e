"""Browser sign-in: our sign-in page, the AuthKit round trip, Django session login, logout."""

import logging
from urllib.parse import urlencode

from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import impersonation, login_rules, mfa, passwords, ratelimit, sessions
from accounts.client import client_ip
from accounts.conf import app_settings
from accounts.errors import INVALID_CREDENTIALS, GatehouseError
from accounts.http import error_page, rate_limited, safe_next, throttled_page
from accounts.models import AuthSession, SignInMethod, SignInState
from accounts.signin import authkit, flow, password, workos
from accounts.web.steps import RECOVERY_CODES_KEY, finish
from workos_integration import client as workos_client
from workos_integration import waiting

log = logging.getLogger(__name__)


def _route(request, rule, email, next_url):
    """Where a login rule sends this email (SSO and AuthKit), or None to ask for a password."""
    if rule is None or rule.method == SignInMethod.PASSWORD:
        return None
    if rule.method == SignInMethod.SSO:
        query = {"flow": "sso", "next": next_url, "login_hint": email}
        query["organization_id" if rule.organization_id else "connection_id"] = (
            rule.organization_id or rule.connection_id
        )
        return redirect(f"{reverse('web-workos-start')}?{urlencode(query)}")
    if rule.method == SignInMethod.AUTHKIT:
        return redirect(f"{reverse('web-workos-start')}?{urlencode({'next': next_url, 'login_hint': email})}")
    return None  # Google/Okta: the page explains; those sign-ins start in the application


_PASSWORD_METHODS = (SignInMethod.PASSWORD, SignInMethod.WORKOS_PASSWORD)


def _choices(rule, email):
    """What the password page offers besides the password, as the login rule allows."""
    workos = workos_client.is_configured()
    return {
        "offer_code": workos and login_rules.admits(rule, SignInMethod.MAGIC_CODE),
        "offer_workos": workos and rule is None,
        "offer_reset": workos and authkit.password_backend(email) in ("workos", "either"),
    }


def _send_code(request, email, context):
    limited = ratelimit.hit("email_send", ratelimit.account_ident(email))
    if limited is not None:
        return throttled_page(request, limited, template="accounts/login.html", context=context)
    try:
        authkit.send_magic_code(email, request=request)
    except GatehouseError as exc:
        context.update(step="elsewhere" if exc.code == "method_not_allowed" else "email", error=exc.message)
        return render(request, "accounts/login.html", context, status=exc.status if exc.status < 500 else 503)
    context["step"] = "code"
    return render(request, "accounts/login.html", context)


def _sign_in(request, email, context):
    """A password (ours or WorkOS's) or an emailed code: a session, a step, or the form again."""
    if context["step"] == "code":
        attempt = lambda: authkit.verify_magic_code(
            email, request.POST.get("code", ""), request=request, browser=request, next_url=context["next"]
        )  # noqa: E731
    else:
        attempt = lambda: password.authenticate(
            email, request.POST.get("password", ""), request=request, browser=request, next_url=context["next"]
        )  # noqa: E731
    local = context["step"] == "password" and authkit.password_backend(email) == "django"

    def failed(exc):
        if exc.code in ("method_not_allowed", "organization_not_allowed", "connection_not_allowed"):
            context["step"] = "elsewhere"
        if local and exc.code in ("invalid_credentials", "user_inactive"):
            context["error"] = INVALID_CREDENTIALS  # a disabled account reads as a wrong password here
            return render(request, "accounts/login.html", context, status=400)
        context["error"] = exc.message
        return render(request, "accounts/login.html", context, status=exc.status if exc.status < 500 else 503)

    return finish(request, attempt, failed=failed, email=email, method=SignInMethod.PASSWORD if local else "workos")


@never_cache
@require_http_methods(["GET", "POST"])
def login_page(request):
    """Email first: the login rule for the email's domain decides what comes next (without
    revealing whether an account exists); a password is asked for only where one is allowed."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    context = {"next": next_url, "workos_enabled": workos_client.is_configured(), "step": "email"}
    if request.method == "GET":
        return render(request, "accounts/login.html", context)
    email = (request.POST.get("username") or request.POST.get("email") or "").strip()[:254]
    context["email"] = email
    if "@" not in email or not email.isprintable():
        context["error"] = "Enter your email address."
        return render(request, "accounts/login.html", context, status=400)
    rule = login_rules.rule_for(email)
    context.update(_choices(rule, email), rule=rule)
    action = request.POST.get("action", "")
    if action == "send_code" or ("password" not in request.POST and "code" not in request.POST):
        limited = ratelimit.hit("sign_in_ip", client_ip(request))
        if limited is not None:
            return throttled_page(request, limited, template="accounts/login.html", context=context)
        if action == "send_code" or (rule is not None and rule.method == SignInMethod.MAGIC_CODE):
            return _send_code(request, email, context)
        routed = _route(request, rule, email, next_url)
        if routed is not None:
            return routed
        context["step"] = "password" if rule is None or rule.method in _PASSWORD_METHODS else "elsewhere"
        return render(request, "accounts/login.html", context)
    context["step"] = "password" if "password" in request.POST else "code"
    limited = ratelimit.check_password_attempt(request, email)
    if limited is not None:
        return throttled_page(request, limited, template="accounts/login.html", context=context)
    return _sign_in(request, email, context)


def admin_login(request):
    """Staff sign in through the same rule-aware page as everyone (no password side door)."""
    from urllib.parse import urlencode

    return redirect(
        f"{reverse('web-login')}?{urlencode({'next': safe_next(request, request.GET.get('next') or '/admin/')})}"
    )


@never_cache
@require_GET
@rate_limited("authorize_ip")
def workos_start(request):
    next_url = safe_next(request, request.GET.get("next"))
    flow = SignInState.Flow.SSO if request.GET.get("flow") == "sso" else SignInState.Flow.AUTHKIT
    try:
        url, _state = workos.authorization_url(
            flow=flow,
            redirect_uri=app_settings.WORKOS_REDIRECT_URI,
            next_url=next_url,
            organization_id=request.GET.get("organization_id", "")[:64],
            connection_id=request.GET.get("connection_id", "")[:64],
            login_hint=request.GET.get("login_hint", "")[:254],
            invitation_token=request.GET.get("invitation_token", "")[:200],
            browser=request,
        )
    except GatehouseError as exc:
        return error_page(request, exc, title="Sign-in could not start")
    return redirect(url)


@waiting.waits_on_workos
@never_cache
@require_GET
@rate_limited("sign_in_ip")
def workos_callback(request):
    def exchange():
        return workos.exchange_code(
            code=request.GET.get("code"),
            state=request.GET.get("state") or "",
            error=request.GET.get("error"),
            error_description=request.GET.get("error_description"),
            request=request,
            browser=request,
        )

    return finish(request, exchange, failed=lambda exc: error_page(request, exc))


@never_cache
@require_POST
def logout_view(request):
    url = None
    if request.user.is_authenticated:
        url = sessions.sign_out(
            request,
            user=request.user,
            session_id=request.session.get(flow.BROWSER_SESSION_KEY),
            workos_session_id=request.session.get(flow.BROWSER_WORKOS_SID_KEY, ""),
            return_to=request.build_absolute_uri(reverse("home")),
        )
    auth.logout(request)
    return redirect(url or "home")


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def sessions_page(request):
    """The signed-in person's sign-ins, with "end this one" and "sign out everywhere"."""
    mine = AuthSession.objects.filter(user=request.user)
    if request.method == "POST":
        target = request.POST.get("session", "")
        chosen = mine if target == "all" else mine.filter(id=target)
        ended = sessions.end_sessions(
            chosen,
            reason="signed_out_everywhere" if target == "all" else "signed_out",
            user=request.user,
            request=request,
        )
        if target == "all":
            # this browser too: its Django session is one of the sign-ins
            auth.logout(request)
            messages.success(request, f"Signed out everywhere: {ended} sign-in{'s' if ended != 1 else ''} ended.")
            return redirect("home")
        messages.success(request, f"Ended {ended} sign-in{'s' if ended != 1 else ''}.")
        return redirect("web-sessions")
    return render(
        request,
        "accounts/sessions.html",
        {"sessions": mine.filter(revoked_at__isnull=True), "current": request.session.get(flow.BROWSER_SESSION_KEY)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def password_change_page(request):
    """Change my password (accounts.passwords): every sign-in ends, this browser's too."""
    if request.method == "GET":
        return render(request, "accounts/password_change.html")
    limited = ratelimit.hit("password_change", ratelimit.account_ident(request.user.email))
    if limited is not None:
        return throttled_page(request, limited)
    new, current = request.POST.get("new_password", ""), request.POST.get("current_password", "")
    if len(new) > 1000 or len(current) > 1000:
        return render(request, "accounts/password_change.html", {"error": "Use at most 1000 characters."}, status=400)
    if new != request.POST.get("new_password_again", ""):
        return render(request, "accounts/password_change.html", {"error": "The two new passwords differ."}, status=400)
    try:
        passwords.change(
            request.user,
            current,
            new,
            impersonator=getattr(request, "signin_impersonator", None),
            request=request,
        )
    except GatehouseError as exc:
        if exc.status == 403:
            return error_page(request, exc, title="Change your password")
        return render(request, "accounts/password_change.html", {"error": exc.message}, status=400)
    auth.logout(request)
    messages.success(request, "Your password changed. Sign in with the new one.")
    return redirect("web-login")


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("sign_in_ip")
@login_required
def recovery_codes_page(request):
    """MFA recovery codes: the ones a sign-in that set up an authenticator just made (shown this
    once, then forgotten), or how many are left, with a button that makes new ones."""
    fresh = request.session.pop(RECOVERY_CODES_KEY, None)
    if fresh:
        codes, next_url = fresh["codes"], safe_next(request, fresh.get("next", ""))
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url})
    if request.method == "POST":
        try:
            impersonation.refuse(
                getattr(request, "signin_impersonator", None), "recovery_codes", user=request.user, request=request
            )
        except GatehouseError as exc:
            return error_page(request, exc, title="Recovery codes")
        codes = mfa.issue_recovery_codes(request.user, request=request)
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("home")})
    return render(request, "accounts/recovery_codes.html", {"remaining": mfa.remaining_recovery_codes(request.user)})
