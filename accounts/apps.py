from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts import checks, login_rules, sessions  # noqa: F401  (system checks; login-rule cache and sign-in ending signals)
        from accounts.api import schema  # noqa: F401  (OpenAPI security scheme)
        from accounts.signin import flow  # noqa: F401  (its user_logged_in receiver)
