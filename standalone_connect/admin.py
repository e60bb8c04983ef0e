from django.contrib import admin

from standalone_connect.models import ConnectAttempt


@admin.register(ConnectAttempt)
class ConnectAttemptAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "outcome", "error_code", "external_auth_id")
    list_filter = ("outcome", "error_code", "created_at")
    search_fields = ("user__email", "external_auth_id", "error_code")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("created_at", "user", "external_auth_id", "outcome", "error_code", "message")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
