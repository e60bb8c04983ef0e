from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from directory import access, checks, events  # noqa: F401  (sign-in receiver, system checks, event handlers)
