from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # its event handlers (registered with the pipeline) and its OpenAPI security scheme
        from organizations import events, schema  # noqa: F401
