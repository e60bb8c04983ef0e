from django.apps import AppConfig


class StandaloneConnectConfig(AppConfig):
    name = "standalone_connect"
    verbose_name = "Standalone Connect"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from standalone_connect import checks, schema  # noqa: F401  (system checks, OpenAPI security scheme)
