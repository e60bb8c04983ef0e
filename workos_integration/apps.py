from django.apps import AppConfig


class WorkOSIntegrationConfig(AppConfig):
    name = "workos_integration"
    verbose_name = "WorkOS events"
    default_auto_field = "django.db.models.BigAutoField"
