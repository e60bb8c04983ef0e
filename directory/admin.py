"""Admin: the directory mirror (read-only, with search and filters, "Sync now"), WorkOS
organization memberships (read-only), and the role -> Django group mappings (editable)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path

from accounts.errors import GatehouseError
from directory.access import align_everyone
from directory.models import Directory, DirectoryGroup, DirectoryUser, Membership, RoleMapping
from directory.sync import sync_directories
from sso.admin import ReadOnlyMirrorAdmin


@admin.register(Directory)
class DirectoryAdmin(ReadOnlyMirrorAdmin):
    list_display = (
        "name",
        "directory_type",
        "state",
        "organization_workos_id",
        "domain",
        "workos_id",
        "last_synced_at",
    )
    list_filter = ("directory_type", "state")
    search_fields = ("name", "workos_id", "organization_workos_id", "domain")


@admin.register(DirectoryGroup)
class DirectoryGroupAdmin(ReadOnlyMirrorAdmin):
    list_display = ("name", "directory_workos_id", "organization_workos_id", "workos_id", "last_synced_at")
    list_filter = ("directory_workos_id",)
    search_fields = ("name", "workos_id", "idp_id")


@admin.register(DirectoryUser)
class DirectoryUserAdmin(ReadOnlyMirrorAdmin):
    list_display = (
        "email",
        "first_name",
        "last_name",
        "state",
        "role",
        "user",
        "directory_workos_id",
        "last_synced_at",
    )
    list_filter = ("state", "directory_workos_id", "organization_workos_id")
    search_fields = ("email", "first_name", "last_name", "workos_id", "idp_id")
    list_select_related = ("user",)
    fields = (
        "email",
        "first_name",
        "last_name",
        "state",
        "role",
        "group_names",
        "user",
        "workos_id",
        "idp_id",
        "directory_workos_id",
        "organization_workos_id",
        "workos_created_at",
        "workos_updated_at",
        "last_synced_at",
    )
    readonly_fields = fields
    change_list_template = "admin/directory/directoryuser/change_list.html"

    @admin.display(description="groups")
    def group_names(self, obj):
        return ", ".join(g.name for g in obj.groups.all()) or "-"

    def get_urls(self):
        return [
            path("sync/", self.admin_site.admin_view(self.sync_view), name="directory_directoryuser_sync"),
            *super().get_urls(),
        ]

    def sync_view(self, request):
        if request.method != "POST":
            return redirect("admin:directory_directoryuser_changelist")
        if not request.user.has_perm("directory.sync_directories"):
            raise PermissionDenied
        try:
            report = sync_directories()
        except GatehouseError as exc:
            self.message_user(request, f"Sync failed, nothing was removed: {exc.message} ({exc.code})", messages.ERROR)
        else:
            self.message_user(request, f"Synced from WorkOS: {report}.", messages.SUCCESS)
        return redirect("admin:directory_directoryuser_changelist")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyMirrorAdmin):
    list_display = ("user_workos_id", "organization_workos_id", "role", "status", "workos_updated_at")
    list_filter = ("status", "role")
    search_fields = ("user_workos_id", "organization_workos_id", "workos_id")


@admin.register(RoleMapping)
class RoleMappingAdmin(admin.ModelAdmin):
    """Edits apply to each person at their next sign-in or event; "Apply to everyone now" (or
    `manage.py align_groups`) brings every account in line at once. Deleting (or moving) the last
    mapping of a group takes the accounts WorkOS decided for out of it at once
    (directory.access.release_group)."""

    list_display = ("source", "value", "organization_workos_id", "group")
    list_filter = ("source", "group")
    search_fields = ("value", "organization_workos_id", "group__name")
    autocomplete_fields = ("group",)
    change_list_template = "admin/directory/rolemapping/change_list.html"

    def get_urls(self):
        return [
            path("apply/", self.admin_site.admin_view(self.apply_view), name="directory_rolemapping_apply"),
            *super().get_urls(),
        ]

    def apply_view(self, request):
        if request.method != "POST":
            return redirect("admin:directory_rolemapping_changelist")
        if not request.user.has_perm("accounts.change_user"):
            raise PermissionDenied
        changed = align_everyone()
        self.message_user(
            request, f"Groups brought in line with WorkOS: {changed} account(s) changed.", messages.SUCCESS
        )
        return redirect("admin:directory_rolemapping_changelist")
