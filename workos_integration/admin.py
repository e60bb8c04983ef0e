from django.contrib import admin

from workos_integration.models import WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """Events the pipeline applied (each once), kept 30 days: read-only."""

    list_display = ("event", "event_id", "received_at")
    list_filter = ("event",)
    search_fields = ("event_id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
