"""Pages of a person's organizations: switch the organization of this browser's sign-in, land
from an invitation, and (for an organization's admins) run its members, invitations, keys and
Admin Portal."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import impersonation, memberships, sessions
from accounts.errors import GatehouseError
from accounts.http import error_page, rate_limited, safe_next
from accounts.models import AuthSession
from accounts.signin.flow import BROWSER_SESSION_KEY
from organizations import api_keys, members, portal
from organizations.conf import app_settings
from sso.models import Organization


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("organization")
@login_required
def switch_page(request):
    """My organizations, each a button that moves this browser's sign-in there."""
    session = _browser_session(request)
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


_NEW_KEY = "gatehouse_new_api_key"  # a key just made, until the page after the redirect shows it once


def _browser_session(request):
    """This browser's sign-in (not ended), with its user."""
    mine = AuthSession.objects.filter(id=request.session.get(BROWSER_SESSION_KEY, ""), revoked_at__isnull=True)
    return mine.select_related("user").first()


def _admin_session(request):
    """This browser's sign-in, if it is an admin's of its organization (else None)."""
    session = _browser_session(request)
    if session is None or not session.organization_id:
        return None
    return session if session.role in app_settings.GATEHOUSE_ORGANIZATION_ADMIN_ROLES else None


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("organization")
@login_required
def organization_page(request):
    """The organization's members, invitations and API keys, for its admins."""
    session = _admin_session(request)
    if session is None:
        exc = GatehouseError(
            "Only an administrator of your organization may see this page.",
            code="organization_admin_required",
            status=403,
        )
        return error_page(request, exc, title="Your organization")
    org = session.organization_id
    if request.method == "POST":
        try:
            if request.POST.get("action") == "portal":
                return redirect(portal.link(org, request.POST.get("intent", ""), actor=session.user, request=request))
            _act(request, session, org, request.POST)
        except GatehouseError as exc:
            messages.error(request, exc.message)
        return redirect("web-organization")
    try:
        context = {
            "organization": members.organization_name(org),
            "domains": Organization.objects.filter(workos_id=org).values_list("domains", flat=True).first() or [],
            "members": members.members(org),
            "invitations": [i for i in members.invitations(org) if i.state == "pending"],
            "keys": api_keys.keys_of(org),
        }
    except GatehouseError as exc:
        return error_page(request, exc, title="Your organization could not be shown")
    context["new_key"] = request.session.pop(_NEW_KEY, None)
    context["intents"] = portal.LABELS.items()
    context["me"] = session.user.workos_user_id
    return render(request, "organizations/organization.html", context)


def _act(request, session, org, form):
    """One admin action of the page's forms; its outcome as a message."""
    action, actor = form.get("action", ""), session.user
    area = "api_keys" if action in ("create_key", "revoke_key") else "members"
    impersonation.refuse(session.impersonator, area, user=actor, request=request)
    if action == "invite":
        sent = members.invite(
            org,
            (form.get("email") or "").strip()[:254],
            form.get("role") or "member",
            actor=actor,
            inviter_workos_user_id=actor.workos_user_id or "",
            request=request,
        )
        messages.success(request, f"Invitation sent to {sent.email}.")
    elif action == "role":
        changed = members.change_role(
            org, form.get("membership", ""), form.get("role", ""), actor=actor, request=request
        )
        messages.success(request, f"{changed.email} is now {changed.role}.")
    elif action == "remove":
        members.remove(org, form.get("membership", ""), actor=actor, request=request)
        messages.success(request, "The member was removed and signed out of this organization.")
    elif action in ("revoke_invitation", "resend_invitation"):
        change = action.removesuffix("_invitation")
        done = members.change_invitation(org, form.get("invitation", ""), change, actor=actor, request=request)
        messages.success(request, f"Invitation to {done.email} {'revoked' if change == 'revoke' else 'resent'}.")
    elif action == "create_key":
        key = api_keys.create(
            org,
            name=(form.get("name") or "").strip()[:100] or "key",
            permissions=[p for p in (form.get("permissions") or "").replace(",", " ").split() if p],
            actor=actor,
            request=request,
            grantable=tuple(session.permissions),
        )
        request.session[_NEW_KEY] = {"name": key.name, "value": key.value}
    elif action == "revoke_key":
        key = api_keys.revoke(org, form.get("key", ""), actor=actor, request=request)
        messages.success(request, f"Revoked {key.name}: it no longer works.")
    else:
        raise GatehouseError("Unknown action.")
