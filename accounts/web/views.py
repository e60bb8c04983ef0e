"""Browser sign-in: our sign-in page, the AuthKit round trip, Django session login, logout."""

import logging
from urllib.parse import unquote

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import workos_auth, workos_client
from accounts.errors import GatehouseError
from accounts.models import SignInState

log = logging.getLogger(__name__)
SESSION_WORKOS_SID = "gatehouse_workos_sid"


def safe_next(request, candidate):
    """`candidate` if it is a same-site path; otherwise the default landing page."""
    if candidate and isinstance(candidate, str):
        candidate = candidate.strip()
        decoded = unquote(candidate)  # judge the encoded and the decoded spelling alike
        if (
            all(form.startswith("/") and not form.startswith("//") and "\\" not in form for form in (candidate, decoded))
            and not any(ord(ch) < 32 for ch in decoded)
            and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure())
        ):
            return candidate
    return settings.LOGIN_REDIRECT_URL


def error_page(request, exc, status=None, title="Sign-in did not work"):
    return render(
        request,
        "errors/error.html",
        {"title": title, "message": exc.message, "code": exc.code},
        status=status or (exc.status if exc.status < 500 else 502 if exc.status == 502 else 503),
    )


class _EmailAuthenticationForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget.attrs.update({"type": "email", "autocomplete": "email"})


@never_cache
@require_http_methods(["GET", "POST"])
def login_page(request):
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = _EmailAuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        auth.login(request, form.get_user())
        return redirect(next_url)
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "workos_enabled": workos_client.is_configured()},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@require_GET
def workos_start(request):
    next_url = safe_next(request, request.GET.get("next"))
    flow = SignInState.Flow.SSO if request.GET.get("flow") == "sso" else SignInState.Flow.AUTHKIT
    try:
        url, _state = workos_auth.authorization_url(
            flow=flow,
            redirect_uri=settings.WORKOS_REDIRECT_URI,
            next_url=next_url,
            organization_id=request.GET.get("organization_id", "")[:64],
            connection_id=request.GET.get("connection_id", "")[:64],
            login_hint=request.GET.get("login_hint", "")[:254],
        )
    except GatehouseError as exc:
        return error_page(request, exc, title="Sign-in could not start")
    return redirect(url)


@never_cache
@require_GET
def workos_callback(request):
    try:
        result = workos_auth.complete(
            code=request.GET.get("code"),
            state=request.GET.get("state") or "",
            error=request.GET.get("error"),
            error_description=request.GET.get("error_description"),
            request=request,
        )
    except GatehouseError as exc:
        if exc.code == "state_missing":
            exc.message = "The sign-in link is incomplete. Start again from the sign-in page."
        return error_page(request, exc)
    auth.login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
    if result.workos_session_id:
        request.session[SESSION_WORKOS_SID] = result.workos_session_id
    return redirect(safe_next(request, result.next_url))


@never_cache
@require_POST
def logout_view(request):
    sid = request.session.get(SESSION_WORKOS_SID)
    auth.logout(request)
    if sid:
        workos_auth.revoke_session(sid)
        try:
            url = workos_auth.logout_url(sid, return_to=request.build_absolute_uri(reverse("home")))
        except GatehouseError:
            url = None
        if url:
            return redirect(url)
    return redirect("home")
