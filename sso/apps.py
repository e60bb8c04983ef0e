from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "SSO"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from sso import events  # noqa: F401  (registers its handlers with the event pipeline)
