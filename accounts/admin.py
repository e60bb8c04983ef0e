import time

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import StreamingHttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string

from accounts import audit, audit_export, mfa, session_limits
from accounts.conf import app_settings
from accounts.errors import GatehouseError
from accounts.models import AuditEvent, AuthSession, Identity, LoginRule, SessionPolicy, User
from accounts.sessions import end_sessions


def _end_sessions(modeladmin, request, users_sessions):
    total = 0
    for user, sessions in users_sessions:
        total += end_sessions(sessions, reason="revoked_by_staff", user=user, request=request)
    modeladmin.message_user(
        request, f"Ended {total} sign-in{'s' if total != 1 else ''} (and their WorkOS sessions).", messages.SUCCESS
    )


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
    list_display = ("email", "first_name", "last_name", "organization", "is_active", "is_staff", "date_joined")
    list_filter = (
        "is_active",
        "deprovisioned_reason",
        "is_staff",
        "is_superuser",
        "identities__provider",
        "date_joined",
    )
    search_fields = ("email", "first_name", "last_name", "workos_user_id", "organization_id")
    readonly_fields = (
        "date_joined",
        "updated_at",
        "last_login",
        "deprovisioned_reason",
        "deprovisioned_at",
        "deprovisioned_sources",
    )
    inlines = [IdentityInline]
    actions = ["end_all_sign_ins", "reset_mfa"]

    @admin.display(description="organization", ordering="organization_id")
    def organization(self, obj):
        return _organization_name(obj.organization_id)

    @admin.action(description="End all sign-ins of the selected users", permissions=["change"])
    def end_all_sign_ins(self, request, queryset):
        _end_sessions(self, request, [(user, AuthSession.objects.filter(user=user)) for user in queryset])

    @admin.action(
        description="Reset MFA of the selected users (remove their authenticators and recovery codes)",
        permissions=["change"],
    )
    def reset_mfa(self, request, queryset):
        done = []
        for user in queryset:
            try:
                removed = mfa.reset(user, actor=request.user, request=request)
            except GatehouseError as exc:
                self.message_user(request, f"{user.email}: {exc.message} Nothing was changed.", messages.ERROR)
                continue
            done.append(f"{user.email} ({removed} authenticator{'s' if removed != 1 else ''} removed)")
        if done:
            self.message_user(
                request,
                "MFA reset: " + ", ".join(done) + ". They set up a new authenticator at their next sign-in.",
                messages.SUCCESS,
            )

    # Links made here are the explicit ones (staff accounts are never linked by email at
    # sign-in): each is audited with the administrator who made it.
    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data and obj.is_active:
            obj.deprovisioned_reason, obj.deprovisioned_at, obj.deprovisioned_sources = (
                "",
                None,
                [],
            )  # an administrator gave access back
        super().save_model(request, obj, form, change)
        if change and "workos_user_id" in form.changed_data:
            kind = AuditEvent.Kind.IDENTITY_LINKED if obj.workos_user_id else AuditEvent.Kind.IDENTITY_UNLINKED
            audit.record(
                kind,
                user=obj,
                request=request,
                reason="by_admin",
                provider=Identity.Provider.WORKOS,
                subject=obj.workos_user_id or form.initial.get("workos_user_id"),
                by=request.user.email,
            )

    def save_formset(self, request, form, formset, change):
        identities = formset.save()
        if formset.model is not Identity:
            return
        user = form.instance
        changed = [(AuditEvent.Kind.IDENTITY_LINKED, x) for x in identities] + [
            (AuditEvent.Kind.IDENTITY_UNLINKED, x) for x in formset.deleted_objects
        ]
        for kind, identity in changed:
            audit.record(
                kind,
                user=user,
                request=request,
                reason="by_admin",
                provider=identity.provider,
                subject=identity.subject,
                by=request.user.email,
            )

    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        (
            "WorkOS",
            {
                "fields": (
                    "workos_user_id",
                    "organization_id",
                    "role",
                    "deprovisioned_reason",
                    "deprovisioned_at",
                    "deprovisioned_sources",
                )
            },
        ),
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
    list_display = ("user", "method", "ip_address", "created_at", "last_seen_at", "revoked_at", "revoked_reason")
    list_filter = ("method", "revoked_reason", "created_at")
    search_fields = ("user__email", "workos_session_id", "ip_address")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = [f.name for f in AuthSession._meta.fields if f.name != "workos_refresh_token"]
    exclude = ("workos_refresh_token",)
    actions = ["end_selected"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="End the selected sign-ins", permissions=["change"])
    def end_selected(self, request, queryset):
        _end_sessions(
            self, request, [(s.user, AuthSession.objects.filter(pk=s.pk)) for s in queryset.select_related("user")]
        )


def _organization_choices():
    path = app_settings.GATEHOUSE_ORGANIZATION_CHOICES
    return import_string(path)() if path else None


_names = {"at": 0.0, "names": {}}


def _organization_name(organization_id):
    """An organization's name for a list's column: the choices read once per list (per 5 s)."""
    if not organization_id:
        return "—"
    if time.monotonic() - _names["at"] > 5:
        _names.update(at=time.monotonic(), names=dict(_organization_choices() or []))
    return _names["names"].get(organization_id) or organization_id


class OrganizationInput(forms.TextInput):
    """A WorkOS organization id, suggested by name from GATEHOUSE_ORGANIZATION_CHOICES as you type."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = _organization_choices() or []
        listed = f"{name}-organizations"
        html = super().render(
            name,
            value,
            {**(attrs or {}), "list": listed, "autocomplete": "off", "placeholder": "Type a name or org_..."},
            renderer,
        )
        options = format_html_join("", '<option value="{}">{}</option>', ((wid, label) for wid, label in choices))
        return html + format_html('<datalist id="{}">{}</datalist>', listed, options)


class _OrganizationForm(forms.ModelForm):
    """organization_id must name one of the known organizations (when the choices are known)."""

    def clean_organization_id(self):
        value = (self.cleaned_data.get("organization_id") or "").strip()
        choices = _organization_choices()
        if not value or choices is None or value in {wid for wid, _name in choices}:
            return value
        named = [wid for wid, name in choices if name.strip().lower() == value.lower()]
        if len(named) == 1:
            return named[0]  # typed by name
        if named:
            raise forms.ValidationError(f"Several organizations are called {value!r}: choose one by its org_... id.")
        raise forms.ValidationError(
            f"No organization mirrored from WorkOS is called {value!r} or has that id. Choose one from the list "
            "(a new organization appears after SSO > Organizations is synced)."
        )


class _OrganizationFieldAdmin(admin.ModelAdmin):
    """An admin whose `organization_id` is chosen from the known organizations."""

    form = _OrganizationForm

    @admin.display(description="organization", ordering="organization_id")
    def organization(self, obj):
        """The organization by name (its id when it is not mirrored)."""
        return _organization_name(obj.organization_id)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "organization_id":
            kwargs["widget"] = OrganizationInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(LoginRule)
class LoginRuleAdmin(_OrganizationFieldAdmin):
    list_display = ("priority", "pattern", "method", "organization", "allow_signup", "enabled")
    list_display_links = ("pattern",)
    list_editable = ("priority", "enabled")
    list_filter = ("method", "enabled", "allow_signup")
    search_fields = ("pattern", "organization_id", "connection_id")


@admin.register(SessionPolicy)
class SessionPolicyAdmin(_OrganizationFieldAdmin):
    """Per organization; everyone else follows GATEHOUSE_SESSION_POLICY (shown on the list)."""

    list_display = (
        "organization",
        "enabled",
        "idle_timeout_minutes",
        "absolute_lifetime_hours",
        "warning_minutes",
        "idle_tracking",
        "updated_at",
    )
    search_fields = ("organization_id",)
    list_filter = ("enabled",)
    fieldsets = (
        (None, {"fields": ("organization_id", "enabled")}),
        ("Limits", {"fields": ("idle_timeout_minutes", "absolute_lifetime_hours", "warning_minutes", "idle_tracking")}),
        (
            "Renewal at the end of a sign-in",
            {"fields": ("sso_silent_renewal", "sso_fallback", "password_silent_renewal", "password_fallback")},
        ),
    )

    def changelist_view(self, request, extra_context=None):
        d = session_limits.default()
        summary = (
            "off"
            if not d.enabled
            else f"idle {d.idle_timeout_minutes} min, at most {d.absolute_lifetime_hours} h, "
            f"warning {d.warning_minutes} min"
        )
        extra_context = {
            # on the page, not in its title (admin/accounts/sessionpolicy/change_list.html)
            "default_policy": f"Sign-ins outside these organizations follow the default policy: {summary}.",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "email", "user", "reason", "ip_address")
    list_filter = ("kind", "reason", "created_at")
    search_fields = ("email", "user__email", "reason", "ip_address")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = ("created_at", "kind", "user", "email", "ip_address", "user_agent", "reason", "details")
    actions = ["export_csv", "export_jsonl"]

    def _export(self, queryset, write, content_type, suffix):
        response = StreamingHttpResponse(write(queryset.order_by("created_at").iterator()), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="gatehouse-audit.{suffix}"'
        return response

    @admin.action(description="Export selected events as CSV (a spreadsheet)", permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(queryset, audit_export.as_csv, "text/csv; charset=utf-8", "csv")

    @admin.action(description="Export selected events as JSON Lines", permissions=["view"])
    def export_jsonl(self, request, queryset):
        return self._export(queryset, audit_export.as_jsonl, "application/x-ndjson", "jsonl")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
