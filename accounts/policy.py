"""Login rules: which method an email domain must use, and whether a first sign-in may create
an account. Used by the sign-in page (routing), the unified callback, password and Google/Okta
sign-in, and the admin login, so that every door applies the same rule.
"""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from accounts.errors import SignInRefused
from accounts.models import LoginRule, SignInMethod, normalize_email

_CACHE_KEY = "gatehouse:login-rules"
# Rules change rarely and are read on every sign-in: cached, dropped when one is saved or
# deleted (at once with a shared cache such as Redis; within this many seconds otherwise).
_CACHE_SECONDS = 60


def _rules():
    rules = cache.get(_CACHE_KEY)
    if rules is None:
        rules = list(LoginRule.objects.filter(enabled=True))
        cache.set(_CACHE_KEY, rules, _CACHE_SECONDS)
    return rules


def _forget_rules(**kwargs):
    cache.delete(_CACHE_KEY)


post_save.connect(_forget_rules, sender=LoginRule, dispatch_uid="gatehouse-login-rules-save")
post_delete.connect(_forget_rules, sender=LoginRule, dispatch_uid="gatehouse-login-rules-delete")


def rule_for(email):
    email = normalize_email(email)
    if "@" not in email:
        return None
    return next((rule for rule in _rules() if rule.matches(email)), None)


# A rule's method admits itself; "WorkOS AuthKit" admits every way of signing in to WorkOS's user
# management (its hosted pages, a WorkOS-held password, an emailed code, a CLI's device code).
_ADMITS = {
    SignInMethod.AUTHKIT: {SignInMethod.AUTHKIT, SignInMethod.WORKOS_PASSWORD, SignInMethod.MAGIC_CODE, SignInMethod.DEVICE},
}


def admits(rule, method):
    """Does this rule (None: no rule) let people sign in with `method`?"""
    return rule is None or method in _ADMITS.get(rule.method, {rule.method})


def check_method(email, method, *, organization_id="", connection_id=""):
    """Refuse a sign-in whose method (or SSO organization) the matching rule does not allow."""
    rule = rule_for(email)
    if rule is None:
        return None
    if not admits(rule, method):
        raise SignInRefused(
            f"People from this email domain sign in with {rule.get_method_display()}.",
            code="method_not_allowed",
            detail={"required_method": rule.method},
        )
    if rule.method == SignInMethod.SSO:
        if rule.organization_id and organization_id and rule.organization_id != organization_id:
            raise SignInRefused("This sign-in came from another organization than your domain's.", code="organization_not_allowed")
        if rule.connection_id and connection_id and rule.connection_id != connection_id:
            raise SignInRefused("This sign-in came from another connection than your domain's.", code="connection_not_allowed")
    return rule


def check_signup(rule, identity):
    """With a matching rule, the rule decides whether a first sign-in creates an account."""
    if rule is None:
        return None
    if rule.require_verified_email and not identity.email_verified:
        raise SignInRefused("Your email address must be verified first.", code="email_not_verified")
    return rule.allow_signup
