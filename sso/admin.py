"""Admin for the WorkOS mirror: list, search, inspect, sync now, delete in WorkOS.

The mirror is read-only here; the only writes are "Sync now" (needs sso.sync_connections) and
"Delete in WorkOS" (needs sso.delete_connection), which removes a row only after WorkOS confirms.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from accounts import audit
from accounts.errors import GatehouseError
from accounts.models import AuditEvent, AuthSession
from sso import sync
from sso.conf import app_settings
from sso.models import Connection, Organization
from workos_integration import client as workos_client
from workos_integration.models import bury


def _audit_deleted(conn, user=None):
    audit.record(AuditEvent.Kind.SSO_CONNECTION_DELETED, user=user, connection=conn.workos_id, name=conn.name)


def delete_in_workos(connections, user=None):
    """Delete each connection in WorkOS, then its mirror row. Returns (deleted, failures)."""
    wos = workos_client.client()
    deleted, failures = [], []
    for conn in connections:
        try:
            workos_client.call(f"delete {conn.name}", wos.sso.delete_connection, conn.workos_id, expect_result=False)
        except GatehouseError as exc:
            if exc.status == 404:  # already gone in WorkOS: the mirror row is stale
                _forget(conn)
                deleted.append(conn)
                _audit_deleted(conn, user)
            else:
                failures.append((conn, exc))
            continue
        _forget(conn)
        deleted.append(conn)
        _audit_deleted(conn, user)
    return deleted, failures


def _forget(conn):
    """WorkOS confirmed the deletion: drop the row, and keep a tombstone so no late event revives it."""
    with transaction.atomic():
        bury("connection", conn.workos_id, timezone.now())
        Connection.objects.filter(pk=conn.pk).delete()


class ReadOnlyMirrorAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a local-only delete would lie: see "Delete in WorkOS"


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyMirrorAdmin):
    list_display = ("name", "workos_id", "domain_list", "last_synced_at")
    search_fields = ("name", "workos_id", "domain_index")
    readonly_fields = (
        "workos_id",
        "name",
        "domain_list",
        "workos_created_at",
        "workos_updated_at",
        "last_synced_at",
        "recent_sign_ins",
    )
    fields = readonly_fields
    RECENT = 25

    @admin.display(description=f"members' recent sign-ins (last {RECENT})")
    def recent_sign_ins(self, obj):
        recent = (
            AuthSession.objects.filter(organization_id=obj.workos_id)
            .select_related("user")
            .order_by("-created_at")[: self.RECENT]
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    s.user.email,
                    s.get_method_display(),
                    s.role or "-",
                    date_format(timezone.localtime(s.created_at), "DATETIME_FORMAT"),
                    f"ended ({s.revoked_reason})" if s.revoked_at else "open",
                )
                for s in recent
            ),
        )
        if not rows:
            return "No member has signed in here yet."
        return format_html(
            '<table data-testid="recent-sign-ins"><thead><tr><th>who</th><th>how</th><th>role</th><th>when</th>'
            "<th>now</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="domains")
    def domain_list(self, obj):
        return ", ".join(obj.domains)


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyMirrorAdmin):
    list_display = ("name", "connection_type", "state", "organization", "domain_list", "workos_id", "last_synced_at")
    list_filter = ("connection_type", "state", "organization")
    search_fields = ("name", "workos_id", "domain_index")
    list_select_related = ("organization",)
    readonly_fields = (
        "workos_id",
        "name",
        "connection_type",
        "state",
        "organization",
        "organization_workos_id",
        "domain_list",
        "workos_created_at",
        "workos_updated_at",
        "last_synced_at",
        "dashboard_link",
    )
    fields = readonly_fields
    actions = ["delete_selected_in_workos"]
    change_list_template = "admin/sso/connection/change_list.html"
    change_form_template = "admin/sso/connection/change_form.html"

    @admin.display(description="domains")
    def domain_list(self, obj):
        return ", ".join(obj.domains)

    @admin.display(description="WorkOS dashboard")
    def dashboard_link(self, obj):

        url = f"{app_settings.WORKOS_DASHBOARD_URL.rstrip('/')}/sso/connections/{obj.workos_id}"
        return format_html('<a href="{}" target="_blank" rel="noopener">Open in WorkOS</a>', url)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("sso.delete_connection"):
            actions.pop("delete_selected_in_workos", None)
        return actions

    def get_urls(self):
        own = [
            path("sync/", self.admin_site.admin_view(self.sync_view), name="sso_connection_sync"),
            path(
                "<int:pk>/delete-in-workos/",
                self.admin_site.admin_view(self.delete_view_workos),
                name="sso_connection_delete_in_workos",
            ),
        ]
        return own + super().get_urls()

    def sync_view(self, request):
        if request.method != "POST":
            return redirect("admin:sso_connection_changelist")
        if not request.user.has_perm("sso.sync_connections"):
            raise PermissionDenied
        try:
            report = sync.sync_all()
        except GatehouseError as exc:
            self.message_user(request, f"Sync failed, nothing was removed: {exc.message} ({exc.code})", messages.ERROR)
        else:
            self.message_user(request, f"Synced from WorkOS: {report}.", messages.SUCCESS)
        return redirect("admin:sso_connection_changelist")

    def _confirm_and_delete(self, request, connections):
        if request.POST.get("confirm") == "yes":
            deleted, failures = delete_in_workos(connections, user=request.user)
            if deleted:
                self.message_user(
                    request, f"Deleted in WorkOS: {', '.join(c.name for c in deleted)}.", messages.SUCCESS
                )
            for conn, exc in failures:
                self.message_user(
                    request,
                    f"Could not delete {conn.name}: {exc.message} ({exc.code}). It is unchanged.",
                    messages.ERROR,
                )
            return redirect("admin:sso_connection_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Delete in WorkOS?",
            "connections": connections,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/sso/connection/delete_in_workos.html", context)

    def delete_view_workos(self, request, pk):
        if not request.user.has_perm("sso.delete_connection"):
            raise PermissionDenied
        conn = Connection.objects.filter(pk=pk).first()
        if conn is None:
            self.message_user(request, "That connection is no longer in the mirror.", messages.WARNING)
            return redirect("admin:sso_connection_changelist")
        return self._confirm_and_delete(request, [conn])

    @admin.action(description="Delete selected connections in WorkOS")
    def delete_selected_in_workos(self, request, queryset):
        if not request.user.has_perm("sso.delete_connection"):
            raise PermissionDenied
        return self._confirm_and_delete(request, list(queryset))
