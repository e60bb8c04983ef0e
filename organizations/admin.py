"""Each mirrored organization's API keys, for staff: list, create (the secret shown once) and
revoke, in WorkOS, audited with the administrator who did it."""

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from accounts.errors import GatehouseError
from organizations import api_keys, portal
from organizations.models import OrganizationAPIKeys

_PERMISSION = re.compile(r"^[A-Za-z0-9_.:\-*]{1,100}$")
_NEW_KEY = "gatehouse_admin_new_api_key"  # a key just made, until the page after the redirect shows it


@admin.register(OrganizationAPIKeys)
class OrganizationAPIKeysAdmin(admin.ModelAdmin):
    list_display = ("name", "workos_id")
    search_fields = ("name", "workos_id")

    def has_add_permission(self, request):
        return False  # organizations come from WorkOS (SSO > Organizations, sync)

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        organization = get_object_or_404(OrganizationAPIKeys, pk=object_id)
        if not self.has_view_or_change_permission(request, organization):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"API keys of {organization.name}",
            "organization": organization,
            "can_change": self.has_change_permission(request, organization),
            "intents": portal.LABELS.items(),
        }
        if request.method == "POST":
            if not context["can_change"]:
                raise PermissionDenied
            done = self._post(request, organization)
            if done is not None:
                return done
        context["new_key"] = request.session.pop(_NEW_KEY, None)
        try:
            context["keys"] = api_keys.keys_of(organization.workos_id)
        except GatehouseError as exc:
            context["keys"] = []
            self.message_user(request, f"Could not list the keys: {exc.message} ({exc.code})", messages.ERROR)
        return TemplateResponse(request, "admin/organizations/api_keys.html", context)

    def _post(self, request, organization):
        """Create or revoke, then back to the page (which shows a new key's secret, once)."""
        if request.POST.get("action") == "portal":
            try:
                return redirect(
                    portal.link(
                        organization.workos_id, request.POST.get("intent", ""), actor=request.user, request=request
                    )
                )
            except GatehouseError as exc:
                self.message_user(request, f"No portal link: {exc.message} ({exc.code})", messages.ERROR)
                return redirect(request.path)
        if request.POST.get("action") == "revoke":
            try:
                key = api_keys.revoke(
                    organization.workos_id, request.POST.get("key_id", ""), actor=request.user, request=request
                )
            except GatehouseError as exc:
                self.message_user(request, f"Nothing was revoked: {exc.message} ({exc.code})", messages.ERROR)
            else:
                self.message_user(request, f"Revoked {key.name}: it no longer works.", messages.SUCCESS)
            return redirect(request.path)
        name = (request.POST.get("name") or "").strip()[:100]
        wanted = [p for p in re.split(r"[\s,]+", request.POST.get("permissions") or "") if p]
        if not name or not all(_PERMISSION.match(p) for p in wanted):
            self.message_user(
                request, "Give the key a name, and permissions as slugs separated by commas.", messages.ERROR
            )
            return None
        try:
            key = api_keys.create(
                organization.workos_id, name=name, permissions=wanted, actor=request.user, request=request
            )
        except GatehouseError as exc:
            self.message_user(request, f"No key was created: {exc.message} ({exc.code})", messages.ERROR)
            return None
        request.session[_NEW_KEY] = {"id": key.id, "name": key.name, "value": key.value}
        return redirect(request.path)
