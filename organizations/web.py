"""Pages of a person's organizations: switch the organization of this browser's sign-in."""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import memberships, sessions
from accounts.errors import GatehouseError
from accounts.http import error_page, rate_limited, safe_next
from accounts.models import AuthSession
from accounts.signin.flow import BROWSER_SESSION_KEY
from organizations import members


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("organization")
def switch_page(request):
    """My organizations, each a button that moves this browser's sign-in there."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('web-login')}?{urlencode({'next': reverse('web-organization-switch')})}")
    session = AuthSession.objects.filter(id=request.session.get(BROWSER_SESSION_KEY, ""), revoked_at__isnull=True)
    session = session.select_related("user").first()
    if session is None:
        return redirect("web-login")
    if request.method == "POST":
        try:
            moved = sessions.switch_organization(session, request.POST.get("organization_id", ""), request=request)
        except GatehouseError as exc:
            messages.error(request, exc.message)
            return redirect("web-organization-switch")
        name = next(
            (m.organization_name for m in memberships.active(moved.user.workos_user_id or "", moved.organization_id)),
            moved.organization_id,
        )
        messages.success(request, f"You are now working in {name}.")
        return redirect(safe_next(request, request.POST.get("next", "")))
    try:
        mine = memberships.active(session.user.workos_user_id or "")
    except GatehouseError as exc:
        return error_page(request, exc, title="Your organizations could not be listed")
    return render(
        request,
        "organizations/switch.html",
        {"organizations": mine, "current": session.organization_id, "next": request.GET.get("next", "")},
    )


_ENDED = {
    "expired": "This invitation has expired. Ask the organization's administrator for a new one.",
    "revoked": "This invitation was withdrawn by the organization.",
    "accepted": "This invitation was already accepted. Sign in to continue.",
}


@never_cache
@require_http_methods(["GET"])
@rate_limited("sign_in_ip")
def invitation_page(request):
    """Where an invitation email lands (WorkOS's invitation URL): who invites, then AuthKit with
    the invitation, which makes the person a member with the invitation's role as they sign in."""
    try:
        invitation = members.invitation_by_token(request.GET.get("invitation_token", ""))
    except GatehouseError as exc:
        return error_page(request, exc, title="The invitation could not be read")
    if invitation is None:
        context = {"problem": "This invitation link is not valid. Check that you copied all of it."}
        return render(request, "organizations/invitation.html", context, status=404)
    state = str(getattr(invitation.state, "value", invitation.state))
    context = {
        "invitation": invitation,
        "organization": members.organization_name(invitation.organization_id or ""),
        "problem": _ENDED.get(state, "" if state == "pending" else "This invitation cannot be used."),
        "start": f"{reverse('web-workos-start')}?"
        + urlencode({"invitation_token": request.GET["invitation_token"], "login_hint": invitation.email, "next": "/"}),
    }
    return render(request, "organizations/invitation.html", context, status=410 if context["problem"] else 200)
