"""Policy decisions for sign-in and provisioning, overridable from settings.

Point GATEHOUSE_PROVISIONING_ADAPTER at a subclass of DefaultAdapter to change who may get an
account, e.g. only people from the domains your customers verified.
"""

import functools

from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from accounts.conf import app_settings


class DefaultAdapter:
    def email_domain_allowed(self, email):
        allowed = app_settings.GATEHOUSE_ALLOWED_EMAIL_DOMAINS
        if not allowed:
            return True
        domain = email.rsplit("@", 1)[-1].lower()
        return domain in allowed

    def may_provision(self, identity):
        """May a person WorkOS vouches for, unknown here, get an account on first sign-in?"""
        return identity.email_verified and self.email_domain_allowed(identity.email)

    def may_link_by_email(self, identity):
        """May this identity be attached to the existing local user with the same email?

        Only when the provider says the address is verified: otherwise anyone could claim
        someone else's account by typing their email at an identity provider.
        """
        return identity.email_verified

    def may_sign_in(self, user, identity):
        return user.is_active


@functools.cache
def get_adapter():
    return import_string(app_settings.GATEHOUSE_PROVISIONING_ADAPTER)()


def _reset(setting, **kwargs):
    if setting in ("GATEHOUSE_PROVISIONING_ADAPTER", "GATEHOUSE_ALLOWED_EMAIL_DOMAINS"):
        get_adapter.cache_clear()


setting_changed.connect(_reset)
