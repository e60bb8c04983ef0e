from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import AuthSession, Identity, User


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    fields = ("provider", "subject", "email", "created_at", "last_used_at")
    readonly_fields = ("created_at", "last_used_at")


class _UserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class _UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = _UserChangeForm
    add_form = _UserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "workos_user_id", "organization_id", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "identities__provider", "date_joined")
    search_fields = ("email", "first_name", "last_name", "workos_user_id", "organization_id")
    readonly_fields = ("date_joined", "updated_at", "last_login")
    inlines = [IdentityInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("WorkOS", {"fields": ("workos_user_id", "organization_id", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("provider", "subject", "user", "email", "created_at", "last_used_at")
    list_filter = ("provider", "created_at", "last_used_at")
    search_fields = ("subject", "email", "user__email")
    raw_id_fields = ("user",)
    list_select_related = ("user",)


@admin.register(AuthSession)
class AuthSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "method", "ip_address", "created_at", "last_refreshed_at", "revoked_at", "revoked_reason")
    list_filter = ("method", "revoked_reason", "created_at")
    search_fields = ("user__email", "workos_session_id", "ip_address")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = [f.name for f in AuthSession._meta.fields]

    def has_add_permission(self, request):
        return False
