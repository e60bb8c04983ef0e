"""System checks of the `standalone_connect` app's settings."""

from django.core.checks import register

from accounts.checks import importable
from standalone_connect.conf import app_settings


@register()
def check_hooks(app_configs=None, **kwargs):
    return [
        error
        for name in ("CONNECT_CONSENT_OPTIONS", "CONNECT_USER_METADATA")
        for error in importable(app_settings, name, id="standalone_connect.E001")
    ]
